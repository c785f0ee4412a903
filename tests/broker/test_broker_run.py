"""``agentauth run`` with a brokered credential: the child gets a phantom and no real value.

The real value lives in the (test) keyring, outside the project and AGENTAUTH_HOME,
as after ``agentauth lock``. The child, started by the real CLI, calls the stub API
through the broker and then searches everything it can read for the real value.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import trustme
from pytest_httpserver import HTTPServer

REPO = Path(__file__).resolve().parents[2]
REAL = "sk-proj-REALbrokeredVALUE0123456789abcdefghij"

PROBE = r"""
import json, os, sys, glob, urllib.request
real = sys.argv[1][::-1]  # given reversed, so the command lines do not hold it
found = []
def check(where, data):
    if isinstance(data, str):
        data = data.encode("utf-8", "replace")
    if real.encode() in data:
        found.append(where)
with open("/proc/self/environ", "rb") as f:
    check("environ", f.read())
for fd in os.listdir("/proc/self/fd"):
    try:
        target = os.readlink(f"/proc/self/fd/{fd}")
        check(f"fd {fd} -> {target}", target)
        if os.path.isfile(target):
            with open(target, "rb") as f:
                check(f"fd {fd} file", f.read())
    except OSError:
        pass
for top in (os.getcwd(), os.environ["AGENTAUTH_HOME"]):
    for path in glob.glob(top + "/**", recursive=True, include_hidden=True):
        if os.path.isfile(path):
            try:
                with open(path, "rb") as f:
                    check(path, f.read())
            except OSError:
                pass
ppid = os.getppid()
with open(f"/proc/{ppid}/cmdline", "rb") as f:
    check("broker cmdline", f.read())
unreadable = []
for name in ("environ", "mem"):
    try:
        with open(f"/proc/{ppid}/{name}", "rb") as f:
            check(f"broker {name}", f.read(1 << 20))
    except OSError:
        unreadable.append(name)
try:
    os.listdir(f"/proc/{ppid}/fd")
except OSError:
    unreadable.append("fd")
print(json.dumps({"found": found, "unreadable": unreadable,
                  "key": os.environ.get("OPENAI_API_KEY", ""),
                  "proxy": os.environ.get("HTTPS_PROXY", "")}))
"""


def _project(tmp: Path, api: HTTPServer, ca: trustme.CA) -> tuple[Path, dict[str, str]]:
    root = tmp / "project"
    root.mkdir()
    ca.cert_pem.write_to_path(str(root / "api-ca.pem"))
    (root / "agentauth.yaml").write_text(
        f"""version: 1
agent: claude-code
credentials:
  OPENAI_API_KEY:
    provider: http
    hosts: [api.openai.test]
    allow:
      - GET /v1/models
    upstream: https://127.0.0.1:{api.port}
    upstream_ca: api-ca.pem
