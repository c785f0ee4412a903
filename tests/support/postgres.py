"""The local PostgreSQL as its superuser: the one admin DSN, connection and throwaway database.

Every Postgres test reaches the server the same way (``AGENTAUTH_TEST_PG``, default
the trust-authenticated ``postgres`` user on 127.0.0.1:5432): the fixtures here say
so once, and :func:`create_database` / :func:`drop_database` are the one way a test
makes and removes a database (dropping first ends the sessions still connected to
it, which a provider under test may have left open).
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterator
from typing import Any

import pytest

PG_ADMIN_DSN = os.environ.get("AGENTAUTH_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def port_open(host: str, port: int) -> bool:
    """True when something accepts a TCP connection on ``host:port`` within a second."""
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def admin(dsn: str = PG_ADMIN_DSN, dbname: str | None = None) -> Any:
    """Connect as the superuser (autocommit), to ``dbname`` or the DSN's own database."""
    import psycopg

    extra = {"dbname": dbname} if dbname else {}
    return psycopg.connect(dsn, autocommit=True, **extra)


def create_database(name: str, *, owner: str | None = None, dsn: str = PG_ADMIN_DSN) -> None:
    """Create database ``name`` (owned by ``owner`` when given)."""
    from psycopg import sql

    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if owner is not None:
        statement = sql.SQL("{} OWNER {}").format(statement, sql.Identifier(owner))
    with admin(dsn) as conn:
        conn.execute(statement)


def drop_database(name: str, *, dsn: str = PG_ADMIN_DSN) -> None:
    """End the sessions still on database ``name``, then drop it (if it exists)."""
    from psycopg import sql

    with admin(dsn) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
        )
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def pg_admin_dsn() -> str:
    """The superuser DSN of the local PostgreSQL; fails (not skips) when it is down."""
    if not port_open("127.0.0.1", 5432):
        pytest.fail("PostgreSQL is not answering on 127.0.0.1:5432 (.ci/run starts it)")
    return PG_ADMIN_DSN


@pytest.fixture
def pg_database(pg_admin_dsn: str) -> Iterator[str]:
    """Create a throwaway database, yield its name, drop it."""
    name = f"aa_test_{secrets.token_hex(4)}"
    create_database(name, dsn=pg_admin_dsn)
    try:
        yield name
    finally:
        drop_database(name, dsn=pg_admin_dsn)
