"""The ``init`` and ``provision`` commands: parse, call the use case, render.

The plan and result documents are :mod:`agentauth.report.grants`; the policy, the
providers' context and the ledger are the services' (:mod:`agentauth.service.grants`,
:mod:`agentauth.service.provision`). Heavy modules are imported inside the commands,
so building the app for another command (or ``--help``) does not load them.
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from agentauth.cli import console
from agentauth.errors import ExitCode, UsageError
from agentauth.project import POLICY_FILE, cwd_root

if TYPE_CHECKING:
    from rich.console import Console

    from agentauth.service.provision import ProvisionPlan


class Format(StrEnum):
    """Output formats of the provisioning commands."""

    TABLE = "table"
    JSON = "json"


PROJECT = typer.Option(
    None,
    "--project",
    "-C",
    help="The project directory (default: the nearest folder up from here with agentauth.yaml).",
)
POLICY = typer.Option(
    None, "--policy", help=f"The policy file (default: {POLICY_FILE} in the project)."
)
FORMAT = typer.Option(Format.TABLE, "--format", help="Output format.")


def out() -> Console:
    """Stdout console that never breaks a line (SQL and URLs must stay copyable)."""
    stdout = console.out_console()
    stdout.soft_wrap = True
    return stdout


def err() -> Console:
    """Stderr console that never breaks a line (:func:`console.err_console` soft-wraps)."""
    return console.err_console()


def warn(message: str) -> None:
    """Print a scrubbed warning on stderr."""
    err().print(f"[yellow]warning:[/] {escape(console.SCRUBBER(message))}", markup=True)


def info(message: str) -> None:
    """Print a scrubbed message on stderr."""
    err().print(console.SCRUBBER(message), markup=False, highlight=False)


def iso(moment: datetime | None) -> str:
    """A time as ISO-8601 to the second, or ``never``."""
    return moment.isoformat(timespec="seconds") if moment else "never"


# --------------------------------------------------------------------------- init


def init(
    preset: str = typer.Option(
        None,
        "--preset",
        help="Start from a preset: code-review, db-query, support, deploy-staging.",
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing policy file."),
    source: str = typer.Option(".env", "--source", help="The env file with your own credentials."),
    agent: str = typer.Option("claude-code", "--agent", help="The agent's name (in role names)."),
    ttl: str = typer.Option("8h", "--ttl", help="Lifetime of what is issued, like 8h or 30m."),
    project: Path | None = PROJECT,
    policy: Path | None = POLICY,
) -> None:
    """Write agentauth.yaml from the audit of your env file, with least-privilege defaults."""
    project = cwd_root(project)
    from agentauth.service import grants as service
    from agentauth.service.initpolicy import write_policy

    path = service.policy_path(project, policy)
    result = write_policy(
        project, path, source=source, agent=agent, ttl=ttl, preset=preset, force=force
    )
    count = len(result.entries)
    entries = "1 credential entry" if count == 1 else f"{count} credential entries"
    info(f"wrote {path} ({entries}; review it before provisioning)")
    for line in result.notes:
        info(f"  {line}")
    info("next: agentauth provision --dry-run")


# --------------------------------------------------------------------------- provision


def _show_errors(pplan: ProvisionPlan) -> None:
    """One ``error:`` line per entry that cannot be provisioned (and a DBA's SQL if any)."""
    stderr = err()
    for e in pplan.errors:
        stderr.print(f"[bold red]error:[/] {escape(console.SCRUBBER(e.message))}", highlight=False)
        if e.manual:
            stderr.print("  Ask someone with the rights to run this instead:", highlight=False)
            for line in console.SCRUBBER(e.manual).splitlines():
                stderr.print(f"    {line}", markup=False, highlight=False)
    if len(pplan.errors) > 1:
        stderr.print(f"{len(pplan.errors)} entries cannot be provisioned; nothing was created.")


def _show_plan(pplan: ProvisionPlan, out: Console) -> None:
    for p in pplan.plans:
        tag = "keep" if p.keep else ("rotate" if p.replaces else "create")
        out.print(f"[bold]{escape(p.variable)}[/] ({escape(p.provider)}, {tag})", markup=True)
        for step in p.steps:
            out.print(f"  {step.summary}", markup=False)
            if step.detail:
                for line in step.detail.splitlines():
                    out.print(f"    {line}", markup=False)
        if p.replaces:
            out.print(f"  then revoke the grant it replaces: {p.replaces}", markup=False)
        if p.manual:
            out.print(f"  manual step: {p.manual}", markup=False)
    for label, names in (
        ("pass (copied as is, logged)", pplan.passed),
        ("drop (named in the policy)", pplan.dropped),
        ("copied (not credentials)", pplan.copied),
        ("withheld (credentials the policy does not name)", pplan.withheld),
    ):
        if names:
            out.print(f"{label}: {', '.join(names)}", markup=False)
    out.print(f"[bold]{escape(str(pplan.policy.output))}[/] (values masked):", markup=True)
    for line in pplan.env_diff():
        out.print(f"  {line}", markup=False)


def provision(
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the plan; change nothing."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Apply without asking."),
    detailed_exitcode: bool = typer.Option(
        False,
        "--detailed-exitcode",
        help="With --dry-run: exit 2 when changes are pending, 0 when none (as terraform).",
    ),
    policy: Path | None = POLICY,
    fmt: Format = FORMAT,
    project: Path | None = PROJECT,
) -> None:
    """Create the scoped credentials of the policy and write .env.ai (ledger first)."""
    from agentauth.state.ledger import project_lock

    if detailed_exitcode and not dry_run:
        raise UsageError("--detailed-exitcode goes with --dry-run")
    project = cwd_root(project)
    # NOTE: held across plan, apply and rotate, so parallel runs serialise.
    with project_lock(project):
        _provision(dry_run, yes, detailed_exitcode, policy, fmt, project)


