"""Through the real CLI: environ, MCP and skipped files never put a secret value on screen."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Write = Callable[[Path, str, str | bytes], Path]


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agentauth", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.mark.parametrize("fmt", ["table", "json", "sarif"])
def test_no_value_in_any_output(
    project: Path, keys: Any, key_factory: Callable[[], Any], write: Write, fmt: str
) -> None:
    other = key_factory()
    write(project, ".env", f"STRIPE_SECRET_KEY={keys.stripe}\nDATABASE_URL={keys.postgres}\n")
    write(
        project,
        ".mcp.json",
        json.dumps(
            {
                "mcpServers": {
                    "gh": {"env": {"GITHUB_TOKEN": keys.github}},
                    "pay": {"env": {"STRIPE_SECRET_KEY": "${STRIPE_SECRET_KEY}"}},
                }
            }
        ),
    )
    write(project, "blob.bin.txt", b"\0" + other.stripe.encode())
    env = {
        **os.environ,
        "OPENAI_API_KEY": "sk-proj-" + other.aws_secret.replace("/", "a").replace("+", "b"),
        "AWS_ACCESS_KEY_ID": other.aws_id,
        "AWS_SECRET_ACCESS_KEY": other.aws_secret,
    }
    proc = _run(["audit", ".", "--environ", "--verbose", "--format", fmt], env, project)
    assert proc.returncode == 0, proc.stderr
    output = proc.stdout + proc.stderr
    for value in (*keys.all(), *other.all(), env["OPENAI_API_KEY"]):
        assert value not in output
    assert "AWS_SECRET_ACCESS_KEY" in output or fmt == "sarif"
    if fmt == "json":
        findings = json.loads(proc.stdout)["findings"]
        files = {f["file"] for f in findings}
        assert {".env", ".mcp.json", "<environ>"} <= files
        environ_vars = {f["variable"] for f in findings if f["file"] == "<environ>"}
        assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "OPENAI_API_KEY"} <= environ_vars
