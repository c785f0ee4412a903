"""The console-script entry point: ``run``, ``check``, ``audit``, ``guard-hook`` skip typer.

Why this exists outside the typer app: importing typer and rich costs more than
``agentauth run -- CMD`` may add to CMD's start (under 100 ms), and the Claude Code
hook runs before every tool call. This module only routes: ``run``'s body is
:func:`agentauth.cli.runentry.run_argv`, which the typer command calls too (nothing in
the CLI imports this module, so routing here never makes a cycle). ``run`` is parsed
by the one parser in :mod:`agentauth.cli.runargs`, reports through the one observer in
:mod:`agentauth.cli.stderr`, and fails through the one funnel in
:mod:`agentauth.cli.funnel`, exactly as the typer command does. Anything else
(a command's ``--help``, every other command) goes to the typer app. ``check`` and
``audit`` are read by :mod:`agentauth.cli.scanargs` and run by the bodies the typer
commands call (:mod:`agentauth.cli.scanrun`); a command line that parser does not
accept goes to the typer app, which words the error. The top-level
``--help`` is printed from :mod:`agentauth.cli.commands`, the table the app's own
listing comes from.
"""

from __future__ import annotations

import sys


def main() -> int:
    """Route ``run``, ``check``, ``audit``, ``guard-hook`` to fast paths; the rest to typer."""
    from agentauth.cli import runargs

    flags, rest = runargs.after_globals(sys.argv[1:])
    if rest[:1] == ["run"] and not runargs.wants_help(rest[1:]):
        from agentauth.cli import funnel, runentry, stderr

        stderr.configure(no_color="--no-color" in flags)
        funnel.configure(debug="--debug" in flags)
        return runentry.run_argv(rest[1:])
    if rest in (["--help"], ["-h"]) and not flags:
        from agentauth.cli import commands

        sys.stdout.write(commands.render())
        return 0
    if rest[:1] in (["check"], ["audit"]):  # NOTE: --help is no option of the fast parser
        from agentauth.cli import scanrun

        code = scanrun.run_argv(rest[0], rest[1:], flags)
        if code is not None:
            return code
    if rest == ["guard-hook"]:
        from agentauth.agents.claude_hook import run_hook

        return run_hook(sys.stdin, sys.stderr)
    from agentauth.cli.app import main as full_cli

    return full_cli()
