"""docs/walkthrough-broker.md runs word for word: its sh blocks, in order, from the repo root.

The doc works in ``mktemp -d`` (TMPDIR is the test's temp dir) and starts its API stand-in
(examples/broker_demo_upstream.py) on 127.0.0.1:9443; the one change made to the script is
that port, replaced by a free one so that parallel or repeated runs cannot collide.
"""

from __future__ import annotations

import re
import shutil
import socket
from pathlib import Path

import pytest
from tests.support.walkthrough import DOCS, run_script, sh_blocks, walkthrough_env

DOC = DOCS / "walkthrough-broker.md"
REAL_KEY = "sk-demo-0123456789abcdefREALKEY"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_broker_walkthrough_runs_word_for_word(tmp_path: Path) -> None:
    blocks = sh_blocks(DOC)
    assert len(blocks) >= 6
    script = "\n".join(blocks)
    assert script.count("9443") == 2  # the stand-in's --port and the policy's upstream
    script = script.replace("9443", str(_free_port()))
    env = walkthrough_env(TMPDIR=str(tmp_path))
    done = run_script(script, DOCS.parent, env, tmp_path / "logs", timeout=60)
    out = done.out
    assert done.returncode == 0, out  # the last block, `kill %1`: the stand-in was still up
    grant = re.search(r"^created (http-[0-9a-f]{8}): brokered on api\.openai\.com", out, re.M)
    assert grant, out
    doc_lines = DOC.read_text(encoding="utf-8").splitlines()
    refused_body = next(line for line in doc_lines if line.startswith('{"error": {"message": "'))
    for expected in (
        "wrote .env.ai (0600, git-ignored): nothing",
        "the agent holds: sk-AGENTAUTHphantom",
        '{"object": "list", "data": [{"id": "demo-model"}], "key_seen": "sk-demo-\\u2026LKEY"}',
        refused_body,
        'data: {"delta": "Hello"}\n\ndata: {"delta": " from"}\n',
        "[3 requests (1 refused)]",
    ):
        assert expected in done.stdout, f"{expected!r} missing from:\n{out}"
    assert REAL_KEY not in out
    events = [line for line in done.stdout.splitlines() if "  request  " in line]
    prefix = f"  request  claude-code  {grant[1]}  OPENAI_API_KEY  "
    assert len(events) == 3 and all(prefix in line for line in events), events
    assert "method=GET, host=api.openai.com, path=/v1/models, status=200" in events[0]
    assert events[0].endswith("decision=allowed, reason=GET /v1/models")
    assert "method=POST, host=api.openai.com, path=/v1/files, status=403" in events[1]
    assert events[1].endswith(
        "decision=refused, reason=POST /v1/files is not allowed for OPENAI_API_KEY"
        " (agentauth.yaml:4)"
    )
    assert "path=/v1/chat/completions, status=200" in events[2], events
