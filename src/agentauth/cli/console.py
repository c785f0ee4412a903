"""Terminal plumbing shared by every command: consoles, output files, prompts, the error funnel.

Reports go to stdout (or ``--output``); summaries, progress and warnings go to stderr.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import typer
from rich.console import Console

from agentauth import __version__
from agentauth.errors import (
    AgentAuthError,
    ExitCode,
    NonInteractiveError,
    PermissionDenied,
)
from agentauth.model import Secret
from agentauth.redact import Scrubber, scrub_urls
from agentauth.state import paths

_state: dict[str, bool] = {"debug": False, "no_color": False}

# Values the current process has learned (loaded env files); scrubbed from any error text.
SCRUBBER = Scrubber()


def configure(*, debug: bool, no_color: bool) -> None:
    """Remember the global flags for the consoles created after this call."""
    _state["debug"] = debug
    _state["no_color"] = no_color or bool(os.environ.get("NO_COLOR"))


def prose(text: str) -> str:
    """Re-flow help text: join the lines of each paragraph, keep indented (example) blocks.

    Why: typer's rich help keeps hard line breaks, so text wrapped at 80 columns in the
    source comes out ragged on any other terminal width.
    """
    paragraphs = []
    for block in text.strip("\n").split("\n\n"):
        lines = block.split("\n")
        if all(line.startswith(" ") for line in lines):
            paragraphs.append(block)
        else:
            paragraphs.append(" ".join(line.strip() for line in lines))
    return "\n\n".join(paragraphs)


def err_console() -> Console:
    """Return a console on stderr honouring --no-color, NO_COLOR and TERM=dumb."""
    return Console(stderr=True, no_color=_state["no_color"], highlight=False, soft_wrap=False)


def out_console(file: IO[str] | None = None) -> Console:
    """Return a console for reports (stdout, or ``file``)."""
    return Console(
        file=file,
        no_color=_state["no_color"] or file is not None,
        highlight=False,
        soft_wrap=False,
    )


def is_interactive() -> bool:
    """True when both stdin and stderr are terminals and CI is not set."""
    ci = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
    return not ci and sys.stdin.isatty() and sys.stderr.isatty()


@contextmanager
def output(path: Path | None) -> Iterator[IO[str]]:
    """Yield stdout, or ``path`` opened only now so a failed run never truncates it."""
    if path is None or str(path) == "-":
        yield sys.stdout
        return
    try:
        handle = path.open("w", encoding="utf-8")
    except OSError as exc:
        raise AgentAuthError(f"cannot write {path}: {exc.strerror}") from None
    with handle:
        yield handle


def write_report(text: str, path: Path | None) -> None:
    """Write a rendered report (JSON, SARIF) to stdout or ``--output``."""
    with output(path) as handle:
        handle.write(text)
        if not text.endswith("\n"):
            handle.write("\n")


def confirm(message: str, *, yes: bool) -> bool:
    """Return True when --yes was given or the human says yes; refuse without a terminal."""
    if yes:
        return True
    if not is_interactive():
        raise NonInteractiveError(
            f"{message} needs confirmation and there is no terminal; pass --yes to proceed."
        )
    return typer.confirm(message, default=False, err=True)


class TerminalPrompter:
    """The :class:`agentauth.providers.base.Prompter` of the real terminal."""

    def secret(self, message: str) -> Secret:
        """Read a pasted secret: hidden prompt on a terminal, one line of stdin otherwise."""
        if sys.stdin.isatty():
            value = typer.prompt(message, hide_input=True, err=True)
        else:
            line = sys.stdin.readline()
            if not line:
                raise NonInteractiveError(
                    f"{message}: nothing on standard input; pipe the value in or run in a terminal."
                )
            value = line
        value = value.strip()
        SCRUBBER.add(value)
        return Secret(value)

    def confirm(self, message: str) -> bool:
        """Ask yes/no on a terminal; refuse without one."""
        return confirm(message, yes=False)

    def info(self, message: str) -> None:
        """Print a message on stderr."""
        err_console().print(message, markup=False)


def _log_path() -> Path:
    return paths.home() / "agentauth.log"


def _write_crash_log(exc: BaseException) -> Path | None:
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    text = SCRUBBER(text)
    try:
        path = _log_path()
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with path.open("a", encoding="utf-8") as handle:
            os.chmod(path, 0o600)
            handle.write(f"--- {datetime.now(UTC).isoformat()} agentauth {__version__}\n{text}\n")
        return path
    except OSError:
        return None


def fail(message: str, code: ExitCode = ExitCode.USAGE) -> typer.Exit:
    """Print ``error: message`` on stderr and return the Exit to raise."""
    err_console().print(f"[bold red]error:[/] {SCRUBBER(message)}", markup=True, highlight=False)
    return typer.Exit(int(code))


def run_app(app: typer.Typer) -> int:
    """Run ``app`` and map every outcome to an exit code; no traceback reaches the user."""
    try:
        result = app(standalone_mode=False)
    # NOTE: typer >= 0.26 vendors click: its Exit, Abort and usage errors (unknown option,
    # bad choice, BadParameter) are typer's classes, not the click package's.
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        err_console().print("Interrupted.")
        return int(ExitCode.INTERRUPTED)
    except typer.TyperException as exc:
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            err_console().print(f"[bold red]error:[/] {SCRUBBER(str(exc))}", highlight=False)
        return int(ExitCode.USAGE)
    except KeyboardInterrupt:
        err_console().print("Interrupted.")
        return int(ExitCode.INTERRUPTED)
    except PermissionDenied as exc:
        console = err_console()
        console.print(f"[bold red]error:[/] {SCRUBBER(str(exc))}", highlight=False)
        if exc.manual:
            console.print("Ask someone with the rights to run this instead:", highlight=False)
            console.print(SCRUBBER(exc.manual), markup=False, highlight=False)
        return int(exc.exit_code)
    except AgentAuthError as exc:
        err_console().print(f"[bold red]error:[/] {SCRUBBER(str(exc))}", highlight=False)
        return int(exc.exit_code)
    except BrokenPipeError:
        return int(ExitCode.OK)
    except Exception as exc:
        log = _write_crash_log(exc)
        console = err_console()
        summary = scrub_urls(SCRUBBER(f"{type(exc).__name__}: {exc}"))
        console.print(f"[bold red]internal error:[/] {summary}", highlight=False)
        if _state["debug"]:
            text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            console.print(SCRUBBER(text), markup=False, highlight=False)
        if log:
            console.print(f"The redacted traceback is in {log}; please attach it to a bug report.")
        return int(ExitCode.INTERNAL)
    # NOTE: without standalone mode click returns typer.Exit's code instead of raising it.
    return result if isinstance(result, int) else int(ExitCode.OK)
