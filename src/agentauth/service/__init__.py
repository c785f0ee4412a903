"""Orchestration: the use cases the CLI calls; they return results and never print or exit."""
