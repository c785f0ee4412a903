"""One exception root, the exit codes, and the funnel that maps one to the other.

Everything the user must act on is an :class:`AgentAuthError` whose message ends in
a remedy; anything else is a bug and exits 3 with the redacted traceback in a log file.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable


class ExitCode(enum.IntEnum):
    """The process exit codes documented in the README."""

    OK = 0
    FINDINGS = 1
    """Findings at or above the threshold, or a provisioning step failed."""
    USAGE = 2
    """Bad flag, bad policy file, unreadable path named by the user."""
    INTERNAL = 3
    NOT_REVOKED = 4
    """``revoke``: a credential keeps working because no API could end it (see the manual step)."""
    INTERRUPTED = 130


class AgentAuthError(Exception):
    """Root of every error the user is expected to act on."""

    exit_code: ExitCode = ExitCode.USAGE


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """Return ``"; did you mean X?"`` for the closest of ``known`` to ``word``, else ``""``.

    One home for the suggestion every "unknown key / variable" message carries
    (``schema`` -> ``schemas``, ``DATABSE_URL`` -> ``DATABASE_URL``): a typo in a
    reviewed file should be fixed from the message alone.
    """
    import difflib

    close = difflib.get_close_matches(word, sorted(set(known)), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def where(path: str | None, line: int) -> str:
    """Return the ``FILE:LINE: `` prefix of a message about a reviewed file (``line N: `` alone).

    One home for the spelling the policy, the broker rules and the providers' option
    errors share, so an editor can jump to the line from any of them.
    """
    if path and line:
        return f"{path}:{line}: "
    if line:
        return f"line {line}: "
    return f"{path}: " if path else ""


class UsageError(AgentAuthError):
    """Raised for a bad combination of flags or arguments."""


class ConfigError(AgentAuthError):
    """Raised when agentauth.yaml, a baseline or an env file cannot be used as written."""


class NonInteractiveError(AgentAuthError):
    """Raised when a confirmation or a pasted value is needed but there is no terminal."""


class StateError(AgentAuthError):
    """Raised when the ledger or the state directory cannot be read or written."""


class ProviderError(AgentAuthError):
    """Raised by a provider module for a failure of the remote system, already translated.

    SDK exceptions never travel above ``providers/``; they are turned into this with a
    message that says what failed and what to do.
    """

    exit_code = ExitCode.FINDINGS


class PermissionDenied(ProviderError):
    """Raised when the admin credential may not do what provisioning needs.

    ``manual`` carries what a more privileged human can run instead (SQL for a DBA).
    """

    def __init__(self, message: str, manual: str | None = None) -> None:
        """Keep the manual instructions beside the message."""
        super().__init__(message)
        self.manual = manual
