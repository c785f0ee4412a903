"""The console-script entry point: ``run`` and ``guard-hook`` start without loading the full CLI.

Why this exists outside ``agentauth.cli``: importing that package loads typer and
rich (about 130 ms here), and ``agentauth run -- CMD`` must add under 100 ms to
CMD's start; the Claude Code hook runs before every tool call. This module parses
exactly the flags of those two commands by hand; anything else (``--help``, an
unknown flag, every other command) goes to the full CLI, which also owns the error
funnel. It is part of the CLI layer: it writes to stderr and returns exit codes.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

# Flags of `agentauth run`, kept in step with cli/runner.py (a test compares them).
RUN_VALUE_FLAGS = ("--agent", "--inherit", "--allow", "--env")
RUN_BOOL_FLAGS = ("--strict", "--human", "--allow-nested", "--verbose", "-v")


def parse_run(argv: Sequence[str]) -> object | None:
    """Parse ``run``'s arguments into a RunRequest, or None to let the full CLI handle them."""
    from agentauth.service.run import INHERIT_MODES, RunRequest

    values: dict[str, list[str]] = {flag: [] for flag in RUN_VALUE_FLAGS}
    bools: set[str] = set()
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            i += 1
            break
        if not arg.startswith("-") or arg == "-":
            break
        name, eq, inline = arg.partition("=")
        if name in RUN_VALUE_FLAGS:
            if eq:
                values[name].append(inline)
            elif i + 1 < len(argv):
                i += 1
                values[name].append(argv[i])
            else:
                return None
        elif arg in RUN_BOOL_FLAGS:
            bools.add("--verbose" if arg == "-v" else arg)
        else:
            return None
        i += 1
    command = tuple(argv[i:])
    if not command:
        return None
    if len(values["--agent"]) > 1 or len(values["--inherit"]) > 1:
        return None
    inherit = values["--inherit"][0] if values["--inherit"] else "core"
    if inherit not in INHERIT_MODES:
        return None
    refs = []
    for item in values["--env"]:
        variable, eq, reference = item.partition("=")
        if not eq or not variable:
            return None
        refs.append((variable, reference))
    return RunRequest(
        command=command,
        cwd=Path(os.getcwd()),
        agent=values["--agent"][0] if values["--agent"] else None,
        inherit=inherit,
        allow=tuple(values["--allow"]),
        strict="--strict" in bools,
        human="--human" in bools,
        allow_nested="--allow-nested" in bools,
        verbose="--verbose" in bools,
        refs=tuple(refs),
    )


class StderrObserver:
    """Prints ``run``'s warnings (always) and details (with ``-v``) on stderr."""

    def warn(self, message: str) -> None:
        """Print a warning line."""
        sys.stderr.write(f"agentauth: warning: {message}\n")
        sys.stderr.flush()

    def verbose(self, message: str) -> None:
        """Print a detail line."""
        sys.stderr.write(f"agentauth: {message}\n")
        sys.stderr.flush()


def _run(request: object) -> int:
    from agentauth.errors import AgentAuthError, ExitCode
    from agentauth.service import run

    assert isinstance(request, run.RunRequest)
    try:
        return run.execute(request, StderrObserver())
    except AgentAuthError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return int(exc.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        return int(ExitCode.INTERRUPTED)
    except Exception as exc:
        from agentauth.cli import console

        path = console._write_crash_log(exc)
        sys.stderr.write(f"internal error: {type(exc).__name__}\n")
        if path:
            sys.stderr.write(
                f"The redacted traceback is in {path}; please attach it to a bug report.\n"
            )
        return int(ExitCode.INTERNAL)


def _guard_hook() -> int:
    import json

    from agentauth.agents.claude_hook import check

    try:
        event = json.loads(sys.stdin.read() or "{}")
    except (ValueError, OSError):
        return 0
    if not isinstance(event, dict):
        return 0
    reason = check(event)
    if reason is None:
        return 0
    sys.stderr.write(reason + "\n")
    return 2


def main() -> int:
    """Route ``run`` and ``guard-hook`` to their fast paths, everything else to the full CLI."""
    argv = sys.argv[1:]
    if argv[:1] == ["run"]:
        request = parse_run(argv[1:])
        if request is not None:
            return _run(request)
    elif argv == ["guard-hook"]:
        return _guard_hook()
    from agentauth.cli import main as full_cli

    return full_cli()
