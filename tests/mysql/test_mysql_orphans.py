"""``revoke --scan`` on MariaDB: a user left by a lost ledger is found and dropped, nothing else.

The agent name is unique per test: other tests (and other runs) on this server
provision ``claude-code`` users that this scan must not see.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import pymysql
import pytest
from tests.mysql.conftest import HOST, root_connect
from tests.mysql.test_mysql_cli import _cli, _scoped

from agentauth.state.ledger import BACKUP_FILE, Ledger

pytestmark = pytest.mark.mysql


def _setup(project: Path, env: Any, agent: str) -> None:
    (project / ".env").write_text(f"MYSQL_URL={env.admin_url}\n")
    (project / "agentauth.yaml").write_text(
        f"version: 1\nagent: {agent}\ncredentials:\n  MYSQL_URL:\n    provider: mysql\n"
        f'    tables: ["{env.database}.orders"]\n'
    )


def test_scan_drops_the_orphaned_user_and_leaves_the_look_alike(
    mysql_env: Any, project: Path
) -> None:
    agent = f"o{secrets.token_hex(3)}"
    _setup(project, mysql_env, agent)
    done = _cli(project, "provision", "--yes")
    assert done.returncode == 0, done.stderr
    user, password = _scoped(project)
    Ledger(project).path.unlink()
    Ledger(project).path.with_name(BACKUP_FILE).unlink(missing_ok=True)
    look_alike = f"agentauth_{agent}_keep"
    with root_connect() as conn, conn.cursor() as cur:
        cur.execute("CREATE USER %s@'%%' IDENTIFIED BY 'x-Pa55'", (look_alike,))
    try:
        refused = _cli(project, "revoke", "--scan", "--dry-run")
        assert refused.returncode == 1 and "SELECT on mysql.user" in refused.stderr
        assert mysql_env.admin_password not in refused.stdout + refused.stderr
        with root_connect() as conn, conn.cursor() as cur:
            cur.execute(f"GRANT SELECT ON mysql.user TO '{mysql_env.admin_user}'@'%'")

        dry = _cli(project, "revoke", "--scan", "--dry-run", "--format", "json")
        assert dry.returncode == 0, dry.stderr
        assert [o["name"] for o in json.loads(dry.stdout)["orphans"]] == [f"{user}@%"]
        gone = _cli(project, "revoke", "--scan", "--yes")
        assert gone.returncode == 0, gone.stderr
        assert f"removed user {user}@%" in gone.stdout
        with pytest.raises(pymysql.err.OperationalError):
            pymysql.connect(host=HOST, user=user, password=password).close()
        with root_connect() as conn, conn.cursor() as cur:
            cur.execute("SELECT User FROM mysql.user WHERE User LIKE %s", (f"agentauth_{agent}%",))
            assert [r[0] for r in cur.fetchall()] == [look_alike]
    finally:
        with root_connect() as conn, conn.cursor() as cur:
            cur.execute("DROP USER IF EXISTS %s@'%%'", (look_alike,))
