"""The ``init``, ``provision``, ``status``, ``revoke`` and ``log`` commands: thin glue."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from agentauth.cli import console
from agentauth.config.policy import POLICY_FILE, load_policy
from agentauth.errors import ExitCode, UsageError
from agentauth.model import Grant, GrantStatus, Policy, RevokeResult, Secret
from agentauth.project import cwd_root
from agentauth.providers.base import ProviderContext
from agentauth.state import auditlog
from agentauth.state.ledger import Ledger, grant_to_dict
from agentauth.state.secretstore import default_store


class Format(StrEnum):
    """Output formats of the provisioning commands."""

    TABLE = "table"
    JSON = "json"


_PROJECT = typer.Option(
    None,
    "--project",
    "-C",
    help="The project directory (default: the nearest folder up from here with agentauth.yaml).",
)
_POLICY = typer.Option(
    None, "--policy", help=f"The policy file (default: {POLICY_FILE} in the project)."
)
_GRANT_IDS = typer.Argument(None, help="Grant ids (see `agentauth status`).")
_FORMAT = typer.Option(Format.TABLE, "--format", help="Output format.")
_LOG_KEY = typer.Option(
    None, "--key", help="With --verify: the public key to trust (default: agentauth's own)."
)


def _out() -> Console:
    """Stdout console that never breaks a line (SQL and URLs must stay copyable)."""
    out = console.out_console()
    out.soft_wrap = True
    return out


def _err() -> Console:
    """Stderr console that never breaks a line."""
    err = console.err_console()
    err.soft_wrap = True
    return err


def _policy_path(root: Path, policy: Path | None) -> Path:
    return policy if policy is not None else root / POLICY_FILE


def _learn(ctx: ProviderContext) -> None:
    """Teach the error funnel every value this run knows, so no message can quote one."""
    for value in ctx.source_env.values():
        console.SCRUBBER.add(value)


def _warn(message: str) -> None:
    _err().print(f"[yellow]warning:[/] {escape(console.SCRUBBER(message))}", markup=True)


def _info(message: str) -> None:
    _err().print(console.SCRUBBER(message), markup=False, highlight=False)


def _relative(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "never"
    seconds = int((moment - now).total_seconds())
    if seconds == 0:
        return "now"
    past = seconds < 0
    seconds = abs(seconds)
    if seconds < 60:
        text = f"{seconds}s"
    elif seconds < 3600:
        text = f"{seconds // 60}m"
    elif seconds < 86400:
        text = f"{seconds // 3600}h{(seconds % 3600) // 60:02d}m"
    else:
        text = f"{seconds // 86400}d{(seconds % 86400) // 3600}h"
    return f"{text} ago" if past else f"in {text}"


def _context(root: Path, policy: Policy) -> ProviderContext:
    from agentauth.service.provision import build_context

    ctx = build_context(
        root, policy, prompter=console.TerminalPrompter(), store=default_store(), warn=_warn
    )
    _learn(ctx)
    return ctx


def _revoke_context(root: Path, policy_file: Path | None) -> ProviderContext:
    """Build a context for revoke: the policy if there is one, else defaults (revoke must work)."""
    path = _policy_path(root, policy_file)
    if path.exists():
        policy = load_policy(path)
    else:
        policy = Policy(
            agent="-", source=".env", output=".env.ai", ttl_seconds=3600, credentials=()
        )
    from agentauth.service.provision import build_context

    source_env: dict[str, Secret] | None = None
    if not (root / policy.source).exists():
        source_env = {}
    ctx = build_context(root, policy, source_env=source_env, store=default_store(), warn=_warn)
    _learn(ctx)
    return ctx


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
    project: Path | None = _PROJECT,
    policy: Path | None = _POLICY,
) -> None:
    """Write agentauth.yaml from the audit of your env file, with least-privilege defaults."""
    project = cwd_root(project)
    from agentauth.service.initpolicy import write_policy

    path = _policy_path(project, policy)
    result = write_policy(
        project, path, source=source, agent=agent, ttl=ttl, preset=preset, force=force
    )
    _info(f"wrote {path} ({len(result.entries)} credential entries; review it before provisioning)")
    for line in result.notes:
        _info(f"  {line}")
    _info("next: agentauth provision --dry-run")


# --------------------------------------------------------------------------- provision


def _plan_json(pplan: Any) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "dry_run": True,
        "agent": pplan.policy.agent,
        "plans": [
            {
                "variable": p.variable,
                "provider": p.provider,
                "grant": p.grant.id,
                "keep": p.keep,
                "replaces": p.replaces,
                "scope": p.grant.scope,
                "expires": p.grant.expires.isoformat() if p.grant.expires else None,
                "steps": [{"summary": s.summary, "detail": s.detail} for s in p.steps],
                "outputs": list(p.outputs),
                "warnings": list(p.warnings),
                "manual": p.manual,
            }
            for p in pplan.plans
        ],
        "env_file": pplan.policy.output,
        "env_diff": pplan.env_diff(),
        "passed": list(pplan.passed),
        "dropped": list(pplan.dropped),
        "copied": list(pplan.copied),
        "withheld": list(pplan.withheld),
        "warnings": list(pplan.warnings),
        "errors": [
            {"variable": e.variable, "provider": e.provider, "message": e.message}
            for e in pplan.errors
        ],
    }


def _show_errors(pplan: Any) -> None:
    """One ``error:`` line per entry that cannot be provisioned (and a DBA's SQL if any)."""
    err = _err()
    for e in pplan.errors:
        err.print(f"[bold red]error:[/] {escape(console.SCRUBBER(e.message))}", highlight=False)
        if e.manual:
            err.print("  Ask someone with the rights to run this instead:", highlight=False)
            for line in console.SCRUBBER(e.manual).splitlines():
                err.print(f"    {line}", markup=False, highlight=False)
    if len(pplan.errors) > 1:
        err.print(f"{len(pplan.errors)} entries cannot be provisioned; nothing was created.")


def _show_plan(pplan: Any, out: Any) -> None:
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
    policy: Path | None = _POLICY,
    fmt: Format = _FORMAT,
    project: Path | None = _PROJECT,
) -> None:
    """Create the scoped credentials of the policy and write .env.ai (ledger first)."""
    from agentauth.state.ledger import project_lock

    project = cwd_root(project)
    # NOTE: held across plan, apply and rotate, so parallel runs serialise.
    with project_lock(project):
        _provision(dry_run, yes, policy, fmt, project)


