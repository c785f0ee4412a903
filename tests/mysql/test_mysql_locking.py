"""A SELECT-only MariaDB user can hold row locks (issue 15): proven, then warned in the plan."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pymysql
import pytest

from agentauth.providers.mysql.provider import PROVIDER

pytestmark = pytest.mark.mysql


def test_locking_read_blocks_app_writes_and_the_plan_says_so(
    mysql_env: Any, project: Path, make_ctx: Any, mk_entry: Any
) -> None:
    e = mk_entry(tables=[f"{mysql_env.database}.orders"])
    ctx = make_ctx(project, e, {"MYSQL_URL": mysql_env.admin_url})
    plan = PROVIDER.plan(e, ctx)
    warning = next(w for w in plan.warnings if "FOR UPDATE" in w)
    assert "replica" in warning and "no per-user limit" in warning
    assert "statement default" in plan.grant.scope  # a default the agent can lift, not a limit
    applied = PROVIDER.apply(plan, ctx)
    url = urlsplit(applied.env["MYSQL_URL"].reveal())
    agent = pymysql.connect(
        host="127.0.0.1", user=unquote(url.username or ""), password=unquote(url.password or ""),
        database=mysql_env.database, autocommit=False,
    )  # fmt: skip
    app = pymysql.connect(
        host="127.0.0.1", user=mysql_env.admin_user, password=mysql_env.admin_password,
        database=mysql_env.database, autocommit=True,
    )  # fmt: skip
    try:
        with agent.cursor() as cur:
            cur.execute("SELECT * FROM orders WHERE id = 1 FOR UPDATE")  # SELECT is enough
        with app.cursor() as cur:
            cur.execute("SET SESSION innodb_lock_wait_timeout = 1")
            with pytest.raises(pymysql.err.OperationalError) as info:
                cur.execute("UPDATE orders SET total = 1 WHERE id = 1")
            assert info.value.args[0] == 1205  # lock wait timeout: the app's write is blocked
        with agent.cursor() as cur:  # and the statement time "limit" is the agent's to lift
            cur.execute("SET SESSION max_statement_time = 0")
    finally:
        agent.close()
        app.close()
        PROVIDER.revoke(applied.grant, ctx)
