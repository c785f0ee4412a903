"""Issue 14 CLI contracts: prompt exit codes, --detailed-exitcode, status cells, no wrapping."""

from __future__ import annotations

import json
import os
import pty
import select
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.support.cli import Runner, cli_env

from agentauth.model import Grant, GrantId, GrantStatus
from agentauth.state.ledger import Ledger


def _grant(gid: str, status: GrantStatus, expires: datetime | None) -> Grant:
    return Grant(GrantId(gid), "claude-code", "redis", "REDIS_URL",
                 datetime.now(UTC) - timedelta(hours=9), expires, status, "read-only keys cache:*",
                 objects={"env_outputs": ["REDIS_URL"]})  # fmt: skip


def _on_a_terminal(argv: list[str], cwd: Path, answer: bytes, wait_for: bytes) -> tuple[int, str]:
    """Run argv with stdin/stdout/stderr on a new pty; type ``answer`` after ``wait_for``."""
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.chdir(cwd)
        os.execve(argv[0], argv, cli_env())  # noqa: S606 - no shell, by design
    seen = b""
    sent = False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        if not sent and wait_for in seen:
            os.write(fd, answer)
            sent = True
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), seen.decode(errors="replace")


def test_declining_a_confirmation_exits_1(project: Path) -> None:
    Ledger(project).put(_grant("rd-1", GrantStatus.ACTIVE, None))
    argv = [sys.executable, "-m", "agentauth", "revoke", "--all"]
    for answer in (b"n\r", b"\x04"):  # "no", and end of input
        code, seen = _on_a_terminal(argv, project, answer, b"[y/N]")
        assert code == 1, seen
        assert "Declined; nothing changed." in seen
        assert Ledger(project).grants()[0].status is GrantStatus.ACTIVE


_PROMPT = """
import sys
from agentauth.cli import funnel
from agentauth.cli.console import TerminalPrompter
try:
    TerminalPrompter().secret("Paste the token")
except BaseException as exc:
    sys.exit(funnel.handle(exc))
"""


def test_end_of_input_at_a_password_prompt_is_not_an_interrupt(project: Path) -> None:
    code, seen = _on_a_terminal([sys.executable, "-c", _PROMPT], project, b"\x04", b"token:")
    assert code == 2, seen
    assert "no value entered (end of input)" in seen and "Interrupted" not in seen


def test_detailed_exitcode_says_whether_changes_are_pending(cli: Runner, project: Path) -> None:
    (project / "agentauth.yaml").write_text(
        "version: 1\nagent: claude-code\ncredentials:\n  APP_MODE: pass\n", encoding="utf-8"
    )
    (project / ".env").write_text("APP_MODE=demo\n", encoding="utf-8")
    pending = cli("provision", "--dry-run", "--detailed-exitcode", "--format", "json", cwd=project)
    assert pending.returncode == 2, pending.stderr
    assert json.loads(pending.stdout)["changes_pending"] is True
    assert cli("provision", "--dry-run", cwd=project).returncode == 0  # without the flag
    assert cli("provision", "--yes", cwd=project).returncode == 0, "apply"
    settled = cli("provision", "--dry-run", "--detailed-exitcode", cwd=project)
    assert settled.returncode == 0, settled.stdout + settled.stderr
    alone = cli("provision", "--detailed-exitcode", cwd=project)
    assert alone.returncode == 2 and "goes with --dry-run" in alone.stderr


def test_status_never_says_a_revoked_grant_expires_and_shows_revocable(
    cli: Runner, project: Path
) -> None:
    later = datetime.now(UTC) + timedelta(hours=8)
    Ledger(project).put(_grant("rd-gone", GrantStatus.REVOKED, later))
    Ledger(project).put(_grant("rd-live", GrantStatus.ACTIVE, later))
    for columns in ("200", "80"):
        out = cli("status", "--all", cwd=project, env={"COLUMNS": columns}).stdout
        gone = out[out.index("rd-gone"):out.index("rd-live")] if out.index("rd-gone") < \
            out.index("rd-live") else out[out.index("rd-gone"):]  # fmt: skip
        assert "expires in" not in gone and "in 7h59m" not in gone, out
        assert "revoked" in gone
        assert "REVOCABLE" in out or "revocable: yes" in out
    data = json.loads(cli("status", "--all", "--format", "json", cwd=project).stdout)
    by_id = {g["id"]: g for g in data["grants"]}
    assert by_id["rd-gone"]["expires_in_seconds"] is None
    assert by_id["rd-live"]["expires_in_seconds"] > 0 and by_id["rd-live"]["revocable"] is True