def _provision(
    dry_run: bool, yes: bool, policy: Path | None, fmt: Format, project: Path
) -> None:
    from agentauth.service.provision import apply, plan, preflight

    loaded = load_policy(_policy_path(project, policy))
    ctx = _context(project, loaded)
    pplan = plan(loaded, ctx)
    if dry_run:
        pplan = preflight(pplan, ctx)
    elif pplan.errors:
        _show_errors(pplan)
        raise typer.Exit(int(pplan.errors[0].error.exit_code))
    for p in pplan.plans:
        for value in p.private.values():
            if isinstance(value, Secret):
                console.SCRUBBER.add(value)
    for warning in pplan.warnings:
        _warn(warning)
    if fmt is Format.JSON and dry_run:
        console.write_report(json.dumps(_plan_json(pplan), indent=2), None)
        if pplan.errors:
            raise typer.Exit(int(pplan.errors[0].error.exit_code))
        return
    _show_plan(pplan, _out() if dry_run else _err())
    if dry_run:
        if pplan.errors:
            _show_errors(pplan)
            raise typer.Exit(int(pplan.errors[0].error.exit_code))
        return
    if any(not p.keep for p in pplan.plans) and not console.confirm("Apply this plan?", yes=yes):
        _info("Nothing changed.")
        raise typer.Exit(int(ExitCode.OK))
    result = apply(pplan, ctx, progress=_info)
    failed = [r for r in result.rotated if not r.ok]
    if fmt is Format.JSON:
        payload = {
            "schema_version": 1,
            "agent": loaded.agent,
            "created": [grant_to_dict(g) for g in result.created],
            "kept": [grant_to_dict(g) for g in result.kept],
            "rotated": [_result_dict(r) for r in result.rotated],
            "env_file": str(loaded.output),
            "written": list(result.written),
        }
        console.write_report(json.dumps(payload, indent=2), None)
    else:
        out = _out()
        for g in result.created:
            out.print(f"created {g.id}: {g.scope}, expires {_iso(g.expires)}", markup=False)
        for g in result.kept:
            out.print(f"kept    {g.id}: {g.scope}, expires {_iso(g.expires)}", markup=False)
        for r in result.rotated:
            out.print(f"revoked {r.grant_id} (rotated): {r.message}", markup=False)
        out.print(
            f"wrote {loaded.output} (0600, git-ignored): {', '.join(result.written) or 'nothing'}",
            markup=False,
        )
    if failed:
        _warn("some replaced grants could not be revoked; `agentauth revoke --all` retries them")
        raise typer.Exit(int(ExitCode.FINDINGS))


