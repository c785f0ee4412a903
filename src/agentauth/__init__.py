"""agentauth: scoped, short-lived, revocable credentials for AI coding agents."""

__version__ = "0.1.0"
