"""The ``status``, ``revoke`` and ``log`` commands: what was issued, taking it back, the record.

Reads go through :mod:`agentauth.service.grants`; the JSON documents are
:mod:`agentauth.report.grants`. Times are shown relative and ISO
(:mod:`agentauth.clock`); a revoked grant never "expires in" anything.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from agentauth.cli import console
from agentauth.cli.provision import FORMAT, POLICY, PROJECT, Format, err, info, iso, out, warn
from agentauth.errors import ExitCode, UsageError
from agentauth.project import cwd_root

if TYPE_CHECKING:
    from agentauth.model import Grant

_GRANT_IDS = typer.Argument(None, help="Grant ids (see `agentauth status`).")
_LOG_KEY = typer.Option(
    None, "--key", help="With --verify: the public key to trust (default: agentauth's own)."
)


def _relative(moment: datetime | None, now: datetime) -> str:
    from agentauth.clock import relative

    return relative(None if moment is None else (moment - now).total_seconds())


def _expires(grant: Grant, now: datetime) -> str:
    """The EXPIRES cell: relative and ISO while it can expire; never "in ..." once revoked."""
    from agentauth.model import GrantStatus

    if grant.status is GrantStatus.REVOKED:
        return "revoked"
    if grant.expires is None:
        return "never"
    return f"{_relative(grant.expires, now)} ({iso(grant.expires)})"


def _revocable(grant: Grant) -> str:
    """The REVOCABLE cell: whether ``agentauth revoke`` removes it, or a human must."""
    return "yes" if grant.revocable else "manual revoke"


def _label(grant: Grant, now: datetime) -> str:
    from agentauth.model import NOT_REVOKED
    from agentauth.report.grants import state

    now_state = state(grant, now)
    manual = not grant.revocable and now_state != NOT_REVOKED  # NOTE: "not revoked" says it
    return now_state + (" (manual revoke)" if manual else "")


# --------------------------------------------------------------------------- status


def _status_all_projects(fmt: Format, show_all: bool) -> None:
    from agentauth.report import grants as docs
    from agentauth.service import grants as service

    now = datetime.now(UTC)
    items: list[dict[str, Any]] = []
    stdout = out()
    shown = 0
    for entry in service.every_project():
        grants = service.visible(entry.grants, include_revoked=show_all)
        root = str(entry.project.root)
        if fmt is Format.JSON:
            for item in docs.status(grants, now)["grants"]:
                item.update(project=root, project_id=entry.project.id)
                items.append(item)
            continue
        if entry.error:
            warn(f"{root}: {entry.error}")
        if not grants:
            continue
        shown += len(grants)
        stdout.print(f"{root}  (project {entry.project.id})", markup=False, highlight=False)
        for g in grants:
            stdout.print(f"  {g.id}  {_label(g, now)}  {g.agent}  {g.provider}  {g.variable}  "
                         f"expires {_expires(g, now)}", markup=False, highlight=False)  # fmt: skip
    if fmt is Format.JSON:
        doc = {"schema_version": docs.SCHEMA_VERSION, "grants": items}
        console.write_report(json.dumps(doc, indent=2), None)
    elif not shown:
        info("No grants in any project.")


def status(
    fmt: Format = FORMAT,
    show_all: bool = typer.Option(False, "--all", help="Include revoked grants."),
    all_projects: bool = typer.Option(
        False, "--all-projects", help="Every project's grants on this machine, not just this one."
    ),
    project: Path | None = PROJECT,
) -> None:
    """List what is issued: agent, provider, scope, created, expires, revocable, requests."""
    from agentauth.report import grants as docs
    from agentauth.service import grants as service
    from agentauth.service.requeststats import counts_by_grant, describe

    if all_projects:
        _status_all_projects(fmt, show_all)
        return
    project = cwd_root(project)
    now = datetime.now(UTC)
    grants = service.grants(project, include_revoked=show_all)
    requests = counts_by_grant(service.events(project))
    if fmt is Format.JSON:
        doc = docs.status(grants, now)
        for item in doc["grants"]:
            if item["id"] in requests:
                item["requests"] = requests[item["id"]]
        console.write_report(json.dumps(doc, indent=2), None)
        return
    if not grants:
        info("No grants. `agentauth provision` issues some; `--all` shows revoked ones.")
        return
    stdout = out()
    if stdout.width < 150:
        # NOTE: nine columns do not fit a normal terminal; a block per grant stays readable.
        for g in grants:
            stdout.print(f"{g.id}  {_label(g, now)}  {g.agent}  {g.provider}  {g.variable}",
                         markup=False)  # fmt: skip
            stdout.print(f"  scope:   {g.scope}", markup=False)
            if g.id in requests:
                stdout.print(f"  broker:  {describe(requests[g.id])}", markup=False)
            stdout.print(f"  created: {_relative(g.created, now)}   expires: {_expires(g, now)}",
                         markup=False)  # fmt: skip
            stdout.print(f"  revocable: {_revocable(g)}", markup=False)
        return
    rows = [[g.id, g.agent, g.provider, g.variable,
             g.scope + (f" [{describe(requests[g.id])}]" if g.id in requests else ""),
             _relative(g.created, now), _expires(g, now), _revocable(g), docs.state(g, now)]
            for g in grants]  # fmt: skip
    for line in _table_lines(rows, stdout.width):
        stdout.print(line, markup=False, highlight=False)


_COLUMNS = ("ID", "AGENT", "PROVIDER", "VARIABLE", "SCOPE", "CREATED", "EXPIRES", "REVOCABLE",
            "STATUS")  # fmt: skip
_SCOPE = _COLUMNS.index("SCOPE")


def _table_lines(rows: list[list[str]], width: int) -> list[str]:
    """The wide status table as plain lines: aligned, never padded at the end, never folded.

    Why not a rich Table: it pads every line to the console width and folds a long cell
    inside a URL or a shell command. Here the SCOPE column gets what the other columns
    leave; a scope longer than that is shortened in its cell and printed whole, unwrapped,
    on a line of its own under the row, so it can still be copied.
    """
    widths = [max(len(name), *(len(r[i]) for r in rows)) for i, name in enumerate(_COLUMNS)]
    others = sum(w for i, w in enumerate(widths) if i != _SCOPE) + 2 * (len(_COLUMNS) - 1)
    widths[_SCOPE] = max(len("SCOPE"), min(widths[_SCOPE], width - others))
    room = widths[_SCOPE]
    lines = ["  ".join(n.ljust(w) for n, w in zip(_COLUMNS, widths, strict=True)).rstrip()]
    for row in rows:
        scope = row[_SCOPE]
        cells = [*row[:_SCOPE], scope if len(scope) <= room else scope[: room - 1] + "…",
                 *row[_SCOPE + 1 :]]  # fmt: skip
        lines.append("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())
        if len(scope) > room:
            lines.append(f"  scope: {scope}")
    return lines


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
    scan: bool = typer.Option(
        False, "--scan", help="Find the agent's objects on the policy's servers no ledger holds."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="List what would be revoked."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Revoke without asking."),
    policy: Path | None = POLICY,
    fmt: Format = FORMAT,
    project: Path | None = PROJECT,
) -> None:
    """Remove issued credentials (idempotent); a failure is reported per grant and retried later.

    Exit 1 when a revocation failed (run it again to retry), 4 when a credential could
    not be revoked by any API and keeps working until you delete it by hand.
    """
    from agentauth.report import grants as docs
    from agentauth.service import grants as service
    from agentauth.state.secretstore import default_store

    project = cwd_root(project)
    ids = list(grant_ids or [])
    if scan:
        if ids or agent or expired or everything or forget:
            raise UsageError("--scan goes alone: agentauth revoke --scan [--dry-run] [--yes]")
        from agentauth.cli.orphans import scan as scan_orphans

        return scan_orphans(project, policy, dry_run=dry_run, yes=yes, fmt=fmt)
    if forget and (not ids or agent or expired or everything):
        raise UsageError("--forget takes grant ids only: agentauth revoke --forget GRANT_ID")
    if not (ids or agent or expired or everything):
        raise UsageError(
            "name what to revoke: GRANT_ID..., --agent NAME, --expired, --all or --scan"
        )
    chosen = service.select(project, grant_ids=ids, agent=agent, expired=expired,
                            everything=everything)  # fmt: skip
    withdraw = agent is not None or everything
    if not chosen and not withdraw:
        info("Nothing to revoke.")
        if fmt is Format.JSON:
            console.write_report(json.dumps(docs.revoke([])), None)
        return
    listing = out() if dry_run else err()
    now = datetime.now(UTC)
    for g in chosen:
        listing.print(f"{g.id}  {g.agent}  {g.provider}  {g.scope}  [{docs.state(g, now)}]",
                      markup=False)  # fmt: skip
    if dry_run:
        return
    verb = "Forget" if forget else "Revoke"
    if chosen and not console.confirm(f"{verb} {len(chosen)} grant(s)?", yes=yes):
        info("Declined; nothing changed.")
        raise typer.Exit(int(ExitCode.FINDINGS))
    done = service.revoke(project, policy, chosen, store=default_store(), warn=warn,
                          learn=console.SCRUBBER.add, forget_ids=ids if forget else None,
                          withdraw=withdraw, agent=None if everything else agent)  # fmt: skip
    results, withdrawn = done.results, done.withdrawn
    if not results and not withdrawn:
        info("Nothing to revoke.")
    if fmt is Format.JSON:
        console.write_report(json.dumps(docs.revoke(results, withdrawn), indent=2), None)
    else:
        stdout = out()
        for r in results:
            mark = "NOT REVOKED" if r.still_valid else ("revoked" if r.ok else "FAILED ")
            stdout.print(f"{mark} {r.grant_id}: {console.SCRUBBER(r.message)}", markup=False)
            if r.manual:
                stdout.print("  by hand:", markup=False)
                for line in console.SCRUBBER(r.manual).splitlines():
                    stdout.print(f"    {line}", markup=False)
        if withdrawn:
            stdout.print(f"removed from {done.env_file} (pass): {', '.join(withdrawn)}; "
                         "rotate them if the agent may have copied them", markup=False)  # fmt: skip
    if any(not r.ok and not r.still_valid for r in results):
        raise typer.Exit(int(ExitCode.FINDINGS))
    if any(r.still_valid for r in results):
        warn("some credentials could not be revoked and keep working: delete them as shown, "
             "then `agentauth revoke --forget GRANT_ID`")  # fmt: skip
        raise typer.Exit(int(ExitCode.NOT_REVOKED))


# --------------------------------------------------------------------------- log


def log(
    fmt: Format = FORMAT,
    agent: str | None = typer.Option(None, "--agent", help="Only this agent's events."),
    event: str | None = typer.Option(
        None, "--event", help="Only events of this kind (request, run-start, mint, revoke...)."
    ),
    limit: int = typer.Option(50, "--limit", min=0, help="The last N events (0 = all)."),
    project: Path | None = PROJECT,
    verify: bool = typer.Option(
        False, "--verify", help="Check the hash chain and the signed head; exit 1 if broken."
    ),
    key: Path | None = _LOG_KEY,
) -> None:
    """Show the audit log: every provision, mint, revoke, pass, drop, run and brokered request."""
    from agentauth.report import grants as docs
    from agentauth.service import grants as service

    project = cwd_root(project)
    if verify:
        from agentauth.cli.delegate import verify_log

        verify_log(project, key, json_output=fmt is Format.JSON)
        return
    events = service.events(project, agent=agent, event=event, limit=limit)
    if fmt is Format.JSON:
        console.write_report(json.dumps(docs.log(events), indent=2), None)
        return
    if not events:
        info("The audit log is empty.")
        return
    # NOTE: one line per event, like `git log --oneline`: greppable, and no column
    # squeezing on a narrow terminal (the console soft-wraps long lines).
    stdout = out()
    skip = {"ts", "event", "agent", "grant", "variable", *service.CHAIN_FIELDS}
    for e in events:
        detail = ", ".join(
            f"{k}={v}" for k, v in e.items() if k not in skip and v not in (None, [], "")
        )
        head = "  ".join(
            str(e.get(k) or "-") for k in ("ts", "event", "agent", "grant", "variable")
        )
        stdout.print(f"{head}  {console.SCRUBBER(detail)}".rstrip(), markup=False)


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
    app.command("status", epilog=_STATUS_EPILOG)(status)
    app.command("revoke", epilog=_REVOKE_EPILOG)(revoke)
    app.command("log", epilog=_LOG_EPILOG)(log)
