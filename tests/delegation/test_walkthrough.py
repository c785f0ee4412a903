"""docs/walkthrough-delegation.md runs word for word: its sh blocks, in order, in a temp dir.

Its last part creates (and drops) a throwaway database on the local PostgreSQL server.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.walkthrough import DOCS, run_script, sh_blocks, walkthrough_env

DOC = DOCS / "walkthrough-delegation.md"


def test_the_walkthrough_runs_word_for_word(tmp_path: Path) -> None:
    blocks = sh_blocks(DOC)
    assert len(blocks) >= 5
    work = tmp_path / "work"
    work.mkdir()
    done = run_script("\n".join(blocks), work, walkthrough_env(), tmp_path / "logs", timeout=240)
    out = done.out
    assert done.returncode == 0, out
    for expected in (
        "orchestrator: claude-code",
        "reviewer: claude-code>reviewer",
        "allowed: GET /repos/acme/web/pulls",
        "refused: POST /repos/acme/web/issues: refused by delegation block 1",
        "reviewer's write refused: exit 1",
        "DELETE /repos/acme/web/** exceeds what claude-code holds",
        "valid: claude-code, 1 grant(s), 1 delegation(s)",
        "REFUSED: agentauth.yaml changed since the attestation was signed",
        "chain intact, head signature valid",
        "record 2: record 2 was changed: record 3 no longer chains to it",
        "reviewer connects as agentauth_claude_code__reviewer_",
        "orders total: 120",
        "permission denied for table customers",
        "reviewer's read of customers refused: exit 1",
        "DATABASE_URL: table public.invoices exceeds what claude-code holds",
        "reviewer roles left: 0",
    ):
        assert expected in out, f"{expected!r} missing from:\n{out}"
    assert out.count("exit 1") >= 4 and out.count("exit 2") >= 2
    status = done.stdout[done.stdout.rindex("revoked http-") :].splitlines()[2:]
    rows = {line.split()[1]: line.split()[-1] for line in status if line.startswith("http-")}
    assert rows == {"claude-code": "revoked", "claude-code>reviewer": "revoked"}, status
