"""Issue 14/15 items of `run`: expiry, warnings, the banner, fds, the child's life, minting."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.support.cli import PRINT_ENV, Runner, cli_env

from agentauth.model import Grant, GrantId, GrantStatus
from agentauth.service.runstate import GrantInfo, needs_minting
from agentauth.state import auditlog
from agentauth.state.ledger import Ledger

POLICY = "version: 1\nagent: claude-code\ncredentials:\n  DATABASE_URL:\n    provider: postgres\n"
SCOPED = "postgresql://agent_ro:Sc0ped-pw-123@127.0.0.1:5432/app"
MYSQL = "mysql://agent_my:My-scoped-pw-9@127.0.0.1:3306/shop"


def _grant(gid: str, variable: str, expires: datetime | None, **extra: object) -> Grant:
    now = datetime.now(UTC)
    return Grant(GrantId(gid), "claude-code", "postgres", variable, now - timedelta(hours=9),
                 expires, GrantStatus.ACTIVE, "read-only",
                 objects={"env_outputs": [variable]}, **extra)  # type: ignore[arg-type]  # fmt: skip


def _setup(project: Path, *grants: Grant) -> None:
    (project / "agentauth.yaml").write_text(POLICY, encoding="utf-8")
    (project / ".env.ai").write_text(f"DATABASE_URL={SCOPED}\nMYSQL_URL={MYSQL}\nAPP=1\n",
                                     encoding="utf-8")  # fmt: skip
    for grant in grants:
        Ledger(project).put(grant)


def test_expired_grants_are_withheld_and_said(cli: Runner, project: Path) -> None:
    past = datetime.now(UTC) - timedelta(hours=1)
    future = datetime.now(UTC) + timedelta(hours=2)
    _setup(project, _grant("pg-old", "DATABASE_URL", past), _grant("my-new", "MYSQL_URL", future))
    result = cli("run", "--", sys.executable, "-c", PRINT_ENV, cwd=project)
    assert result.returncode == 0, result.stderr
    env = json.loads(result.stdout)
    assert "DATABASE_URL" not in env  # its grant's ttl is over
    assert env["MYSQL_URL"] == MYSQL and env["APP"] == "1"
    assert "expired grants withheld from the agent: DATABASE_URL" in result.stderr
    assert env["AGENTAUTH_EXPIRATION"] == future.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert SCOPED not in result.stderr


def test_every_grant_expired_says_so_not_that_env_ai_is_empty(cli: Runner, project: Path) -> None:
    past = datetime.now(UTC) - timedelta(hours=1)
    _setup(project, _grant("pg-old", "DATABASE_URL", past), _grant("my-old", "MYSQL_URL", past))
    env_ai = f"DATABASE_URL={SCOPED}\nMYSQL_URL={MYSQL}\n"
    (project / ".env.ai").write_text(env_ai, encoding="utf-8")  # only the grants' values
    result = cli("run", "--", "true", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "is missing or empty" not in result.stderr
    assert (
        "every grant of agent 'claude-code' expired (DATABASE_URL, MYSQL_URL): the agent gets "
        "no scoped credentials; run `agentauth provision` to renew them"
    ) in result.stderr
    assert SCOPED not in result.stderr and MYSQL not in result.stderr


def test_banner_says_what_the_agent_got(cli: Runner, project: Path) -> None:
    future = datetime.now(UTC) + timedelta(hours=2)
    _setup(project, _grant("pg-1", "DATABASE_URL", future), _grant("my-1", "MYSQL_URL", None))
    result = cli("run", "--", "true", cwd=project)
    assert result.returncode == 0
    assert "agentauth: claude-code: 2 credentials, expires in 1h59m" in result.stderr
    assert "agentauth: claude-code" not in cli("run", "-q", "--", "true", cwd=project).stderr


def test_no_policy_or_nothing_active_warns(cli: Runner, project: Path) -> None:
    bare = cli("run", "--", "true", cwd=project)
    assert bare.returncode == 0
    assert "no agentauth.yaml here or above" in bare.stderr
    (project / "agentauth.yaml").write_text(POLICY, encoding="utf-8")
    empty = cli("run", "--", "true", cwd=project)
    assert "nothing is provisioned for agent 'claude-code'" in empty.stderr


def test_minting_follows_the_grant_fields_not_a_provider_table() -> None:
    now = time.time()
    fresh = datetime.fromtimestamp(now + 3600, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    outputs = ("TOKEN", "TOKEN_EXP")
    minting = GrantInfo("g1", "any-provider", "TOKEN", None, outputs, True, "TOKEN_EXP")
    assert needs_minting([minting], {}, now)  # nothing in .env.ai yet
    assert not needs_minting([minting], {"TOKEN": "t", "TOKEN_EXP": fresh}, now)
    stale = datetime.fromtimestamp(now + 60, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert needs_minting([minting], {"TOKEN": "t", "TOKEN_EXP": stale}, now)
    assert not needs_minting([minting._replace(mints=False)], {}, now)
    assert needs_minting([minting._replace(expiry_variable=None)], {"TOKEN": "t"}, now)


def test_old_ledger_records_keep_their_minting(project: Path) -> None:
    from agentauth.service.runstate import ledger_grants
    from agentauth.state import paths

    state = paths.project_dir(project)
    state.mkdir(parents=True)
    old = {"id": "aws-1", "agent": "a", "provider": "aws", "variable": "AWS", "status": "active",
           "objects": {"mode": "role", "env_outputs": ["AWS_ACCESS_KEY_ID"]}}  # fmt: skip
    (state / "ledger.json").write_text(json.dumps({"grants": [old]}), encoding="utf-8")
    (grant,) = ledger_grants(state, "a")
    assert grant.mints and grant.expiry_variable == "AWS_CREDENTIAL_EXPIRATION"


def test_inherited_descriptors_do_not_reach_the_child(project: Path) -> None:
    secret = project / ".env"
    secret.write_text("ADMIN=owner-pw\n", encoding="utf-8")
    probe = "import os; print(sorted(int(f) for f in os.listdir('/proc/self/fd')))"
    fd = os.open(secret, os.O_RDONLY)
    try:
        os.set_inheritable(fd, True)
        result = subprocess.run(
            [sys.executable, "-m", "agentauth", "run", "-q", "--", sys.executable, "-c", probe],
            cwd=project, env=cli_env(), capture_output=True, text=True, pass_fds=(fd,),
            check=False,
        )  # fmt: skip
    finally:
        os.close(fd)
    assert result.returncode == 0, result.stderr
    open_fds = json.loads(result.stdout)
    assert fd not in open_fds
    assert [f for f in open_fds if f > 3] == []  # 0-2, and the probe's own listdir fd


def test_kill_9_of_the_supervisor_ends_the_child_and_the_next_run_logs_it(project: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "agentauth", "run", "--agent", "a", "--", "sleep", "60"],
        cwd=project, env=cli_env(), stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    # run may start short helpers (git) first: wait for the agent itself, past them.
    child = _agent_child(proc.pid, deadline)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    while Path(f"/proc/{child}").exists() and "Z" not in _state(child):
        assert time.monotonic() < deadline, "the agent outlived its supervisor"
        time.sleep(0.05)
    events = [e["event"] for e in auditlog.read(project)]
    assert events == ["run-start"]  # the supervisor could not log the end
    subprocess.run([sys.executable, "-m", "agentauth", "run", "-q", "--agent", "a", "--", "true"],
                   cwd=project, env=cli_env(), check=True, capture_output=True)  # fmt: skip
    log = auditlog.read(project)
    assert [e["event"] for e in log] == ["run-start", "run-end", "run-start", "run-end"]
    assert log[1]["abandoned"] is True and log[1]["pid"] == proc.pid
    assert log[1]["exit_code"] is None and log[1]["command"] == "sleep"


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return "Z"


_SUPERVISE = """
import sys
from agentauth.service import supervisor
if sys.argv[1] == "fork":
    supervisor._state["setpriv"] = None  # the fallback: fork, prctl, exec
