"""Escape attempts AS the scoped MariaDB user: refused, or documented "by design".

The counts are checked against docs/threat-model.md ("what remains").
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pymysql
import pytest

from agentauth.providers.mysql.provider import PROVIDER

pytestmark = pytest.mark.mysql

THREAT_MODEL = Path(__file__).resolve().parents[2] / "docs" / "threat-model.md"

# (what, statement, refused?) — {db} is the test's database.
ESCAPES: tuple[tuple[str, str, bool], ...] = (
    ("insert", "INSERT INTO orders VALUES (3, 1)", True),
    ("update", "UPDATE orders SET total = 0", True),
    ("delete", "DELETE FROM orders", True),
    ("replace", "REPLACE INTO orders VALUES (1, 0)", True),
    ("truncate", "TRUNCATE TABLE orders", True),
    ("drop table", "DROP TABLE orders", True),
    ("alter table", "ALTER TABLE orders ADD COLUMN x INT", True),
    ("create table", "CREATE TABLE evil (id INT)", True),
    ("create temporary table", "CREATE TEMPORARY TABLE evil (id INT)", True),
    ("create view", "CREATE VIEW evil AS SELECT 1", True),
    ("create procedure", "CREATE PROCEDURE evil() SELECT 1", True),
    ("create trigger", "CREATE TRIGGER evil BEFORE INSERT ON orders FOR EACH ROW SET @x = 1", True),
    ("create event", "CREATE EVENT evil ON SCHEDULE EVERY 1 HOUR DO SELECT 1", True),
    ("lock tables", "LOCK TABLES orders WRITE", True),
    ("table outside the allowlist", "SELECT * FROM secrets", True),
    ("the mysql schema", "SELECT * FROM mysql.user", True),
    ("create database", "CREATE DATABASE evil", True),
    ("drop database", "DROP DATABASE {db}", True),
    ("create user", "CREATE USER 'evil'@'%' IDENTIFIED BY 'x'", True),
    ("grant itself more", "GRANT ALL ON {db}.* TO CURRENT_USER()", True),
    ("read a server file (NULL without FILE)", "SELECT LOAD_FILE('/etc/passwd')", None),
    ("load data infile", "LOAD DATA INFILE '/etc/passwd' INTO TABLE orders", True),
    ("select into outfile", "SELECT * FROM orders INTO OUTFILE '/tmp/agentauth-escape'", True),
    ("global setting", "SET GLOBAL max_connections = 1", True),
    ("process list of others", "SHOW FULL PROCESSLIST", None),
    ("kill another connection", "KILL {admin_id}", True),
    ("shutdown", "SHUTDOWN", True),
    ("install a plugin", "INSTALL SONAME 'ha_blackhole'", True),
    # by design: documented
    (
        "locking read FOR UPDATE (SELECT only)",
        "SELECT * FROM orders WHERE id = 1 FOR UPDATE",
        False,
    ),
    ("lift max_statement_time for its session", "SET SESSION max_statement_time = 0", False),
    ("user lock (GET_LOCK)", "SELECT GET_LOCK('agentauth-escape', 0)", False),
)


def counts() -> tuple[int, int, int]:
    """(attempted, refused, by design); ``None`` rows are refused by what they return
    (LOAD_FILE gives NULL, SHOW PROCESSLIST lists only the agent's own sessions)."""
    refused = sum(1 for _w, _s, r in ESCAPES if r is not False)
    return len(ESCAPES), refused, len(ESCAPES) - refused


def test_every_escape_is_refused_or_by_design(
    mysql_env: Any, project: Path, make_ctx: Any, mk_entry: Any
) -> None:
    e = mk_entry(tables=[f"{mysql_env.database}.orders"])
    ctx = make_ctx(project, e, {"MYSQL_URL": mysql_env.admin_url})
    applied = PROVIDER.apply(PROVIDER.plan(e, ctx), ctx)
    url = urlsplit(applied.env["MYSQL_URL"].reveal())
    user, password = unquote(url.username or ""), unquote(url.password or "")
    admin = mysql_env.connect_as(mysql_env.admin_user, mysql_env.admin_password)
    wrong: dict[str, str] = {}
    try:
        names = {"db": f"`{mysql_env.database}`", "admin_id": admin.thread_id()}
        for what, statement, refused in ESCAPES:
            agent = mysql_env.connect_as(user, password, mysql_env.database)
            try:
                with agent.cursor() as cur:
                    cur.execute(statement.format(**names))
                    rows = cur.fetchall()
                if refused is None and what.startswith("read a server file"):
                    if rows != ((None,),):
                        wrong[what] = "read the file"
                elif refused is None:  # refused means: nobody else's sessions are visible
                    if any(str(r[1]) != user for r in rows):
                        wrong[what] = f"saw {len(rows)} sessions"
                elif refused:
                    wrong[what] = "worked"
            except pymysql.err.MySQLError as exc:
                if refused is False:
                    wrong[what] = f"refused: {exc.args[0]}"
                elif exc.args[0] not in (1044, 1045, 1142, 1227, 1095, 1370, 1410, 1211):
                    wrong[what] = f"refused for another reason: {exc.args[0]}"
            finally:
                agent.close()
        assert wrong == {}
        admin.ping(reconnect=False)  # the admin's session survived the KILL attempt
    finally:
        admin.close()
        PROVIDER.revoke(applied.grant, ctx)


def test_the_threat_model_states_these_counts() -> None:
    text = THREAT_MODEL.read_text(encoding="utf-8")
    match = re.search(r"MariaDB: (\d+) attempted, (\d+) refused, (\d+) by design", text)
    assert match is not None
    assert tuple(int(g) for g in match.groups()) == counts()
