"""A source ``.env`` that is a device or a FIFO: every command that reads it says so and exits 2.

Issue 15 (Medium, bad input): a ``.env`` symlinked to ``/dev/zero`` made ``provision`` and
``init`` exhaust memory, a FIFO made ``provision`` hang. The readers' file-kind check
is tested in tests/core/test_fsutil.py; this holds the commands to it, end to end.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.support.cli import run_cli

COMMANDS = [
    ("provision", "--dry-run"),
    ("provision", "--yes"),
    ("init", "--force"),
    ("revoke", "--scan", "--dry-run"),
]


@pytest.mark.parametrize("kind", ["device", "fifo"])
@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_a_device_or_fifo_source_is_refused_quickly(
    project: Path, kind: str, command: tuple[str, ...]
) -> None:
    (project / "agentauth.yaml").write_text("version: 1\nagent: bot\ncredentials:\n  X: drop\n")
    source = project / ".env"
    if kind == "device":
        os.symlink("/dev/zero", source)
    else:
        os.mkfifo(source)
    done = run_cli(*command, "-C", str(project), cwd=project, timeout=30)
    assert done.returncode == 2, done.stderr
    said = "a device" if kind == "device" else "a FIFO"
    assert said in done.stderr and "refusing to read it" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (project / ".env.ai").exists()
