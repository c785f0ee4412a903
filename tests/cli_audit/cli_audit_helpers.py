"""Helpers for the audit/check CLI tests: example apps, secret values, git, results."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from agentauth.config import envfile

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
DEMO = EXAMPLES / "demo-app"
CLEAN = EXAMPLES / "clean-app"
AGENTAUTH = Path(sys.executable).with_name("agentauth")


def require_demo_env() -> Path:
    """Return examples/demo-app/.env, failing with the remedy when a checkout lacks it."""
    env_path = DEMO / ".env"
    if not env_path.is_file():
        pytest.fail(
            f"{env_path} is missing: the demo's own .gitignore ignores it (as a real app's "
            "would), so it must be committed once with `git add -f examples/demo-app/.env`"
        )
    return env_path


def demo_secret_values() -> tuple[str, ...]:
    """Every credential value of the demo app: its .env values and the MCP literal token."""
    env_path = require_demo_env()
    entries = envfile.parse(env_path.read_text(encoding="utf-8"))
    values = [v for v in envfile.values(entries).values() if len(v) >= 16]
    database_url = envfile.values(entries)["DATABASE_URL"]
    values.append(database_url.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1])  # password
    mcp = json.loads((DEMO / ".mcp.json").read_text(encoding="utf-8"))
    for server in mcp["mcpServers"].values():
        values += [v for v in server.get("env", {}).values() if not v.startswith("${")]
    assert len(values) >= 8, values
    return tuple(values)


def assert_no_secret(text: str, values: Sequence[str]) -> None:
    """Fail when a full credential value occurs in ``text`` (message shows no value)."""
    leaked = [v[:6] + "…" for v in values if v in text]
    assert not leaked, f"secret values leaked (prefixes): {leaked}"


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` with a fixed identity; return stdout."""
    done = subprocess.run(
        ["git", "-c", "user.name=agentauth-test", "-c", "user.email=test@example.invalid",
         "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args],
        cwd=cwd, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout


def copy_app(source: Path, dest: Path, *, repo: bool = False) -> Path:
    """Copy an example app to ``dest``; with ``repo``, ``git init`` it and stage every file."""
    if source == DEMO:
        require_demo_env()
    shutil.copytree(source, dest)
    if repo:
        git(dest, "init", "-q")
        git(dest, "add", "-A")
    return dest
