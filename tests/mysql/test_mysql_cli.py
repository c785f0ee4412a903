"""MySQL through the real CLI: provision --dry-run/--yes, status, revoke (--expired), no leaks."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pymysql
import pytest
from tests.support.cli import run_cli

pytestmark = pytest.mark.mysql


def _cli(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, "-C", str(project), cwd=project, full_env=True)


def _setup(project: Path, env: Any, ttl: str = "2h") -> None:
    (project / ".env").write_text(f"MYSQL_URL={env.admin_url}\nAPP_NAME=shop\n")
    (project / "agentauth.yaml").write_text(
        "version: 1\n"
        "agent: claude-code\n"
        f"ttl: {ttl}\n"
        "credentials:\n"
        "  MYSQL_URL:\n"
        "    provider: mysql\n"
        f'    tables: ["{env.database}.orders"]\n'
        "    max_connections: 2\n"
    )


def _scoped(project: Path) -> tuple[str, str]:
    for line in (project / ".env.ai").read_text().splitlines():
        if line.startswith("MYSQL_URL="):
            url = urlsplit(line.split("=", 1)[1])
            return unquote(url.username or ""), unquote(url.password or "")
    raise AssertionError("MYSQL_URL not in .env.ai")


def _state_text() -> str:
    home = Path(os.environ["AGENTAUTH_HOME"])
    return "".join(p.read_text(errors="replace") for p in home.rglob("*") if p.is_file())


def test_provision_status_revoke_through_the_cli(mysql_env: Any, project: Path) -> None:
    _setup(project, mysql_env)
    dry = _cli(project, "provision", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "IDENTIFIED BY '***' WITH MAX_USER_CONNECTIONS 2" in dry.stdout
    assert f"GRANT SELECT ON `{mysql_env.database}`.`orders`" in dry.stdout
    assert not (project / ".env.ai").exists()

    done = _cli(project, "provision", "--yes")
    assert done.returncode == 0, done.stderr
    assert (project / ".env.ai").stat().st_mode & 0o777 == 0o600
    user, password = _scoped(project)
    with mysql_env.connect_as(user, password, mysql_env.database) as conn, conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM orders")
        assert cur.fetchone() == (2,)
        with pytest.raises(pymysql.err.OperationalError):
            cur.execute("DELETE FROM orders")

    status = _cli(project, "status", "--format", "json")
    assert status.returncode == 0, status.stderr
    grants = json.loads(status.stdout)["grants"]
    assert [g["provider"] for g in grants] == ["mysql"]
    assert grants[0]["status"] == "active"

    revoked = _cli(project, "revoke", "--all", "--yes")
    assert revoked.returncode == 0, revoked.stderr
    with pytest.raises(pymysql.err.OperationalError):
        mysql_env.connect_as(user, password)
    again = _cli(project, "revoke", "--all", "--yes")
    assert again.returncode == 0, again.stderr

    outputs = dry.stdout + dry.stderr + done.stdout + done.stderr + status.stdout
    outputs += revoked.stdout + revoked.stderr + _state_text()
    assert password not in outputs
    assert mysql_env.admin_password not in outputs


def test_revoke_expired_enforces_the_ledger_expiry(mysql_env: Any, project: Path) -> None:
    _setup(project, mysql_env, ttl="1s")
    done = _cli(project, "provision", "--yes")
    assert done.returncode == 0, done.stderr
    user, password = _scoped(project)
    mysql_env.connect_as(user, password).close()  # MySQL itself never expires it
    time.sleep(1.5)
    mysql_env.connect_as(user, password).close()
    expired = _cli(project, "revoke", "--expired", "--yes")
    assert expired.returncode == 0, expired.stderr
    with pytest.raises(pymysql.err.OperationalError) as info:
        mysql_env.connect_as(user, password)
    assert info.value.args[0] in (1045, 1698)  # MariaDB answers either for a dropped user
