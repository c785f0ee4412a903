"""The one error funnel: every exception that leaves a command becomes a message and an exit code.

Both front doors use it: the typer app (through :func:`agentauth.cli.console.run_app`,
which first turns typer's own exits and usage errors into codes) and the typer-free
fast path of :mod:`agentauth.launch`. An :class:`AgentAuthError` prints ``error:`` and
its message (already a remedy); anything else is a bug: one line, exit 3, and the
redacted traceback appended to ``$AGENTAUTH_HOME/agentauth.log``. Free text passes
the process's :func:`scrubber` first, so no message can quote a value it learned.

Import-light on purpose (no model, no rich): the scrubber and the crash log import
what they need only when an error happens.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from agentauth.cli import stderr
from agentauth.errors import AgentAuthError, ExitCode

if TYPE_CHECKING:
    from agentauth.redact import Scrubber

_state: dict[str, object] = {"debug": False, "scrubber": None}


def configure(*, debug: bool) -> None:
    """Remember ``--debug`` (show the redacted traceback on an internal error)."""
    _state["debug"] = debug


def scrubber() -> Scrubber:
    """Return the process's scrubber: every value a command learned, masked in any message."""
    found = _state["scrubber"]
    if found is None:
        from agentauth.redact import Scrubber

        found = Scrubber()
        _state["scrubber"] = found
    return found  # type: ignore[return-value]


def scrub(text: str) -> str:
    """Return ``text`` with every learned value and every URL password masked."""
    return scrubber()(text)


def error(message: str) -> None:
    """Print ``error: message`` (scrubbed) on stderr."""
    stderr.line(scrub(message), label="error: ")


def _traceback(exc: BaseException) -> str:
    import traceback

    return scrub("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))


def write_crash_log(exc: BaseException) -> Path | None:
    """Append the redacted traceback of ``exc`` to the log file (0600); return its path."""
    from datetime import UTC, datetime

    from agentauth import __version__
    from agentauth.state import paths

    try:
        path = paths.home() / "agentauth.log"
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as handle:
            os.fchmod(fd, 0o600)
            stamp = datetime.now(UTC).isoformat()
            handle.write(f"--- {stamp} agentauth {__version__}\n{_traceback(exc)}\n")
        return path
    except OSError:
        return None


def keyring_notice(argv: list[str]) -> None:
    """Once per command: what to do about a keyring that could not be used, for that command.

    However many grants hit the missing keyring (each says in one line what it could not
    keep), the options are printed once, at the end, worded for the command.
    """
    store = sys.modules.get("agentauth.state.secretstore")  # never imported: nothing to say
    if store is None or not store.take_unavailable():
        return
    command = next((a for a in argv if not a.startswith("-")), "")
    for text in store.remedy(command):
        stderr.line(text)


def handle(exc: BaseException) -> int:
    """Print what ``exc`` means for the user and return the exit code."""
    if isinstance(exc, KeyboardInterrupt):
        stderr.line("Interrupted.")
        return int(ExitCode.INTERRUPTED)
    if isinstance(exc, BrokenPipeError):
        return int(ExitCode.OK)
    if isinstance(exc, AgentAuthError):
        error(str(exc))
        manual = getattr(exc, "manual", None)
        if manual:
            stderr.line("Ask someone with the rights to run this instead:")
            stderr.line(scrub(str(manual)))
        return int(exc.exit_code)
    log = write_crash_log(exc)
    from agentauth.redact import scrub_urls

    stderr.line(scrub_urls(scrub(f"{type(exc).__name__}: {exc}")), label="internal error: ")
    if _state["debug"] or os.environ.get("AGENTAUTH_DEBUG"):
        sys.stderr.write(_traceback(exc))
    if log:
        stderr.line(f"The redacted traceback is in {log}; please attach it to a bug report.")
    return int(ExitCode.INTERNAL)
