"""``agentauth revoke --scan``: list agentauth's objects no ledger holds, remove them on --yes.

The scan and the removal are :mod:`agentauth.service.orphans`; this module parses,
asks and renders. ``--dry-run`` (or declining) changes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from agentauth.cli import console
from agentauth.cli.provision import Format, err, info, out, warn
from agentauth.errors import ExitCode

if TYPE_CHECKING:
    from agentauth.model import RevokeResult
    from agentauth.report.grants import OrphanDoc


def scan(project: Path, policy: Path | None, *, dry_run: bool, yes: bool, fmt: Format) -> None:
    """Find the orphans of the policy's agent on the policy's servers; remove them if confirmed.

    Exit 1 when a server could not be asked or a removal failed, or when declined.
    """
    from agentauth.report import grants as docs
    from agentauth.service import grants as service
    from agentauth.service import orphans
    from agentauth.service.context import secret_values
    from agentauth.state.secretstore import default_store

    loaded = service.load(project, policy)
    ctx = service.provision_context(project, loaded, prompter=None, store=default_store(),
                                    warn=warn)  # fmt: skip
    for value in secret_values(ctx):
        console.SCRUBBER.add(value)
    report = orphans.scan(ctx)
    listing = out() if dry_run else err()
    if fmt is not Format.JSON:
        for f in report.found:
            o = f.orphan
            listing.print(f"{f.variable}  {o.kind} {o.name}  on {o.where}  ({o.note})",
                          markup=False, highlight=False)  # fmt: skip
        if not report.found:
            info(f"No orphans of agent {loaded.agent} on the policy's servers.")
    for variable, provider in report.unsupported:
        warn(f"{variable}: the {provider} provider cannot list its objects; not scanned")
    for variable, message in report.errors:
        warn(f"{variable}: not scanned: {message}")
    results: list[RevokeResult] = []
    if report.found and not dry_run:
        if not console.confirm(f"Remove {len(report.found)} orphaned object(s)?", yes=yes):
            info("Declined; nothing changed.")
            raise typer.Exit(int(ExitCode.FINDINGS))
        results = orphans.remove(ctx, report.found)
        if fmt is not Format.JSON:
            for f, r in zip(report.found, results, strict=True):
                mark = "removed" if r.ok else "FAILED "
                out().print(f"{mark} {f.orphan.kind} {f.orphan.name}: "
                            f"{console.SCRUBBER(r.message)}", markup=False)  # fmt: skip
    if fmt is Format.JSON:
        found: list[OrphanDoc] = [
            {"variable": f.variable, "provider": f.provider, "kind": f.orphan.kind,
             "name": f.orphan.name, "where": f.orphan.where, "note": f.orphan.note}
            for f in report.found
        ]  # fmt: skip
        doc = docs.orphan_scan(loaded.agent, found, report.unsupported, report.errors, results)
        console.write_report(json.dumps(doc, indent=2), None)
    if report.errors or any(not r.ok for r in results):
        raise typer.Exit(int(ExitCode.FINDINGS))
