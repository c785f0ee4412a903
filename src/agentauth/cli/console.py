"""Terminal plumbing shared by every command: consoles, output files, prompts, the error funnel.

Reports go to stdout (or ``--output``); summaries, progress and warnings go to stderr.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING

from agentauth.cli import funnel, stderr
from agentauth.errors import AgentAuthError, ExitCode, NonInteractiveError
from agentauth.secret import Secret

if TYPE_CHECKING:
    import typer
    from rich.console import Console

_state: dict[str, bool] = {"no_color": False}


class _Scrubber:
    """The funnel's scrubber, created on first use (it imports the redaction rules)."""

    def add(self, value: Secret | str) -> None:
        """Learn a value to mask in every message."""
        funnel.scrubber().add(value)

    def __call__(self, text: str) -> str:
        """Return ``text`` with every learned value masked."""
        return funnel.scrub(text)


SCRUBBER = _Scrubber()
"""Values the current process has learned (loaded env files); scrubbed from any error text."""


def configure(*, debug: bool, no_color: bool) -> None:
    """Remember the global flags for the consoles created after this call."""
    _state["no_color"] = no_color or bool(os.environ.get("NO_COLOR"))
    funnel.configure(debug=debug)
    stderr.configure(no_color=no_color)


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
    """Return a console on stderr honouring --no-color, NO_COLOR and TERM=dumb.

    Its lines are never hard-wrapped (``soft_wrap``): a message on stderr carries shell
    commands, hook paths, URLs and SQL that must stay copyable at any width; the
    terminal folds a long line itself. rich is imported here, not at the top: ``check``
    and ``audit`` start through the typer-free fast path and print a table only when
    there is one to print.
    """
    from rich.console import Console

    return Console(stderr=True, no_color=_state["no_color"], highlight=False, soft_wrap=True)


def out_console(file: IO[str] | None = None) -> Console:
    """Return a console for reports (stdout, or ``file``)."""
    from rich.console import Console

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
    """Return True when --yes was given or the human says yes; refuse without a terminal.

    End of input (Ctrl-D) is a "no"; the callers exit 1 for a declined confirmation.
    """
    if yes:
        return True
    if not is_interactive():
        raise NonInteractiveError(
            f"{message} needs confirmation and there is no terminal; pass --yes to proceed."
        )
    sys.stderr.write(f"{message} [y/N]: ")
    sys.stderr.flush()
    answer = sys.stdin.readline()
    if not answer:  # end of input: nobody said yes
        sys.stderr.write("\n")
        return False
    return answer.strip().lower() in ("y", "yes")


class TerminalPrompter:
    """The :class:`agentauth.providers.base.Prompter` of the real terminal."""

    def secret(self, message: str) -> Secret:
        """Read a pasted secret: hidden prompt on a terminal, one line of stdin otherwise."""
        if sys.stdin.isatty():
            import getpass

            try:
                value = getpass.getpass(f"{message}: ", stream=sys.stderr)
            except EOFError:
                # NOTE: Ctrl-D is "no value", not an interrupt: exit 2, not 130.
                raise NonInteractiveError(f"{message}: no value entered (end of input)") from None
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
        # NOTE: err_console soft-wraps: a manual step's URL or command stays one line.
        err_console().print(message, markup=False)


def run_app(app: typer.Typer) -> int:
    """Run ``app`` and map every outcome to an exit code; no traceback reaches the user.

    Typer's own outcomes (its Exit, Abort and usage errors) are handled here; every
    other exception goes to the one funnel, :func:`agentauth.cli.funnel.handle`.
    """
    try:
        return _run_app(app)
    finally:
        funnel.keyring_notice(sys.argv[1:])


def _run_app(app: typer.Typer) -> int:
    import typer

    try:
        result = app(standalone_mode=False)
    # NOTE: typer >= 0.26 vendors click: its Exit, Abort and usage errors (unknown option,
    # bad choice, BadParameter) are typer's classes, not the click package's.
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        return funnel.handle(KeyboardInterrupt())
    except typer.TyperException as exc:
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            funnel.error(str(exc))
        return int(ExitCode.USAGE)
    except (Exception, KeyboardInterrupt) as exc:
        return funnel.handle(exc)
    # NOTE: without standalone mode click returns typer.Exit's code instead of raising it.
    return result if isinstance(result, int) else int(ExitCode.OK)
