"""Talking to a MySQL/MariaDB server as the admin: connecting, its errors, what exists.

Kept apart from the provider so provisioning, revocation and delegation share one
connection factory, one reading of driver error codes and one way to kill a user's
connections (dropping a MySQL user does not close them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agentauth.errors import PermissionDenied, ProviderError
from agentauth.providers import kit as grantkit
from agentauth.providers.mysql.sql import Target, drop_statements

if TYPE_CHECKING:
    from pymysql.connections import Connection

SCHEMES = ("mysql", "mariadb", "mysql+pymysql", "mariadb+pymysql", "mysql+mysqldb", "mysql2")
# PyMySQL raises these codes when the admin lacks a privilege it needs.
# 1698: MariaDB refusing a login it has no user for (seen after DROP USER).
DENIED = {1044, 1045, 1142, 1143, 1227, 1410, 1698}
NO_SUCH_THREAD = 1094


@dataclass(frozen=True)
class Admin:
    """The developer's own connection settings, parsed from the source env."""

    url: grantkit.ServerURL

    def connect(self, timeout: float = 10.0) -> Connection[Any]:
        """Open an autocommit connection as the admin; translate connection failures."""
        return connect(self.url, timeout=timeout)


def _query(url: grantkit.ServerURL) -> dict[str, str]:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(url.query))


def connect(url: grantkit.ServerURL, *, timeout: float = 10.0) -> Connection[Any]:
    """Connect with PyMySQL (lazy import); errors become ProviderError without the password."""
    import pymysql

    query = _query(url)
    kwargs: dict[str, Any] = {
        "host": url.host,
        "port": url.port or 3306,
        "user": url.username or None,
        "password": url.password.reveal() if url.password else "",
        "connect_timeout": timeout,
        "read_timeout": max(timeout, 30.0),
        "autocommit": True,
        "charset": "utf8mb4",
    }
    if "unix_socket" in query:
        kwargs["unix_socket"] = query["unix_socket"]
    try:
        return pymysql.connect(**kwargs)
    except pymysql.err.MySQLError as exc:
        text = grantkit.scrubber(url.password)(describe_error(exc))
        if error_code(exc) in DENIED:
            raise PermissionDenied(
                f"MySQL at {url.address} refused the login of {url.username!r}: {text}; "
                "check the URL's user and password"
            ) from None
        raise ProviderError(
            f"cannot connect to MySQL at {url.address}: {text}; check that the server is "
            "running and the URL is right"
        ) from None


def error_code(exc: BaseException) -> int:
    """The server's numeric error code (0 when the driver gave none), to tell refusal from gone."""
    args: tuple[Any, ...] = tuple(getattr(exc, "args", ()))
    return args[0] if args and isinstance(args[0], int) else 0


def describe_error(exc: BaseException) -> str:
    """``(code) message`` of a driver error; callers still scrub it of passwords."""
    args: tuple[Any, ...] = tuple(getattr(exc, "args", ()))
    if len(args) >= 2:
        return f"({args[0]}) {args[1]}"
    return str(exc) or type(exc).__name__


def server_flavor(conn: Connection[Any]) -> str:
    with conn.cursor() as cur:
        cur.execute("SELECT VERSION()")
        row = cur.fetchone()
    version = str(row[0]) if row else ""
    return "mariadb" if "mariadb" in version.lower() else "mysql"


def missing_targets(conn: Connection[Any], targets: Sequence[Target]) -> list[str]:
    missing = []
    with conn.cursor() as cur:
        for t in targets:
            if t.table is None:
                cur.execute(
                    "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s",
                    (t.database,),
                )
            else:
                cur.execute(
                    "SELECT 1 FROM information_schema.TABLES "
                    "WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s",
                    (t.database, t.table),
                )
            if cur.fetchone() is None:
                missing.append(t.label())
    return missing


def drop_quietly(conn: Connection[Any], user: str) -> None:
    import pymysql

    for statement in drop_statements(user):
        try:
            with conn.cursor() as cur:
                cur.execute(statement)
        except pymysql.err.MySQLError:
            continue


def kill_connections(conn: Connection[Any], user: str, rounds: int = 20) -> int:
    """Kill every connection of ``user``; return how many are still open afterwards.

    A killed thread lingers in the process list for a moment, so this polls briefly.
    """
    import time

    import pymysql

    own = conn.thread_id()  # type: ignore[no-untyped-call]
    killed: set[int] = set()
    remaining: list[int] = []
    for _ in range(rounds):
        with conn.cursor() as cur:
            cur.execute("SELECT ID FROM information_schema.PROCESSLIST WHERE USER = %s", (user,))
            remaining = [int(row[0]) for row in cur.fetchall() if int(row[0]) != own]
        if not remaining:
            return 0
        for thread in remaining:
            if thread in killed:
                continue
            try:
                with conn.cursor() as cur:
                    cur.execute("KILL CONNECTION %s", (thread,))
                killed.add(thread)
            except pymysql.err.MySQLError as exc:
                if error_code(exc) != NO_SUCH_THREAD:
                    return len(remaining)
        time.sleep(0.05)
    return len(remaining)
