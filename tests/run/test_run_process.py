"""`agentauth run` as a process: the exact child environment, exit codes, signals, the audit log."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.support.cli import PRINT_ENV, Runner, cli_env

from agentauth.state import auditlog

STRIPE = "sk_live_" + "51HxYzAbCdEfGhIjKlMnOpQr7"
OWNER_URL = "postgresql://owner:0wner-Secret-pw@db.prod.internal:5432/app"
SCOPED = "postgresql://agent_ro:Sc0ped-pw-123@127.0.0.1:5432/app"
PARENT = {
    "STRIPE_SECRET_KEY": STRIPE,
    "DATABASE_URL": OWNER_URL,
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "HTTP_PROXY": "http://alice:pr0xy-pass@proxy:3128",
    "TERM": "xterm-256color",
    "UNRELATED": "kept-out",
}


def _project(root: Path) -> Path:
    (root / ".env.ai").write_text(
        f"# scoped\nDATABASE_URL={SCOPED}\nAPP_MODE='read only'\n", encoding="utf-8"
    )
    return root


def test_child_receives_exactly_the_expected_variables(cli: Runner, project: Path) -> None:
    _project(project)
    result = cli("run", "--", sys.executable, "-c", PRINT_ENV, cwd=project, env=PARENT)
    assert result.returncode == 0, result.stderr
    env = json.loads(result.stdout)
    base = set(cli_env())  # PATH, HOME, AGENTAUTH_HOME, LANG, ... as given to agentauth
    kept = {"PATH", "HOME", "LANG", "AGENTAUTH_HOME", "COLUMNS", "NO_COLOR"}
    allowlisted = base & kept
    assert {"PYTHONPATH", "PYTHON_KEYRING_BACKEND"} <= base - kept
    assert set(env) == allowlisted | {"TERM", "DATABASE_URL", "APP_MODE", "AGENTAUTH_AGENT"}
    assert env["DATABASE_URL"] == SCOPED
    assert env["APP_MODE"] == "read only"
    assert env["AGENTAUTH_AGENT"] == "agent"
    for secret in (STRIPE, OWNER_URL, "pr0xy-pass", "wJalrXUtnFEMI"):
        assert secret not in result.stdout
        assert secret not in result.stderr


def test_verbose_lists_dropped_names_never_values(cli: Runner, project: Path) -> None:
    _project(project)
    result = cli("run", "-v", "--", "true", cwd=project, env=PARENT)
    assert result.returncode == 0
    assert "dropped credentials: HTTP_PROXY" in result.stderr
    for name in ("STRIPE_SECRET_KEY", "AWS_SECRET_ACCESS_KEY", "DATABASE_URL"):
        assert name in result.stderr
    for secret in (STRIPE, "0wner-Secret-pw", "pr0xy-pass", "wJalrXUtnFEMI", "Sc0ped-pw"):
        assert secret not in result.stderr + result.stdout


def test_inherit_all_and_allow(cli: Runner, project: Path) -> None:
    result = cli(
        "run", "--inherit", "all", "--allow", "STRIPE_SECRET_KEY", "--", sys.executable, "-c",
        PRINT_ENV, cwd=project, env=PARENT,
    )  # fmt: skip
    env = json.loads(result.stdout)
    assert env["UNRELATED"] == "kept-out"
    assert env["STRIPE_SECRET_KEY"] == STRIPE  # named exactly: passed, with a warning
    assert "DATABASE_URL" not in env and "AWS_SECRET_ACCESS_KEY" not in env
    assert "passing STRIPE_SECRET_KEY" in result.stderr
    assert STRIPE not in result.stderr
    events = [e["event"] for e in auditlog.read(project)]
    assert events == ["pass", "run-start", "run-end"]


def test_nesting_is_refused(cli: Runner, project: Path) -> None:
    inside = {"AGENTAUTH_AGENT": "claude-code"}
    nested = cli("run", "--", "true", cwd=project, env=inside)
    assert nested.returncode == 2
    assert "already inside `agentauth run`" in nested.stderr
    human = cli("run", "--human", "--allow-nested", "--", "true", cwd=project, env=inside)
    assert human.returncode == 2
    allowed = cli("run", "--allow-nested", "--agent", "github", "--", sys.executable, "-c",
                  PRINT_ENV, cwd=project, env=inside)  # fmt: skip
    assert allowed.returncode == 0
    assert json.loads(allowed.stdout)["AGENTAUTH_AGENT"] == "github"


def test_exit_code_passthrough(cli: Runner, project: Path) -> None:
    result = cli("run", "--", sys.executable, "-c", "import sys; sys.exit(3)", cwd=project)
    assert result.returncode == 3


def test_killed_by_a_signal_exits_128_plus_n(cli: Runner, project: Path) -> None:
    code = "import os, signal; os.kill(os.getpid(), signal.SIGTERM)"
    result = cli("run", "--", sys.executable, "-c", code, cwd=project)
    assert result.returncode == 128 + signal.SIGTERM


def test_unknown_command_exits_127_as_in_the_shell(cli: Runner, project: Path) -> None:
    result = cli("run", "--", "no-such-command-xyz", cwd=project)
    assert result.returncode == 127
    assert "no-such-command-xyz: command not found" in result.stderr


def test_non_executable_file_exits_126(cli: Runner, project: Path) -> None:
    script = project / "script.sh"
    script.write_text("#!/bin/sh\necho hi\n", encoding="utf-8")
    result = cli("run", "--", "./script.sh", cwd=project)
    assert result.returncode == 126
    assert "./script.sh: permission denied (not executable)" in result.stderr
    assert cli("run", "--", str(project), cwd=project).returncode == 126  # a directory


_CHILD = """
import os, signal, sys, time
marker = sys.argv[1]
def handler(signum, frame):
    open(marker, "w").write(signal.Signals(signum).name)
    sys.exit(42)