def _provision(
    dry_run: bool,
    yes: bool,
    detailed_exitcode: bool,
    policy: Path | None,
    fmt: Format,
    project: Path,
) -> None:
    from agentauth.report import grants as docs
    from agentauth.secret import Secret
    from agentauth.service import grants as service
    from agentauth.service.context import secret_values
    from agentauth.service.provision import apply, plan, preflight
    from agentauth.state.secretstore import default_store

    said: set[str] = set()

    def warn_once(message: str) -> None:
        # NOTE: a provider may warn ahead (preflight) and again when it happens (apply).
        if message not in said:
            said.add(message)
            warn(message)

    loaded = service.load(project, policy)
    ctx = service.provision_context(project, loaded, prompter=console.TerminalPrompter(),
                                    store=default_store(), warn=warn_once)  # fmt: skip
    for value in secret_values(ctx):
        console.SCRUBBER.add(value)
    pplan = plan(loaded, ctx)
    stop = pplan.errors if not dry_run else [e for e in pplan.errors if e.in_policy]
    if stop and not (dry_run and fmt is Format.JSON):
        # NOTE: a policy error stops the dry run as it stops provision: no plan, no empty
        # ".env.ai" header. Errors of the world (an unreachable host) are shown with the plan.
        _show_errors(pplan)
        raise typer.Exit(int(pplan.errors[0].error.exit_code))
    if dry_run:
        pplan = preflight(pplan, ctx)
    for p in pplan.plans:
        for value in p.private.values():
            if isinstance(value, Secret):
                console.SCRUBBER.add(value)
    for warning in pplan.warnings:
        warn_once(warning)
    if dry_run:
        doc = docs.provision_plan(
            loaded.agent, pplan.plans, env_file=loaded.output, env_diff=pplan.env_diff(),
            names={"passed": pplan.passed, "dropped": pplan.dropped, "copied": pplan.copied,
                   "withheld": pplan.withheld},
            warnings=pplan.warnings,
            errors=[(e.variable, e.provider, e.message) for e in pplan.errors],
        )  # fmt: skip
        if fmt is Format.JSON:
            console.write_report(json.dumps(doc, indent=2), None)
        else:
            _show_plan(pplan, out())
            if pplan.errors:
                _show_errors(pplan)
        if pplan.errors:
            raise typer.Exit(int(pplan.errors[0].error.exit_code))
        raise typer.Exit(2 if detailed_exitcode and doc["changes_pending"] else 0)
    if fmt is not Format.JSON:
        _show_plan(pplan, err())
    if any(not p.keep for p in pplan.plans) and not console.confirm("Apply this plan?", yes=yes):
        info("Declined; nothing changed.")
        raise typer.Exit(int(ExitCode.FINDINGS))
    result = apply(pplan, ctx, progress=info)
    failed = [r for r in result.rotated if not r.ok]
    if fmt is Format.JSON:
        payload = docs.provision_result(loaded.agent, result.created, result.kept, result.rotated,
                                        str(loaded.output), result.written)  # fmt: skip
        console.write_report(json.dumps(payload, indent=2), None)
    else:
        stdout = out()
        for g in result.created:
            stdout.print(f"created {g.id}: {g.scope}, expires {iso(g.expires)}", markup=False)
        for g in result.kept:
            stdout.print(f"kept    {g.id}: {g.scope}, expires {iso(g.expires)}", markup=False)
        for r in result.rotated:
            stdout.print(f"revoked {r.grant_id} (rotated): {r.message}", markup=False)
        stdout.print(
            f"wrote {loaded.output} (0600, git-ignored): {', '.join(result.written) or 'nothing'}",
            markup=False,
        )
    if failed:
        warn("some replaced grants could not be revoked; `agentauth revoke --all` retries them")
        raise typer.Exit(int(ExitCode.FINDINGS))


_INIT_EPILOG = """\
[bold]Examples[/]

  agentauth init --agent claude-code         [dim]# databases read-only, the rest drop[/]

  agentauth init --preset db-query --force   [dim]# see docs/policy.md for the presets[/]
"""

_PROVISION_EPILOG = """\
[bold]Examples[/]

  agentauth provision --dry-run   [dim]# exact SQL / IAM JSON / permissions, .env.ai diff[/]

  agentauth provision             [dim]# asks for confirmation on a terminal[/]

  agentauth provision --yes       [dim]# in scripts, no prompt[/]
"""


def register(app: typer.Typer) -> None:
    """Add the commands of this module to ``app``."""
    app.command("init", epilog=_INIT_EPILOG)(init)
    app.command("provision", epilog=_PROVISION_EPILOG)(provision)
