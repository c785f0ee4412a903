"""Redis through the real CLI: provision --yes, the scoped URL in .env.ai, revoke, no leaks."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import redis
from tests.support.cli import run_cli

pytestmark = pytest.mark.redis


def _cli(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, "-C", str(project), cwd=project, full_env=True)


def write_project(project: Path, p: str) -> None:
    """A project whose agent is ``p`` (the test's unique prefix), reading ``p:cache:*``."""
    (project / ".env").write_text("REDIS_URL=redis://127.0.0.1:6379/0\n")
    (project / "agentauth.yaml").write_text(
        f"version: 1\nagent: {p}\ncredentials:\n"
        f'  REDIS_URL:\n    provider: redis\n    keys: ["{p}:cache:*"]\n'
    )


def test_provision_and_revoke_a_redis_user_through_the_cli(redis_env: Any, project: Path) -> None:
    p = redis_env.prefix
    write_project(project, p)
    dry = _cli(project, "provision", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"resetkeys %R~{p}:cache:* resetchannels -@all +@read" in dry.stdout
    done = _cli(project, "provision", "--yes")
    assert done.returncode == 0, done.stderr
    line = next(
        x for x in (project / ".env.ai").read_text().splitlines() if x.startswith("REDIS_URL=")
    )
    url = line.split("=", 1)[1]
    agent = redis.Redis.from_url(url)
    assert agent.get(f"{p}:cache:a") == b"cached"
    with pytest.raises(redis.exceptions.NoPermissionError):
        agent.flushall()
    agent.close()
    revoked = _cli(project, "revoke", "--all", "--yes")
    assert revoked.returncode == 0, revoked.stderr
    with pytest.raises(redis.exceptions.AuthenticationError):
        redis.Redis.from_url(url).get(f"{p}:cache:a")
    password = url.split("@", 1)[0].rsplit(":", 1)[1]
    home = Path(os.environ["AGENTAUTH_HOME"])
    state = "".join(f.read_text(errors="replace") for f in home.rglob("*") if f.is_file())
    for text in (dry.stdout, dry.stderr, done.stdout, done.stderr, revoked.stdout, state):
        assert password not in text
