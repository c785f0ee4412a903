"""Delegated MySQL and Redis logins, against the real servers, connected AS the child.

The parent holds its own user (provisioned the ordinary way); the child asks for part
of it and gets a user of its own that the server refuses what only the parent may
read. Exceeding the parent creates no user; revoking the parent drops the child's.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pymysql
import pytest
import redis
from tests.delegation.kit import delegate, provision_parent
from tests.mysql.conftest import MySQLEnv, mysql_env
from tests.redis_acl.conftest import ADMIN_URL, RedisEnv, redis_env

from agentauth.model import GrantStatus
from agentauth.state.ledger import Ledger

__all__ = ["mysql_env", "redis_env"]
Cli = Callable[..., tuple[int, str, str]]


def _provision(
    project: Path, agent: str, variable: str, admin: str, entry: str, cli: Cli
) -> dict[str, str]:
    """Write the policy and .env, provision the parent; return its session environment."""
    (project / "agentauth.yaml").write_text(
        f"version: 1\nagent: {agent}\nttl: 2h\ncredentials:\n  {variable}:\n{entry}"
    )
    (project / ".env").write_text(f"{variable}={admin}\n")
    return provision_parent(cli, project, agent)


def _mysql_reads(url: str, table: str) -> bool:
    parts = urlsplit(url)
    with pymysql.connect(host=parts.hostname, port=parts.port or 3306, user=parts.username,
                         password=parts.password or "", autocommit=True) as conn:  # fmt: skip
        try:
            with conn.cursor() as cur:
                cur.execute(f"SELECT COUNT(*) FROM {table}")
        except pymysql.err.OperationalError as exc:
            assert exc.args[0] in (1142, 1044), exc
            return False
    return True


@pytest.mark.mysql
def test_mysql_child_user_reads_only_its_tables(
    mysql_env: MySQLEnv, project: Path, cli: Cli
) -> None:
    db = mysql_env.database
    entry = f"    provider: mysql\n    tables: [{db}.orders, {db}.secrets]\n"
    env = _provision(project, "mya", "MYSQL_URL", mysql_env.admin_url, entry, cli)
    with pytest.raises(Exception, match=rf"table {db}\.other exceeds what mya holds"):
        delegate(project, env, f"MYSQL_URL={db}.other")
    made = delegate(project, env, "MYSQL_URL=orders")
    child = made.env["MYSQL_URL"]
    user = urlsplit(child).username or ""
    assert user.startswith("agentauth_mya_reviewer_") and len(user) <= 32, user
    assert _mysql_reads(child, f"{db}.orders")
    assert not _mysql_reads(child, f"{db}.secrets"), "the child must be refused a parent-only table"
    assert _mysql_reads(env["MYSQL_URL"], f"{db}.secrets"), "the parent still reads it"
    (parent,) = [g for g in Ledger(project).grants() if g.parent is None]
    assert made.grants[0].parent == parent.id
    code, out, err = cli("revoke", parent.id, "--yes", "-C", str(project))
    assert code == 0, out + err
    assert Ledger(project).get(made.grants[0].id).status is GrantStatus.REVOKED  # type: ignore[union-attr]
    with pytest.raises(pymysql.err.OperationalError):
        _mysql_reads(child, f"{db}.orders")


@pytest.mark.redis
def test_redis_child_user_touches_only_its_key_patterns(
    redis_env: RedisEnv, project: Path, cli: Cli
) -> None:
    prefix = redis_env.prefix
    entry = f'    provider: redis\n    keys: ["{prefix}:cache:*", "{prefix}:secret:*"]\n'
    env = _provision(project, prefix, "REDIS_URL", ADMIN_URL, entry, cli)
    with pytest.raises(Exception, match=rf"key pattern {prefix}:\* exceeds"):
        delegate(project, env, f"REDIS_URL={prefix}:*")
    with pytest.raises(Exception, match="access read-write exceeds"):
        delegate(project, env, f"REDIS_URL={prefix}:cache:*,read-write")
    users = set(redis_env.admin.acl_users())
    made = delegate(project, env, f"REDIS_URL={prefix}:cache:*")
    assert len(set(redis_env.admin.acl_users()) - users) == 1, "exactly one user, the child's"
    child = redis.Redis.from_url(made.env["REDIS_URL"])
    parent = redis.Redis.from_url(env["REDIS_URL"])
    user = urlsplit(made.env["REDIS_URL"]).username or ""
    assert user.startswith(f"agentauth_{prefix}_reviewer_") and redis_env.admin.acl_getuser(user)
    assert child.get(f"{prefix}:cache:a") == b"cached"
    with pytest.raises(redis.exceptions.NoPermissionError):
        child.get(f"{prefix}:secret:b")
    assert parent.get(f"{prefix}:secret:b") == b"private", "the parent still reads it"
    code, out, err = cli("revoke", made.grants[0].id, "--yes", "-C", str(project))
    assert code == 0, out + err
    assert parent.get(f"{prefix}:secret:b") == b"private", "revoking the child leaves the parent"
    with pytest.raises(redis.exceptions.RedisError):
        redis.Redis.from_url(made.env["REDIS_URL"]).get(f"{prefix}:cache:a")
