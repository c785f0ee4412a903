"""The ``run``, ``lock``, ``unlock``, ``guard``, ``guard-hook`` and ``doctor`` commands.

``run`` and ``guard-hook`` normally start through the fast path in
:mod:`agentauth.launch`; the definitions here give them ``--help`` and usage errors
and serve every invocation the fast path hands over.
"""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from agentauth.agents.registry import AGENTS
from agentauth.cli import console

_RUN_HELP = """Start CMD with only the agent's scoped credentials.

The child gets a small allowlist of your environment (PATH, HOME, USER, SHELL,
TERM, LANG/LC_*, TMPDIR, SSH_AUTH_SOCK, proxies) minus anything that is a
credential, the variables of .env.ai, and the short-lived credentials minted for
this run (AWS sessions, GitHub installation tokens), plus AGENTAUTH_AGENT and
AGENTAUTH_EXPIRATION. Signals are forwarded; the exit code is CMD's (128+N when a
signal killed it).

Write CMD after `--` so that its own flags are not read as ours:

  agentauth run -- claude
  agentauth run --agent codex --allow OPENAI_API_KEY -- codex
  agentauth run --human -- npm run dev      # your own process, .env resolved from the keyring
"""


_LOCK_EPILOG = """\
[bold]Examples[/]

  agentauth lock --dry-run        [dim]# show which values would move to the keyring[/]

  agentauth lock --yes            [dim]# move them; .env keeps agentauth-keyring: references[/]

  agentauth run --human -- npm run dev   [dim]# your own processes get the real values[/]
"""

_GUARD_EPILOG = """\
[bold]Examples[/]

  agentauth guard --dry-run               [dim]# the diff for every agent tool found here[/]

  agentauth guard --tool claude --yes     [dim]# only Claude Code's .claude/settings.json[/]
"""

_DOCTOR_EPILOG = """\
[bold]Examples[/]

  agentauth doctor                  [dim]# keyring, guarded tools, files at risk, expiry[/]

  agentauth doctor --format json    [dim]# for scripts[/]
"""


_TOOL_NAMES = ", ".join(AGENTS)


class DoctorFormat(StrEnum):
    """Output formats of ``doctor``."""

    text = "text"
    json = "json"


def run_command(ctx: typer.Context) -> None:
    """Start CMD with only the agent's scoped credentials."""
    from agentauth.cli import runargs
    from agentauth.cli.runentry import run_argv

    # NOTE: click swallows a `--` it meets among options; the one parser must see the
    # words as typed (`run --strict -- -cmd`), so they are taken from sys.argv when
    # this process was started as `agentauth [global flags] run ...`.
    _flags, rest = runargs.after_globals(sys.argv[1:])
    argv = rest[1:] if rest[:1] == ["run"] else list(ctx.args)
    raise typer.Exit(run_argv(argv))


def _project_root() -> Path:
    from agentauth.project import cwd_root

    return cwd_root()


def _source_file(root: Path, file: Path | None) -> Path:
    if file is not None:
        return file if file.is_absolute() else Path(os.getcwd()) / file
    from agentauth.service.runstate import RunCache, policy_summary
    from agentauth.state import paths

    summary = policy_summary(root, RunCache(paths.project_dir(root)))
    return root / summary.source


