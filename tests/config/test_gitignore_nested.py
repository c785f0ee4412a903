"""`.env.ai` really ignored by git, even when a deeper .gitignore un-ignores it (issue 15 Low)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from agentauth.config.envwrite import ensure_gitignored


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)


def test_a_nested_negation_does_not_leave_env_ai_tracked(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    sub = tmp_path / "svc"
    sub.mkdir()
    (sub / ".gitignore").write_text("!.env.ai\n")
    target = sub / ".env.ai"
    target.write_text("X=1\n")
    assert ensure_gitignored(target, tmp_path) is True
    assert _git(tmp_path, "check-ignore", "-q", "svc/.env.ai").returncode == 0
    _git(tmp_path, "add", "-A")
    assert "svc/.env.ai" not in _git(tmp_path, "ls-files").stdout


def test_an_already_ignored_file_is_left_alone(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    (tmp_path / ".gitignore").write_text(".env.ai\n")
    assert ensure_gitignored(tmp_path / ".env.ai", tmp_path) is False
    assert (tmp_path / ".gitignore").read_text() == ".env.ai\n"
