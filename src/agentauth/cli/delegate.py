"""The ``delegate``, ``attest`` and ``verify-attestation`` commands, and ``log --verify``.

Thin glue over :mod:`agentauth.service.delegate`, :mod:`agentauth.service.attest`
and :mod:`agentauth.state.logverify`: parse, call, render, exit.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from agentauth.cli import console
from agentauth.errors import ExitCode


def _say(message: str) -> None:
    console.err_console().print(message, markup=False, highlight=False, soft_wrap=True)


def _trusted_key(key: Path | None) -> str | None:
    if key is None:
        return None
    from agentauth.state import signing

    return signing.load_public_key_file(key)


def verify_log(project: Path, key: Path | None, *, json_output: bool) -> None:
    """Verify the audit log's chain and signed head; exit 1 naming what is wrong."""
    from agentauth.state import logverify

    check = logverify.verify(project, _trusted_key(key))
    if json_output:
        payload = {
            "schema_version": 1,
            "ok": check.ok,
            "path": check.path,
            "records": check.records,
            "legacy": check.legacy,
            "problems": [{"record": p.record, "message": p.message} for p in check.problems],
            "notes": list(check.notes),
        }
        console.write_report(json.dumps(payload, indent=2), None)
    else:
        out = console.out_console()
        for note in check.notes:
            _say(f"note: {note}")
        if check.ok:
            out.print(
                f"ok: {check.records} record(s), chain intact, head signature valid ({check.path})",
                markup=False,
                soft_wrap=True,
            )
        else:
            out.print(f"FAILED: {check.path}", markup=False, soft_wrap=True)
            for problem in check.problems:
                where = f"record {problem.record}: " if problem.record else ""
                out.print(f"  {where}{problem.message}", markup=False, soft_wrap=True)
    if not check.ok:
        raise typer.Exit(int(ExitCode.FINDINGS))


def register(app: typer.Typer) -> None:
    """Add the commands of this module to ``app``."""
