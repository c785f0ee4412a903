"""Hostile input never crashes or hangs audit/check, nor reaches the terminal raw (issue 15).

A deeply nested ``.mcp.json``, a baseline that is ``/dev/zero`` or a FIFO, a file name
that is not UTF-8, a file name holding an escape sequence or a newline.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.support.gitrepo import git as _git


def _run(args: list[str], cwd: Path, timeout: int = 60) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "COLUMNS": "100"}
    return subprocess.run(
        [sys.executable, "-m", "agentauth", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.parametrize("command", ["audit", "check"])
def test_deeply_nested_mcp_json_is_skipped_with_a_note(
    project: Path, keys: Any, command: str
) -> None:
    (project / ".mcp.json").write_text('{"mcpServers": ' + "[" * 100_000 + "]" * 100_000 + "}")
    (project / "config.py").write_text(f'STRIPE_SECRET_KEY = "{keys.stripe}"\n')
    _git(project, "init", "-q")
    _git(project, "add", ".")
    done = _run([command, "--format", "json"], project)
    expected = 1 if command == "check" else 0  # the key is found, and no crash (3)
    assert done.returncode == expected, done.stderr.decode()[-2000:]
    report = json.loads(done.stdout)
    assert any("nested too deeply" in note for note in report["notes"])
    assert {f["file"] for f in report["findings"]} == {"config.py"}


@pytest.mark.parametrize("kind", ["zero", "fifo", "deep"])
def test_a_hostile_baseline_is_a_clear_error(project: Path, kind: str) -> None:
    _git(project, "init", "-q")
    if kind == "zero":
        baseline = Path("/dev/zero")
    elif kind == "fifo":
        baseline = project / "baseline.json"
        os.mkfifo(baseline)
    else:
        baseline = project / "baseline.json"
        baseline.write_text("[" * 200_000 + "]" * 200_000)
    done = _run(["check", "--baseline", str(baseline)], project, timeout=30)
    assert done.returncode == 2, done.stderr.decode()[-2000:]
    assert b"Traceback" not in done.stderr
    assert b"baseline" in done.stderr


def test_a_file_name_that_is_not_utf8(project: Path, keys: Any) -> None:
    name = b"prod\xff\xfe.env"
    with open(os.path.join(os.fsencode(project), name), "w") as fh:
        fh.write(f"STRIPE_SECRET_KEY={keys.stripe}\n")
    sarif = _run(["audit", ".", "--format", "sarif"], project)
    assert sarif.returncode == 0, sarif.stderr.decode()[-2000:]
    (result,) = json.loads(sarif.stdout)["runs"][0]["results"]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "prod%FF%FE.env"
    out = _run(["audit", ".", "--format", "json"], project)
    assert out.returncode == 0, out.stderr.decode()[-2000:]
    (finding,) = json.loads(out.stdout.decode("utf-8"))["findings"]  # strict UTF-8
    assert finding["file"] == "prod\\xff\\xfe.env"
    assert base64.b64decode(finding["file_bytes"]) == name
    table = _run(["audit", "."], project)
    assert table.returncode == 0 and b"prod\\xff\\xfe.env" in table.stdout


def test_control_characters_in_names_are_escaped_in_the_table(project: Path, keys: Any) -> None:
    name = "evil\x1b[2J\x1b]0;owned\x07\nfake line.env"
    (project / name).write_text(f"STRIPE_SECRET_KEY={keys.stripe}\n")
    for width in ("100", "200"):
        done = subprocess.run(
            [sys.executable, "-m", "agentauth", "audit", ".", "--verbose"],
            cwd=project,
            env={**os.environ, "COLUMNS": width},
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr.decode()[-2000:]
        assert b"\x1b" not in done.stdout and b"\x07" not in done.stdout
        assert b"evil\\x1b[2J\\x1b]0;owned\\x07\\nfake line.env" in done.stdout
        assert not any(line.startswith(b"fake line") for line in done.stdout.splitlines())