policy = supervisor.InterruptPolicy(False)
supervisor.Supervisor(policy).run("/bin/sleep", ["sleep", "60"], {})
"""


def test_both_ways_of_tying_the_child_to_the_supervisor(project: Path) -> None:
    for how in ("setpriv", "fork"):
        proc = subprocess.Popen([sys.executable, "-c", _SUPERVISE, how], env=cli_env())
        deadline = time.monotonic() + 60
        child = _agent_child(proc.pid, deadline)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        while Path(f"/proc/{child}").exists() and _state(child) != "Z":
            assert time.monotonic() < deadline, f"{how}: the child outlived its supervisor"
            time.sleep(0.05)


def _exe(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return ""


def _agent_child(pid: int, deadline: float) -> int:
    """Wait for the supervisor's child that is the agent (sleep), past any git it asked first."""
    while True:
        assert time.monotonic() < deadline, "the agent never started"
        try:
            kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            kids = []
        for kid in kids:
            if _exe(int(kid)).endswith("sleep"):
                return int(kid)
        time.sleep(0.05)


def test_a_password_less_url_in_env_is_not_called_a_live_credential(
    cli: Runner, project: Path
) -> None:
    (project / ".env").write_text(
        "REDIS_URL=redis://127.0.0.1:6379/0\nMYSQL_URL=mysql://root@127.0.0.1:3306/shop\n"
        "API_TOKEN=q8Zr4Lm2Xv7Tn1Kp9Wd3\n",
        encoding="utf-8",
    )
    result = cli("run", "-q", "--", "true", cwd=project)
    assert result.returncode == 0, result.stderr
    assert (
        "live credentials in env files the agent can read or load by itself (.env: API_TOKEN)"
        in (result.stderr)
    )


class _Said:
    def __init__(self) -> None:
        self.warnings: list[str] = []

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def note(self, message: str) -> None:
        pass

    def verbose(self, message: str) -> None:
        pass


def test_a_brokered_grant_with_nothing_in_env_ai_is_not_a_missing_env_ai(
    project: Path,
) -> None:
    """A Stripe or GitHub grant with ``mode: broker`` writes nothing to .env.ai (the broker
    holds the value), like ``provider: http``: no "missing or empty" warning for it."""
    from agentauth.service.run import _warn_about_grants
    from agentauth.service.runstate import PolicySummary, ledger_grants

    future = datetime.now(UTC) + timedelta(hours=2)
    for gid, provider, objects in (
        ("st-b", "stripe", {"brokered": True, "hosts": ["api.stripe.com"]}),
        ("pg-1", "postgres", {"env_outputs": ["DATABASE_URL"]}),
    ):
        now = datetime.now(UTC)
        grant = Grant(GrantId(gid), "claude-code", provider, "KEY", now, future,
                      GrantStatus.ACTIVE, "scope", objects=objects)  # fmt: skip
        Ledger(project).put(grant)
    grants = {g.id: g for g in ledger_grants(Ledger(project).directory, "claude-code")}
    assert grants["st-b"].brokered and not grants["pg-1"].brokered
    summary = PolicySummary(present=True)
    for live, warned in (([grants["st-b"]], False), ([grants["pg-1"]], True)):
        said = _Said()
        _warn_about_grants(summary, "claude-code", [], live, [], said)
        assert any("is missing or empty" in w for w in said.warnings) is warned