""",
        encoding="utf-8",
    )
    (root / ".env").write_text("OPENAI_API_KEY=agentauth-keyring:demo/OPENAI_API_KEY\n")
    keyring = tmp / "keyring-outside" / "keyring.json"
    keyring.parent.mkdir()
    keyring.write_text(json.dumps({"agentauth": {"demo/OPENAI_API_KEY": REAL}}))
    home = tmp / "home"
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp),
        "AGENTAUTH_HOME": str(home),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(REPO),
        "PYTHON_KEYRING_BACKEND": "tests.support.testkeyring.FileKeyring",
        "AGENTAUTH_TEST_KEYRING_FILE": str(keyring),
    }
    return root, env


def _cli(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agentauth", *args],
        cwd=root, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


@pytest.fixture
def project(
    tmp_path: Path, api: HTTPServer, upstream_ca: trustme.CA
) -> tuple[Path, dict[str, str], HTTPServer]:
    root, env = _project(tmp_path, api, upstream_ca)
    return root, env, api


def _request_events(env: dict[str, str], root: Path) -> list[dict[str, object]]:
    out = _cli(root, env, "log", "--event", "request", "--format", "json")
    assert out.returncode == 0, out.stderr
    return [e for e in json.loads(out.stdout) if e["event"] == "request"]


def test_curl_through_run_allowed_and_refused_and_both_logged(
    project: tuple[Path, dict[str, str], HTTPServer],
) -> None:
    root, env, api = project
    api.expect_request("/v1/models", headers={"Authorization": f"Bearer {REAL}"}).respond_with_json(
        {"data": ["gpt"]}
    )
    script = (
        'curl -sS -H "Authorization: Bearer $OPENAI_API_KEY" https://api.openai.test/v1/models; '
        'echo; curl -sS -X POST -H "Authorization: Bearer $OPENAI_API_KEY" '
        "https://api.openai.test/v1/files"
    )
    out = _cli(root, env, "run", "--", "sh", "-c", script)
    assert out.returncode == 0, out.stderr
    first, _, second = out.stdout.strip().rpartition("\n")
    assert json.loads(first) == {"data": ["gpt"]}
    assert json.loads(second)["message"] == (
        "agentauth: POST /v1/files is not allowed for OPENAI_API_KEY (agentauth.yaml:4)"
    )
    assert len(api.log) == 1
    log = (Path(env["AGENTAUTH_HOME"])).rglob("audit.log")
    text = "".join(p.read_text() for p in log)
    assert REAL not in text and "AGENTAUTHphantom" not in text
    events = _request_events(env, root)
    assert [(e["method"], e["path"], e["status"], e["decision"]) for e in events] == [
        ("GET", "/v1/models", 200, "allowed"),
        ("POST", "/v1/files", 403, "refused"),
    ]
    for event in events:
        assert {"agent", "grant", "variable", "host", "bytes_in", "bytes_out", "latency_ms",
                "reason"} <= set(event)  # fmt: skip
        assert event["variable"] == "OPENAI_API_KEY" and event["host"] == "api.openai.test"


def test_the_child_holds_no_real_value_anywhere_it_can_read(
    project: tuple[Path, dict[str, str], HTTPServer],
) -> None:
    root, env, api = project
    api.expect_request("/v1/models").respond_with_json({"data": []})
    out = _cli(root, env, "run", "--", sys.executable, "-c", PROBE, REAL[::-1])
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["found"] == []
    assert report["key"].startswith("sk-proj-AGENTAUTHphantom")
    assert report["proxy"].startswith("http://agentauth:")
    if os.geteuid() != 0:  # root reads any process's /proc files (CAP_SYS_PTRACE)
        assert {"environ", "mem", "fd"} <= set(report["unreadable"])
    assert REAL not in out.stdout + out.stderr


def test_without_brokered_entries_run_starts_no_broker(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    (root / "agentauth.yaml").write_text("version: 1\nagent: a\ncredentials:\n  X: drop\n")
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "AGENTAUTH_HOME": str(tmp_path / "h")}
    out = _cli(root, env, "run", "--", sys.executable, "-c",
               "import os; print(os.environ.get('HTTPS_PROXY', 'none'))")  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "none"


def test_the_broker_process_is_made_undumpable() -> None:
    code = (
        "import ctypes; from agentauth.broker.session import make_undumpable; "
        "ok = make_undumpable(); libc = ctypes.CDLL(None); print(ok, libc.prctl(3, 0, 0, 0, 0))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "0"]  # PR_GET_DUMPABLE answers 0


def test_standalone_broker_prints_the_env_and_serves_until_stopped(
    project: tuple[Path, dict[str, str], HTTPServer],
) -> None:
    import signal
    import time

    root, env, api = project
    api.expect_request("/v1/models").respond_with_json({"data": "standalone"})
    proc = subprocess.Popen(
        [sys.executable, "-m", "agentauth", "broker", "--agent", "mcp-tool", "--format", "json"],
        cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        lines = []
        while not lines or lines[-1] != "}\n":
            lines.append(proc.stdout.readline())
            assert lines[-1], proc.stderr.read() if proc.stderr else ""
        served = json.loads("".join(lines))
        assert served["OPENAI_API_KEY"].startswith("sk-proj-AGENTAUTHphantom")
        child = {"PATH": os.environ["PATH"], **served}
        out = subprocess.run(
            ["sh", "-c", 'curl -sS -H "Authorization: Bearer $OPENAI_API_KEY" '
             "https://api.openai.test/v1/models"],
            env=child, capture_output=True, text=True, timeout=30, check=True,
        )  # fmt: skip
        assert json.loads(out.stdout) == {"data": "standalone"}
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
    time.sleep(0.1)
    events = _request_events(env, root)
    assert [(e["agent"], e["status"]) for e in events] == [("mcp-tool", 200)]
    assert REAL not in json.dumps(served)


def test_the_banner_and_run_start_count_the_brokered_grant(
    project: tuple[Path, dict[str, str], HTTPServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A brokered phantom is a credential the agent got: counted and logged like a written one."""
    from datetime import UTC, datetime, timedelta

    from agentauth.model import Grant, GrantId, GrantStatus
    from agentauth.state import auditlog
    from agentauth.state.ledger import Ledger

    root, env, _api = project
    provisioned = _cli(root, env, "provision", "--yes")
    assert provisioned.returncode == 0, provisioned.stderr
    monkeypatch.setenv("AGENTAUTH_HOME", env["AGENTAUTH_HOME"])
    (brokered,) = [g.id for g in Ledger(root).grants()]
    now = datetime.now(UTC)
    Ledger(root).put(Grant(GrantId("postgres-db1"), "claude-code", "postgres", "DATABASE_URL",
                           now, now + timedelta(hours=2), GrantStatus.ACTIVE, "read-only",
                           objects={"env_outputs": ["DATABASE_URL"]}))  # fmt: skip
    with (root / ".env.ai").open("a", encoding="utf-8") as out:
        out.write("DATABASE_URL=postgresql://agent_ro:Sc0ped-pw-123@127.0.0.1:5432/app\n")
    ran = _cli(root, env, "run", "--", "true")
    assert ran.returncode == 0, ran.stderr
    assert "agentauth: claude-code: 2 credentials, expires in 1h59m" in ran.stderr
    (start,) = [e for e in auditlog.read(root) if e["event"] == "run-start"]
    assert sorted(start["grants"]) == sorted([brokered, "postgres-db1"])  # type: ignore[arg-type]
