"""git is run from one place: engine/gitfiles (a ratchet over the source tree)."""

from __future__ import annotations

from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "agentauth"
ALLOWED = {
    "engine/gitfiles.py",
    # engine/history reads commits with its own long-running git processes (the scan owner's).
    "engine/history.py",
    # config/ and state/ sit below engine/ in the layer order and cannot import it: their
    # git questions (is .env.ai tracked or ignored; a project's first commit) are the
    # known exceptions, to move below engine/ with their owners' next change.
    "config/envwrite.py",
    "state/paths.py",
    # service/ may import engine/gitfiles; attest's own git calls are its owner's to move.
    "service/attest.py",
}


def test_only_gitfiles_starts_git() -> None:
    starting = sorted(
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if '["git"' in path.read_text(encoding="utf-8")
    )
    assert [p for p in starting if p not in ALLOWED] == []
