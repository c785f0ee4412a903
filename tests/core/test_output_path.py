"""``output:`` may never overwrite the source, the repository or a file agentauth did not write."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from agentauth.config import envwrite
from agentauth.config.policy import parse_policy
from agentauth.errors import ConfigError
from agentauth.service import provision as svc

SOURCE = "API_TOKEN=tok_live_0123456789abcdef\nPORT=3000\n"


def _policy(output: str) -> str:
    return f"agent: bot\nsource: .env\noutput: {output}\ncredentials:\n  PORT: pass\n"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    project = tmp_path / "proj"
    project.mkdir()
    (project / ".env").write_text(SOURCE)
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    return project


def _provision(root: Path, output: str) -> None:
    policy = parse_policy(_policy(output))
    ctx = svc.build_context(root, policy, environ={})
    svc.apply(svc.plan(policy, ctx), ctx)


def test_dot_slash_source_is_refused_at_parse(root: Path) -> None:
    with pytest.raises(ConfigError, match="output must differ from source"):
        parse_policy(_policy("./.env"))


def test_symlink_to_the_source_is_refused_and_source_kept(root: Path) -> None:
    os.symlink(".env", root / "agent.env")
    with pytest.raises(ConfigError, match="is the source env file"):
        _provision(root, "agent.env")
    assert (root / ".env").read_text() == SOURCE


def test_git_config_is_refused(root: Path) -> None:
    before = (root / ".git" / "config").read_bytes()
    with pytest.raises(ConfigError, match=r"inside \.git/"):
        _provision(root, ".git/config")
    assert (root / ".git" / "config").read_bytes() == before


def test_outside_the_project_is_refused(root: Path, tmp_path: Path) -> None:
    os.symlink(tmp_path, root / "up")
    with pytest.raises(ConfigError, match="outside the project"):
        _provision(root, "up/victim.env.ai")
    assert not (tmp_path / "victim.env.ai").exists()


def test_a_source_env_name_is_refused(root: Path) -> None:
    with pytest.raises(ConfigError, match=r"read as a\s+source"):
        _provision(root, ".env.local")


def test_existing_file_without_the_header_is_refused(root: Path) -> None:
    (root / "notes.txt").write_text("my notes\n")
    with pytest.raises(ConfigError, match="not written by agentauth"):
        _provision(root, "notes.txt")
    assert (root / "notes.txt").read_text() == "my notes\n"


def test_agentauth_output_is_rewritten(root: Path) -> None:
    _provision(root, ".env.ai")
    first = (root / ".env.ai").read_text()
    assert envwrite.ENV_AI_MARKER in first
    _provision(root, ".env.ai")
    assert "PORT=3000" in (root / ".env.ai").read_text()


def test_writer_itself_refuses_without_a_plan(root: Path) -> None:
    with pytest.raises(ConfigError):
        envwrite.write_env_ai(root / ".git" / "HEAD", [("A", "1")], "h", project_root=root)