signal.signal(signal.SIGTERM, handler)
signal.signal(signal.SIGINT, handler)
open(marker + ".ready", "w").write("ready")
time.sleep(30)
sys.exit(1)
"""


def _start(project: Path, marker: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "agentauth", "run", "--", sys.executable, "-c", _CHILD, str(marker)],
        cwd=project,
        env=cli_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not Path(str(marker) + ".ready").exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "child never started"
        time.sleep(0.05)
    return proc


def test_sigterm_to_agentauth_is_forwarded_to_the_child(project: Path, tmp_path: Path) -> None:
    marker = tmp_path / "got"
    proc = _start(project, marker)
    os.kill(proc.pid, signal.SIGTERM)
    assert proc.wait(timeout=30) == 42
    assert marker.read_text() == "SIGTERM"


def test_sigint_without_a_terminal_is_forwarded(project: Path, tmp_path: Path) -> None:
    marker = tmp_path / "got"
    proc = _start(project, marker)
    os.kill(proc.pid, signal.SIGINT)
    assert proc.wait(timeout=30) == 42
    assert marker.read_text() == "SIGINT"


def test_child_killed_after_forwarded_sigterm_gives_143(project: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "agentauth", "run", "--", "sleep", "30"],
        cwd=project, env=cli_env(), stdin=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    # NOTE: wait for the agent itself: run may start short helpers (git) before it.
    while not _runs_child(proc.pid, "sleep"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGTERM)
    assert proc.wait(timeout=30) == 143


def _runs_child(pid: int, name: str) -> bool:
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return any(Path(f"/proc/{c}/comm").read_text().strip() == name for c in children)
    except OSError:
        return False


def test_audit_log_records_start_and_end_without_arguments(cli: Runner, project: Path) -> None:
    secret_arg = "--token=" + STRIPE
    result = cli("run", "--agent", "ci-bot", "--", sys.executable, "-c", "pass", secret_arg,
                 cwd=project)  # fmt: skip
    assert result.returncode == 0
    events = auditlog.read(project)
    assert [e["event"] for e in events] == ["run-start", "run-end"]
    start, end = events
    assert start["agent"] == end["agent"] == "ci-bot"
    assert start["command"] == Path(sys.executable).name
    assert end["exit_code"] == 0
    assert isinstance(end["duration_s"], float)
    log = auditlog.log_path(project).read_text()
    assert STRIPE not in log and "--token" not in log


def test_live_credentials_in_env_files_warn_and_strict_refuses(cli: Runner, project: Path) -> None:
    (project / ".env").write_text(f"STRIPE_SECRET_KEY={STRIPE}\nDEBUG=1\n", encoding="utf-8")
    warned = cli("run", "--", "true", cwd=project)
    assert warned.returncode == 0
    assert "live credentials" in warned.stderr and "STRIPE_SECRET_KEY" in warned.stderr
    assert "agentauth lock" in warned.stderr
    strict = cli("run", "--strict", "--", "true", cwd=project)
    assert strict.returncode == 2
    assert "--strict" in strict.stderr
    for out in (warned.stderr, strict.stderr):
        assert STRIPE not in out
    # A test key or a local database is not live: no warning.
    (project / ".env").write_text("STRIPE_SECRET_KEY=sk_test_" + "x" * 24 + "\n", encoding="utf-8")
    quiet = cli("run", "--strict", "--", "true", cwd=project)
    assert quiet.returncode == 0, quiet.stderr


def test_expiry_is_exported_from_the_ledger(cli: Runner, project: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from agentauth.model import Grant, GrantId, GrantStatus
    from agentauth.state.ledger import Ledger

    _project(project)
    expires = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    grant = Grant(GrantId("g-test-1"), "agent", "postgres", "DATABASE_URL",
                  datetime.now(UTC), expires, GrantStatus.ACTIVE, "read-only",
                  objects={"env_outputs": ["DATABASE_URL"]})  # fmt: skip
    Ledger(project).put(grant)
    result = cli("run", "--", sys.executable, "-c", PRINT_ENV, cwd=project)
    env = json.loads(result.stdout)
    assert env["AGENTAUTH_EXPIRATION"] == expires.strftime("%Y-%m-%dT%H:%M:%SZ")
    start = auditlog.read(project)[0]
    assert start["grants"] == ["g-test-1"]