def lock_command(
    variables: Annotated[
        list[str] | None,
        typer.Argument(help="Only these variables (default: every secret in the file)."),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file", "-f", help="The env file (default: the policy's source, else .env)."
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the change and stop.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Move your own secrets out of .env into the OS keyring, leaving references behind."""
    from agentauth.errors import ConfigError
    from agentauth.service import lock
    from agentauth.state.secretstore import default_store

    root = _project_root()
    path = _source_file(root, file)
    if not path.exists():
        raise ConfigError(f"{path} does not exist; name the env file with --file")
    lock.require_secure_backend()
    plan = lock.plan_lock(root, path, only=variables or ())
    err = console.err_console()
    if plan.empty:
        err.print(f"Nothing to lock: {path.name} holds no secret values.", markup=False)
        raise typer.Exit(0)
    for line in lock.render_diff(plan):
        print(line)
    for note in plan.notes:
        err.print(f"warning: {note}", markup=False)
    if dry_run:
        err.print(f"Dry run: {len(plan.items)} value(s) would move to the keyring.", markup=False)
        raise typer.Exit(0)
    if not console.confirm(f"Move {len(plan.items)} value(s) to the OS keyring?", yes=yes):
        raise typer.Exit(1)
    locked = lock.apply_lock(plan, default_store(), project_root=root)
    err.print(
        f"Locked {len(locked)} value(s) in {path.name}: {', '.join(locked)}.\n"
        "Your own processes: agentauth run --human -- <command>. "
        "Undo: agentauth unlock.",
        markup=False,
    )


def unlock_command(
    variables: Annotated[list[str] | None, typer.Argument(help="Only these variables.")] = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="The env file.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the change and stop.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    keep: Annotated[
        bool, typer.Option("--keep", help="Keep the keyring entries afterwards.")
    ] = False,
) -> None:
    """Put locked values back into .env (plaintext again) and delete them from the keyring."""
    from agentauth.errors import ConfigError
    from agentauth.service import lock
    from agentauth.state.secretstore import default_store

    root = _project_root()
    path = _source_file(root, file)
    if not path.exists():
        raise ConfigError(f"{path} does not exist; name the env file with --file")
    lock.require_secure_backend()
    store = default_store()
    plan = lock.plan_unlock(root, path, store, only=variables or ())
    err = console.err_console()
    if plan.empty:
        err.print(f"Nothing to unlock: {path.name} holds no keyring references.", markup=False)
        raise typer.Exit(0)
    for line in lock.render_diff(plan, unlock=True):
        print(line)
    if dry_run:
        raise typer.Exit(0)
    if not console.confirm(
        f"Write {len(plan.items)} secret value(s) back into {path.name}?", yes=yes
    ):
        raise typer.Exit(1)
    done = lock.apply_unlock(plan, store, project_root=root, forget=not keep)
    err.print(f"Unlocked {', '.join(done)} in {path.name}.", markup=False)


def guard_command(
    tool: Annotated[
        list[str] | None,
        typer.Option("--tool", "-t", help=f"{_TOOL_NAMES} or all (default: the tools in use)."),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the diff and stop.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    local: Annotated[
        bool,
        typer.Option("--local", help="Claude: write .claude/settings.local.json (not shared)."),
    ] = False,
    sandbox: Annotated[
        bool, typer.Option("--sandbox", help="Claude: also turn the sandbox on.")
    ] = False,
    mcp: Annotated[
        bool, typer.Option("--mcp/--no-mcp", help="Rewrite MCP servers with secrets.")
    ] = True,
) -> None:
    """Write the agent tools' deny settings and route MCP servers through agentauth run."""
    from agentauth.errors import UsageError
    from agentauth.service import guard

    root = _project_root()
    chosen = list(tool or ())
    if "all" in chosen:
        tools = list(guard.TOOLS)
    elif chosen:
        tools = list(dict.fromkeys(chosen))
    else:
        tools = guard.detect_tools(root)
        if not tools:
            raise UsageError(
                "no agent tool found (their project or user settings, or the binaries); "
                f"name one with --tool {_TOOL_NAMES.replace(', ', '|')}|all"
            )
    plan = guard.plan(root, tools, local=local, sandbox=sandbox, mcp=mcp)
    err = console.err_console()
    for note in plan.notes:
        err.print(f"note: {note}", markup=False)
    if plan.empty:
        err.print(f"Nothing to change: {', '.join(tools)} already guarded.", markup=False)
        raise typer.Exit(0)
    sys.stdout.write(guard.render_diff(plan))
    for change in plan.changes:
        for line in change.summary:
            err.print(f"{change.relative}: {line}", markup=False)
    if dry_run:
        raise typer.Exit(0)
    if not console.confirm(f"Write {len(plan.changes)} file(s)?", yes=yes):
        raise typer.Exit(1)
    written = guard.apply(plan)
    err.print(f"Wrote {', '.join(written)}.", markup=False)


def guard_hook_command() -> None:
    """Claude Code PreToolUse hook: exit 2 (block) when a tool call would read credentials."""
    from agentauth.agents.claude_hook import run_hook

    raise typer.Exit(run_hook(sys.stdin, sys.stderr))


def doctor_command(
    fmt: Annotated[
        DoctorFormat, typer.Option("--format", help="text or json.")
    ] = DoctorFormat.text,
) -> None:
    """Check the keyring, agent tools, env files at risk and expired grants."""
    from agentauth.service import doctor

    report = doctor.diagnose(Path(os.getcwd()))
    if fmt is DoctorFormat.json:
        console.write_report(json.dumps(report.to_json(), indent=2), None)
    else:
        out = console.out_console()
        out.soft_wrap = True  # NOTE: a check's fix is a shell command: never broken across lines
        marks = {"ok": "ok  ", "warn": "warn", "fail": "FAIL", "info": "info"}
        out.print(f"agentauth doctor: {report.root}", markup=False)
        for check in report.checks:
            out.print(f"  [{marks.get(check.status, check.status)}] {check.summary}", markup=False)
            if check.fix and check.status in ("warn", "fail"):
                out.print(f"         fix: {check.fix}", markup=False)
    raise typer.Exit(1 if report.failed else 0)


def _run_options() -> str:
    from agentauth.cli.runargs import options_help

    return options_help()


def register(app: typer.Typer) -> None:
    """Add the commands of this module to ``app``."""
    app.command(
        "run",
        help=console.prose(_RUN_HELP) + "\n\nOptions (before CMD):\n\n" + _run_options(),
        add_help_option=True,
        context_settings={
            "allow_extra_args": True,
            "ignore_unknown_options": True,
            "allow_interspersed_args": False,
        },
    )(run_command)
    app.command("lock", epilog=_LOCK_EPILOG)(lock_command)
    app.command("unlock")(unlock_command)
    app.command("guard", epilog=_GUARD_EPILOG)(guard_command)
    app.command("guard-hook", hidden=True)(guard_hook_command)
    app.command("doctor", epilog=_DOCTOR_EPILOG)(doctor_command)