def _iso(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else "never"


def _result_dict(result: RevokeResult) -> dict[str, Any]:
    return {
        "grant": result.grant_id,
        "ok": result.ok and not result.still_valid,
        "status": "not revoked" if result.still_valid else ("revoked" if result.ok else "failed"),
        "message": result.message,
        "manual": result.manual,
    }


# --------------------------------------------------------------------------- status


def _status_label(grant: Grant, now: datetime) -> str:
    if grant.status is GrantStatus.ACTIVE and grant.expires is not None and grant.expires <= now:
        return "expired"
    return grant.status.value


def _status_all_projects(fmt: Format, show_all: bool) -> None:
    from agentauth.state.ledger import every_project

    now = datetime.now(UTC)
    items: list[dict[str, Any]] = []
    out = _out()
    shown = 0
    for entry in every_project():
        grants = [g for g in entry.grants if show_all or g.status is not GrantStatus.REVOKED]
        root = str(entry.project.root)
        if fmt is Format.JSON:
            for g in grants:
                item = grant_to_dict(g)
                item.update(project=root, project_id=entry.project.id)
                item["state"] = _status_label(g, now)
                items.append(item)
            continue
        if entry.error:
            _warn(f"{root}: {entry.error}")
        if not grants:
            continue
        shown += len(grants)
        out.print(f"{root}  (project {entry.project.id})", markup=False, highlight=False)
        for g in grants:
            label = _status_label(g, now) + ("" if g.revocable else " (manual revoke)")
            out.print(
                f"  {g.id}  {label}  {g.agent}  {g.provider}  {g.variable}  "
                f"expires {_relative(g.expires, now)}",
                markup=False,
                highlight=False,
            )
    if fmt is Format.JSON:
        console.write_report(json.dumps({"schema_version": 1, "grants": items}, indent=2), None)
    elif not shown:
        _info("No grants in any project.")


def status(
    fmt: Format = _FORMAT,
    show_all: bool = typer.Option(False, "--all", help="Include revoked grants."),
    all_projects: bool = typer.Option(
        False, "--all-projects", help="Every project's grants on this machine, not just this one."
    ),
    project: Path | None = _PROJECT,
) -> None:
    """List what is issued: agent, provider, scope, created, expires, status, requests."""
    from agentauth.service.requeststats import counts_by_grant, describe

    if all_projects:
        _status_all_projects(fmt, show_all)
        return
    project = cwd_root(project)
    now = datetime.now(UTC)
    grants = Ledger(project).grants()
    requests = counts_by_grant(auditlog.read(project))
    if not show_all:
        grants = [g for g in grants if g.status is not GrantStatus.REVOKED]
    if fmt is Format.JSON:
        items = []
        for g in grants:
            item = grant_to_dict(g)
            item["state"] = _status_label(g, now)
            if g.id in requests:
                item["requests"] = requests[g.id]
            item["expires_in_seconds"] = (
                int((g.expires - now).total_seconds()) if g.expires else None
            )
            items.append(item)
        console.write_report(json.dumps({"schema_version": 1, "grants": items}, indent=2), None)
        return
    if not grants:
        _info("No grants. `agentauth provision` issues some; `--all` shows revoked ones.")
        return
    out = _out()
    if out.width < 140:
        # NOTE: eight columns do not fit a normal terminal; a block per grant stays readable.
        for g in grants:
            label = _status_label(g, now) + ("" if g.revocable else " (manual revoke)")
            out.print(f"{g.id}  {label}  {g.agent}  {g.provider}  {g.variable}", markup=False)
            out.print(f"  scope:   {g.scope}", markup=False)
            if g.id in requests:
                out.print(f"  broker:  {describe(requests[g.id])}", markup=False)
            out.print(
                f"  created: {_relative(g.created, now)}   "
                f"expires: {_relative(g.expires, now)} ({_iso(g.expires)})",
                markup=False,
            )
        return
    table = Table(box=None, pad_edge=False)
    for column in ("ID", "AGENT", "PROVIDER", "VARIABLE", "SCOPE", "CREATED", "EXPIRES", "STATUS"):
        table.add_column(column, overflow="fold", no_wrap=column in ("ID", "PROVIDER", "STATUS"))
    for g in grants:
        expires = f"{_relative(g.expires, now)} ({_iso(g.expires)})"
        label = _status_label(g, now) + ("" if g.revocable else " (manual revoke)")
        table.add_row(
            g.id,
            g.agent,
            g.provider,
            g.variable,
            g.scope + (f" [{describe(requests[g.id])}]" if g.id in requests else ""),
            _relative(g.created, now),
            expires,
            label,
        )
    out.print(table)


# --------------------------------------------------------------------------- revoke


def revoke(
    grant_ids: list[str] | None = _GRANT_IDS,
    agent: str | None = typer.Option(None, "--agent", help="Every grant of this agent."),
    expired: bool = typer.Option(False, "--expired", help="Every expired grant."),
    everything: bool = typer.Option(False, "--all", help="Every grant of this project."),
    forget: bool = typer.Option(
        False,
        "--forget",
        help="Close the named grants without calling the provider (removed by hand).",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="List what would be revoked."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Revoke without asking."),
    policy: Path | None = _POLICY,
    fmt: Format = _FORMAT,
    project: Path | None = _PROJECT,
) -> None:
    """Remove issued credentials (idempotent); a failure is reported per grant and retried later.

    Exit 1 when a revocation failed (run it again to retry), 4 when a credential could
    not be revoked by any API and keeps working until you delete it by hand.
    """
    project = cwd_root(project)
    from agentauth.service.provision import (
        forget as forget_grants,
    )
    from agentauth.service.provision import (
        revoke_grants,
        select_grants,
        withdraw_passed,
    )

    ids = list(grant_ids or [])
    if forget and (not ids or agent or expired or everything):
        raise UsageError("--forget takes grant ids only: agentauth revoke --forget GRANT_ID")
    if not (ids or agent or expired or everything):
        raise UsageError("name what to revoke: GRANT_ID..., --agent NAME, --expired or --all")
    chosen = select_grants(
        Ledger(project).grants(),
        grant_ids=ids,
        agent=agent,
        expired=expired,
        everything=everything,
    )
    withdraw = agent is not None or everything
    if not chosen and not withdraw:
        _info("Nothing to revoke.")
        if fmt is Format.JSON:
            console.write_report(json.dumps({"schema_version": 1, "results": []}), None)
        return
    out = _out() if dry_run else _err()
    for g in chosen:
        out.print(f"{g.id}  {g.agent}  {g.provider}  {g.scope}  [{g.status.value}]", markup=False)
    if dry_run:
        return
    verb = "Forget" if forget else "Revoke"
    if chosen and not console.confirm(f"{verb} {len(chosen)} grant(s)?", yes=yes):
        _info("Nothing changed.")
        return
    ctx = _revoke_context(project, policy)
    results = forget_grants(ctx, ids) if forget else revoke_grants(ctx, chosen)
    withdrawn = withdraw_passed(ctx, None if everything else agent) if withdraw else []
    if not results and not withdrawn:
        _info("Nothing to revoke.")
    if fmt is Format.JSON:
        payload = {
            "schema_version": 1,
            "results": [_result_dict(r) for r in results],
            "withdrawn": withdrawn,
        }
        console.write_report(json.dumps(payload, indent=2), None)
    else:
        stdout = _out()
        for r in results:
            mark = "NOT REVOKED" if r.still_valid else ("revoked" if r.ok else "FAILED ")
            stdout.print(f"{mark} {r.grant_id}: {console.SCRUBBER(r.message)}", markup=False)
            if r.manual:
                stdout.print("  by hand:", markup=False)
                for line in console.SCRUBBER(r.manual).splitlines():
                    stdout.print(f"    {line}", markup=False)
        if withdrawn:
            stdout.print(
                f"removed from {ctx.policy.output} (pass): {', '.join(withdrawn)}; "
                "rotate them if the agent may have copied them",
                markup=False,
            )
    if any(not r.ok and not r.still_valid for r in results):
        raise typer.Exit(int(ExitCode.FINDINGS))
    if any(r.still_valid for r in results):
        _warn(
            "some credentials could not be revoked and keep working: delete them as shown, "
            "then `agentauth revoke --forget GRANT_ID`"
        )
        raise typer.Exit(int(ExitCode.NOT_REVOKED))


# --------------------------------------------------------------------------- log


def log(
    fmt: Format = _FORMAT,
    agent: str | None = typer.Option(None, "--agent", help="Only this agent's events."),
    event: str | None = typer.Option(
        None, "--event", help="Only events of this kind (request, run-start, mint, revoke...)."
    ),
    limit: int = typer.Option(50, "--limit", min=0, help="The last N events (0 = all)."),
    project: Path | None = _PROJECT,
    verify: bool = typer.Option(
        False, "--verify", help="Check the hash chain and the signed head; exit 1 if broken."
    ),
    key: Path | None = _LOG_KEY,
) -> None:
    """Show the audit log: every provision, mint, revoke, pass, drop, run and brokered request."""
    project = cwd_root(project)
    if verify:
        from agentauth.cli.delegate import verify_log

        verify_log(project, key, json_output=fmt is Format.JSON)
        return
    events = auditlog.read(project)
    if agent:
        events = [e for e in events if e.get("agent") == agent]
    if event:
        events = [e for e in events if e.get("event") == event]
    if limit:
        events = events[-limit:]
    if fmt is Format.JSON:
        console.write_report(json.dumps(events, indent=2), None)
        return
    if not events:
        _info("The audit log is empty.")
        return
    # NOTE: one line per event, like `git log --oneline`: greppable, and no column
    # squeezing on a narrow terminal (the console soft-wraps long lines).
    out = _out()
    skip = {"ts", "event", "agent", "grant", "variable", *auditlog.CHAIN_FIELDS}
    for e in events:
        detail = ", ".join(
            f"{k}={v}" for k, v in e.items() if k not in skip and v not in (None, [], "")
        )
        head = "  ".join(
            str(e.get(k) or "-") for k in ("ts", "event", "agent", "grant", "variable")
        )
        out.print(f"{head}  {console.SCRUBBER(detail)}".rstrip(), markup=False)


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

_STATUS_EPILOG = """\
[bold]Examples[/]

  agentauth status                    [dim]# live grants of this project[/]

  agentauth status --all --format json   [dim]# revoked ones too, machine-readable[/]
"""

_REVOKE_EPILOG = """\
[bold]Examples[/]

  agentauth revoke --agent claude-code --yes   [dim]# everything issued to one agent[/]

  agentauth revoke pg-3f9c2a1b                 [dim]# one grant, by the id `status` shows[/]

  agentauth revoke --expired --yes             [dim]# from cron (MySQL/Redis never expire)[/]

  agentauth revoke --all --dry-run             [dim]# what would be removed[/]
"""

_LOG_EPILOG = """\
[bold]Examples[/]

  agentauth log --agent claude-code --limit 20

  agentauth log --event request   [dim]# what the agent called through the broker[/]

  agentauth log --format json | jq '.[] | select(.event == "revoke")'

  agentauth log --verify        [dim]# exit 1 naming the record edited, removed or cut off[/]
"""


def register(app: typer.Typer) -> None:
    """Add the commands of this module to ``app``."""
    app.command("init", epilog=_INIT_EPILOG)(init)
    app.command("provision", epilog=_PROVISION_EPILOG)(provision)
    app.command("status", epilog=_STATUS_EPILOG)(status)
    app.command("revoke", epilog=_REVOKE_EPILOG)(revoke)
    app.command("log", epilog=_LOG_EPILOG)(log)