def test_revoke_expired_lists_them_as_expired(cli: Runner, project: Path) -> None:
    past = datetime.now(UTC) - timedelta(hours=1)
    Ledger(project).put(_grant("rd-old", GrantStatus.ACTIVE, past))
    listed = cli("revoke", "--expired", "--dry-run", cwd=project)
    assert "rd-old" in listed.stdout and "[expired]" in listed.stdout
    assert "[active]" not in listed.stdout


def test_messages_are_never_hard_wrapped(cli: Runner, project: Path) -> None:
    (project / ".env").write_text("STRIPE_SECRET_KEY=sk_live_" + "a" * 30 + "\n", encoding="utf-8")
    result = cli("lock", "--dry-run", cwd=project, env={"COLUMNS": "40"})
    assert result.returncode == 2
    line = next(x for x in result.stderr.splitlines() if "dbus-run-session" in x)
    assert "gnome-keyring-daemon --unlock" in line  # the shell command is on one line


_LONG_SCOPE = (
    "SELECT on public.orders, public.products, public.customers(id, email) via "
    "postgresql://agentauth_claude_x@db.internal.example.com:5432/shop; "
    "run `psql \"$DATABASE_URL\" -c 'SELECT 1'` to check"
)


@pytest.mark.parametrize("columns", ["80", "160", "200"])
def test_status_has_no_padding_and_never_breaks_a_url_or_command(
    cli: Runner, project: Path, columns: str
) -> None:
    later = datetime.now(UTC) + timedelta(hours=8)
    short = _grant("st-short", GrantStatus.ACTIVE, later)
    Ledger(project).put(short)
    Ledger(project).put(Grant(GrantId("st-long"), "claude-code", "postgres", "DATABASE_URL",
                              short.created, later, GrantStatus.ACTIVE, _LONG_SCOPE,
                              objects={"env_outputs": ["DATABASE_URL"]}))  # fmt: skip
    out = cli("status", cwd=project, env={"COLUMNS": columns}).stdout  # a pipe, not a terminal
    lines = out.splitlines()
    assert lines and not [line for line in lines if line != line.rstrip()], out
    for whole in ("postgresql://agentauth_claude_x@db.internal.example.com:5432/shop",
                  "`psql \"$DATABASE_URL\" -c 'SELECT 1'`", "read-only keys cache:*"):  # fmt: skip
        assert any(whole in line for line in lines), (whole, out)
    assert all(len(line) <= int(columns) for line in lines if _LONG_SCOPE not in line), out


def test_distribution_is_agentauth_cli_and_the_hook_installs_no_provider_sdk() -> None:
    """Ecosystem (issue 14): a free PyPI name, the same command, a light hook and pipx install."""
    import tomllib

    import yaml

    repo = Path(__file__).resolve().parents[2]
    project = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["name"] == "agentauth-cli"
    assert project["scripts"] == {"agentauth": "agentauth.launch:main"}
    base = " ".join(project["dependencies"]).lower()
    extras = " ".join(" ".join(deps) for deps in project["optional-dependencies"].values())
    for sdk in ("psycopg", "pymysql", "redis", "boto3", "pygithub", "stripe"):
        assert sdk not in base, sdk  # extras only: check and the hook need none of them
        assert sdk in extras.lower(), sdk
    (hook,) = yaml.safe_load((repo / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["language"] == "python" and "additional_dependencies" not in hook
    readme = (repo / "README.md").read_text(encoding="utf-8")
    assert "pipx install agentauth-cli" in readme and "belongs to an unrelated" in readme
