"""Fixtures for the MySQL provider tests: a throwaway database and a limited admin on MariaDB."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pymysql
import pytest
from tests.findingkit import verify_finding
from tests.support.contexts import make_ctx

from agentauth.model import Action, CredentialPolicy

HOST = "127.0.0.1"


def root_connect() -> Any:
    """Connect as the server's root (no password on this machine)."""
    return pymysql.connect(host=HOST, user="root", autocommit=True)


def quote(name: str) -> str:
    """Backtick-quote an identifier for the fixtures' own SQL."""
    return "`" + name.replace("`", "``") + "`"


@dataclass
class MySQLEnv:
    """A database with two tables and an admin URL allowed to create users for it."""

    database: str
    admin_url: str
    admin_user: str
    admin_password: str

    def connect_as(self, user: str, password: str, database: str | None = None) -> Any:
        """Connect as another user (the scoped one)."""
        return pymysql.connect(
            host=HOST, user=user, password=password, database=database, autocommit=True
        )


def _create(database: str, *, admin_privs: str) -> MySQLEnv:
    suffix = secrets.token_hex(4)
    admin = f"aa_admin_{suffix}"
    password = secrets.token_urlsafe(16)
    with root_connect() as conn, conn.cursor() as cur:
        db = quote(database)
        cur.execute(f"CREATE DATABASE {db}")
        cur.execute(f"CREATE TABLE {db}.orders (id INT PRIMARY KEY, total INT)")
        cur.execute(f"INSERT INTO {db}.orders VALUES (1, 100), (2, 250)")
        cur.execute(f"CREATE TABLE {db}.secrets (id INT PRIMARY KEY, value TEXT)")
        cur.execute(f"INSERT INTO {db}.secrets VALUES (1, 'hunter2')")
        cur.execute(f"CREATE USER '{admin}'@'%' IDENTIFIED BY '{password}'")
        if admin_privs:
            cur.execute(f"GRANT {admin_privs} ON *.* TO '{admin}'@'%'")
        cur.execute(f"GRANT ALL PRIVILEGES ON {db}.* TO '{admin}'@'%' WITH GRANT OPTION")
    url = f"mysql://{admin}:{password}@{HOST}:3306/{database}"
    return MySQLEnv(database, url, admin, password)


def _drop(env: MySQLEnv) -> None:
    with root_connect() as conn, conn.cursor() as cur:
        # Every agentauth user that still holds a privilege on this database is ours.
        cur.execute(
            "SELECT DISTINCT User, Host FROM mysql.db WHERE Db = %s AND User LIKE 'agentauth%%' "
            "UNION SELECT DISTINCT User, Host FROM mysql.tables_priv "
            "WHERE Db = %s AND User LIKE 'agentauth%%'",
            (env.database, env.database),
        )
        for user, host in cur.fetchall():
            cur.execute("DROP USER IF EXISTS %s@%s", (user, host))
        cur.execute("DROP USER IF EXISTS %s@'%%'", (env.admin_user,))
        cur.execute(f"DROP DATABASE IF EXISTS {quote(env.database)}")


@pytest.fixture
def mysql_env(mysql_available: None) -> Iterator[MySQLEnv]:
    """A throwaway database plus an admin with CREATE USER, PROCESS and CONNECTION ADMIN."""
    env = _create(
        f"aa_my_{secrets.token_hex(4)}", admin_privs="CREATE USER, PROCESS, CONNECTION ADMIN"
    )
    try:
        yield env
    finally:
        _drop(env)


@pytest.fixture
def hostile_env(mysql_available: None) -> Iterator[MySQLEnv]:
    """A database whose name is full of quoting hazards."""
    env = _create(
        f"aa_h`x'\"; DROP DATABASE mysql; -- {secrets.token_hex(3)}",
        admin_privs="CREATE USER, PROCESS, CONNECTION ADMIN",
    )
    try:
        yield env
    finally:
        _drop(env)


@pytest.fixture
def weak_env(mysql_available: None) -> Iterator[MySQLEnv]:
    """An admin that owns the database but may not create users."""
    env = _create(f"aa_my_{secrets.token_hex(4)}", admin_privs="")
    try:
        yield env
    finally:
        _drop(env)


def entry(variable: str = "MYSQL_URL", line: int = 7, **options: Any) -> CredentialPolicy:
    """A provision entry for the mysql provider."""
    return CredentialPolicy(
        variable=variable, action=Action.PROVISION, provider="mysql", options=options, line=line
    )


@pytest.fixture(name="make_ctx")
def _make_ctx_fixture() -> Any:
    """The :func:`make_ctx` factory, as a fixture (test modules do not import conftest)."""
    return make_ctx


@pytest.fixture(name="mk_entry")
def _entry_fixture() -> Any:
    """The :func:`entry` factory, as a fixture."""
    return entry


@pytest.fixture
def mysql_finding() -> Any:
    """Build a Finding for a MySQL URL, as the audit would hand it to ``verify``."""
    from agentauth.model import Environment, Finding

    def build(url: str, environment: Environment) -> Finding:
        return verify_finding("mysql", "mysql-url", "MYSQL_URL", url, environment)

    return build
