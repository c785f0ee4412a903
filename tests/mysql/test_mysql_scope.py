"""Proof of scope on the real MariaDB: the agent's user reads the allowlist and nothing else."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pymysql
import pytest

from agentauth.errors import ConfigError, PermissionDenied
from agentauth.model import Environment, GrantStatus
from agentauth.providers import get
from agentauth.providers.mysql.provider import PROVIDER

pytestmark = pytest.mark.mysql


def _provision(ctx: Any, e: Any) -> tuple[Any, Any, str, str]:
    plan = PROVIDER.plan(e, ctx)
    applied = PROVIDER.apply(plan, ctx)
    url = urlsplit(applied.env[e.variable].reveal())
    return plan, applied, unquote(url.username or ""), unquote(url.password or "")


def _denied(conn: Any, sql: str) -> int:
    with pytest.raises(pymysql.err.MySQLError) as info, conn.cursor() as cur:
        cur.execute(sql)
    return int(info.value.args[0])


def test_registry_returns_the_mysql_provider() -> None:
    assert get("mysql") is PROVIDER


def test_table_allowlist_is_enforced_by_the_server(
    mysql_env: Any, project: Path, make_ctx: Any, mk_entry: Any
) -> None:
    e = mk_entry(tables=[f"{mysql_env.database}.orders"], max_connections=2)
    ctx = make_ctx(project, e, {"MYSQL_URL": mysql_env.admin_url})
    plan, applied, user, password = _provision(ctx, e)
    assert applied.grant.status is GrantStatus.ACTIVE
    assert applied.grant.objects["user"] == user
    assert user.startswith("agentauth_claude_code_")
    db = mysql_env.database
    with mysql_env.connect_as(user, password, db) as conn:
        with conn.cursor() as cur:
            cur.execute("SELECT id, total FROM orders ORDER BY id")
            assert cur.fetchall() == ((1, 100), (2, 250))
        # writes, DDL and reads outside the allowlist: all refused by the server
        assert _denied(conn, "INSERT INTO orders VALUES (3, 1)") == 1142
        assert _denied(conn, "UPDATE orders SET total = 0") == 1142
        assert _denied(conn, "DELETE FROM orders") == 1142
        assert _denied(conn, "DROP TABLE orders") == 1142
        assert _denied(conn, "CREATE TABLE evil (id INT)") == 1142
        assert _denied(conn, "SELECT * FROM secrets") == 1142
        assert _denied(conn, "SELECT * FROM mysql.user") == 1142
        assert _denied(conn, f"CREATE USER 'x{user[-6:]}'@'%'") == 1227
        with conn.cursor() as cur:
            cur.execute("SHOW GRANTS")
            grants = " ".join(str(r[0]) for r in cur.fetchall())
    assert "MAX_USER_CONNECTIONS 2" in grants
    assert "MAX_STATEMENT_TIME 30" in grants
    # the connection limit is real: a third concurrent login is refused
    first = mysql_env.connect_as(user, password, db)
    second = mysql_env.connect_as(user, password, db)
    try:
        with pytest.raises(pymysql.err.OperationalError) as info:
            mysql_env.connect_as(user, password, db)
        assert info.value.args[0] == 1226
    finally:
        first.close()
        second.close()
    result = PROVIDER.revoke(applied.grant, ctx)
    assert result.ok, result.message
    assert plan.grant.id == applied.grant.id


def test_database_grant_and_statement_time_limit(
    mysql_env: Any, project: Path, make_ctx: Any, mk_entry: Any
) -> None:
    e = mk_entry(databases=[mysql_env.database], max_statement_time=1)
    ctx = make_ctx(project, e, {"MYSQL_URL": mysql_env.admin_url})
    _plan, applied, user, password = _provision(ctx, e)
    with mysql_env.connect_as(user, password, mysql_env.database) as conn:
        with conn.cursor() as cur:
            cur.execute("SELECT value FROM secrets")  # the whole database was granted
            assert cur.fetchall() == (("hunter2",),)
        start = time.monotonic()
        code = _denied(conn, "SELECT SLEEP(5) FROM orders")
        assert code == 1969  # ER_STATEMENT_TIMEOUT
        assert time.monotonic() - start < 4
        assert _denied(conn, "INSERT INTO secrets VALUES (2, 'x')") == 1142
    assert PROVIDER.revoke(applied.grant, ctx).ok


def test_the_url_database_is_the_default_allowlist(
    mysql_env: Any, project: Path, make_ctx: Any, mk_entry: Any
) -> None:
    e = mk_entry()
    ctx = make_ctx(project, e, {"MYSQL_URL": mysql_env.admin_url})
    plan = PROVIDER.plan(e, ctx)
    assert plan.grant.objects["targets"] == [f"{mysql_env.database}.*"]
    assert f"GRANT SELECT ON `{mysql_env.database}`.*" in plan.steps[1].detail


def test_revoke_kills_open_connections_drops_the_user_and_is_idempotent(
    mysql_env: Any, project: Path, make_ctx: Any, mk_entry: Any
) -> None:
    e = mk_entry(tables=[f"{mysql_env.database}.orders"])
    ctx = make_ctx(project, e, {"MYSQL_URL": mysql_env.admin_url})
    _plan, applied, user, password = _provision(ctx, e)
    conn = mysql_env.connect_as(user, password, mysql_env.database)
    with conn.cursor() as cur:
        cur.execute("SELECT 1")
    result = PROVIDER.revoke(applied.grant, ctx)
    assert result.ok, result.message
    with pytest.raises(pymysql.err.MySQLError), conn.cursor() as cur:
        cur.execute("SELECT id FROM orders")
    conn.close()
    with pytest.raises(pymysql.err.OperationalError) as info:
        mysql_env.connect_as(user, password)
    assert info.value.args[0] in (1045, 1698)  # MariaDB answers either for a dropped user
    again = PROVIDER.revoke(applied.grant, ctx)
    assert again.ok, again.message


def test_revoke_ends_a_long_running_query(
    mysql_env: Any, project: Path, make_ctx: Any, mk_entry: Any
) -> None:
    e = mk_entry(databases=[mysql_env.database], max_statement_time=60)
    ctx = make_ctx(project, e, {"MYSQL_URL": mysql_env.admin_url})
    _plan, applied, user, password = _provision(ctx, e)
    conn = mysql_env.connect_as(user, password, mysql_env.database)
    outcome: list[object] = []

    def sleeper() -> None:
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT SLEEP(30)")
                outcome.append(cur.fetchall())
        except pymysql.err.MySQLError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=sleeper)
    thread.start()
    time.sleep(0.5)
    start = time.monotonic()
    assert PROVIDER.revoke(applied.grant, ctx).ok
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert time.monotonic() - start < 10
    assert isinstance(outcome[0], pymysql.err.MySQLError)
    conn.close()


def test_hostile_database_and_table_names_are_quoted(
    hostile_env: Any, project: Path, make_ctx: Any, mk_entry: Any
) -> None:
    db = hostile_env.database
    quoted = "`" + db.replace("`", "``") + "`"
    e = mk_entry(tables=[f"{quoted}.orders"])
    # the admin URL's path cannot hold this name unencoded; give it no database at all
    ctx = make_ctx(
        project,
        e,
        {"MYSQL_URL": hostile_env.admin_url.rsplit("/", 1)[0] + "/"},
    )
    plan = PROVIDER.plan(e, ctx)
    assert f"GRANT SELECT ON {quoted}.`orders`" in plan.steps[1].detail
    applied = PROVIDER.apply(plan, ctx)
    url = urlsplit(applied.env["MYSQL_URL"].reveal())
    user, password = unquote(url.username or ""), unquote(url.password or "")
    with hostile_env.connect_as(user, password) as conn:
        with conn.cursor() as cur:
            cur.execute(f"SELECT COUNT(*) FROM {quoted}.orders")
            assert cur.fetchone() == (2,)
        assert _denied(conn, f"SELECT * FROM {quoted}.secrets") == 1142
    # the hostile name did not break out: the mysql database is still there
    with hostile_env.connect_as("root", "") as conn, conn.cursor() as cur:
        cur.execute("SHOW DATABASES LIKE 'mysql'")
        assert cur.fetchone() == ("mysql",)
    assert PROVIDER.revoke(applied.grant, ctx).ok


def test_a_missing_table_is_a_config_error_before_anything_is_created(
    mysql_env: Any, project: Path, make_ctx: Any, mk_entry: Any
) -> None:
    e = mk_entry(tables=[f"{mysql_env.database}.nope", f"{mysql_env.database}.orders"], line=12)
    ctx = make_ctx(project, e, {"MYSQL_URL": mysql_env.admin_url})
    with pytest.raises(ConfigError) as info:
        PROVIDER.plan(e, ctx)
    assert "line 12: credentials." in str(info.value)
    assert f"{mysql_env.database}.nope" in str(info.value)
    assert mysql_env.admin_password not in str(info.value)


def test_admin_without_create_user_gets_sql_for_a_dba_and_nothing_is_left(
    weak_env: Any, project: Path, make_ctx: Any, mk_entry: Any
) -> None:
    e = mk_entry(tables=[f"{weak_env.database}.orders"])
    ctx = make_ctx(project, e, {"MYSQL_URL": weak_env.admin_url})
    plan = PROVIDER.plan(e, ctx)
    with pytest.raises(PermissionDenied) as info:
        PROVIDER.apply(plan, ctx)
    assert info.value.manual is not None
    assert "CREATE USER" in info.value.manual
    assert "<choose a password>" in info.value.manual
    assert plan.private["password"].reveal() not in str(info.value)
    assert plan.private["password"].reveal() not in info.value.manual
    assert weak_env.admin_password not in str(info.value)


def test_dry_run_plan_masks_the_password_and_creates_nothing(
    mysql_env: Any, project: Path, make_ctx: Any, mk_entry: Any
) -> None:
    e = mk_entry(tables=[f"{mysql_env.database}.orders"])
    ctx = make_ctx(project, e, {"MYSQL_URL": mysql_env.admin_url})
    plan = PROVIDER.plan(e, ctx)
    password = plan.private["password"].reveal()
    text = repr(plan) + " ".join(s.summary + s.detail for s in plan.steps) + plan.grant.scope
    assert password not in text
    assert mysql_env.admin_password not in text
    assert "IDENTIFIED BY '***'" in plan.steps[0].detail
    assert "MAX_USER_CONNECTIONS 3 MAX_STATEMENT_TIME 30" in plan.steps[0].detail
    assert password not in repr(plan.grant.objects)
    admin = mysql_env.connect_as(mysql_env.admin_user, mysql_env.admin_password)
    with admin, admin.cursor() as cur:
        cur.execute(
            "SELECT COUNT(*) FROM information_schema.USER_PRIVILEGES WHERE GRANTEE LIKE %s",
            (f"%{plan.grant.objects['user']}%",),
        )
        assert cur.fetchone() == (0,)


def test_verify_reads_the_grants_of_a_credential(
    mysql_env: Any, project: Path, make_ctx: Any, mk_entry: Any, mysql_finding: Any
) -> None:
    root = PROVIDER.verify(mysql_finding("mysql://root@127.0.0.1:3306/", Environment.LIVE), _vctx())
    assert root.status == "valid"
    assert root.severity is not None and root.severity.value == "critical"
    assert "admin-database" in root.capabilities
    e = mk_entry(tables=[f"{mysql_env.database}.orders"])
    ctx = make_ctx(project, e, {"MYSQL_URL": mysql_env.admin_url})
    _plan, applied, _user, password = _provision(ctx, e)
    scoped = applied.env["MYSQL_URL"].reveal()
    result = PROVIDER.verify(mysql_finding(scoped, Environment.LIVE), _vctx())
    assert result.status == "valid"
    assert result.capabilities == ("read-production-data",)
    assert result.severity is not None and result.severity.value == "medium"
    assert password not in repr(result)
    dev = PROVIDER.verify(mysql_finding(scoped, Environment.DEV), _vctx())
    assert dev.severity is not None  # proven; the audit keeps a dev finding's own severity
    assert PROVIDER.revoke(applied.grant, ctx).ok
    gone = PROVIDER.verify(mysql_finding(scoped, Environment.LIVE), _vctx())
    assert gone.status == "invalid", gone.summary
    down = PROVIDER.verify(mysql_finding("mysql://u:p@127.0.0.1:1/x", Environment.LIVE), _vctx())
    assert down.status == "unknown"


def _vctx() -> Any:
    from agentauth.providers.base import VerifyContext

    return VerifyContext(related={}, environ={}, timeout=10.0)
