"""git is started from one place: agentauth/gitcmd (its environment, timeout and errors)."""

from __future__ import annotations

from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "agentauth"
ALLOWED = {"gitcmd.py"}


def test_only_gitcmd_starts_git() -> None:
    starting = sorted(
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if '["git"' in path.read_text(encoding="utf-8")
    )
    assert [p for p in starting if p not in ALLOWED] == []
