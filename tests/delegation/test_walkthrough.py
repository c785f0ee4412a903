"""docs/walkthrough-delegation.md runs word for word: its sh blocks, in order, in a temp dir.

Its last part creates (and drops) a throwaway database on the local PostgreSQL server.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "walkthrough-delegation.md"


def test_the_walkthrough_runs_word_for_word(tmp_path: Path) -> None:
    blocks = re.findall(r"```sh\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 5
    script = "\n".join(blocks)
    env = {
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "HOME": os.environ["HOME"],
        "PYTHON_KEYRING_BACKEND": os.environ["PYTHON_KEYRING_BACKEND"],
        "LANG": "C.UTF-8",
        "NO_COLOR": "1",
        "COLUMNS": "200",
    }
    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=240, check=False)  # fmt: skip
    out = done.stdout + done.stderr
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
