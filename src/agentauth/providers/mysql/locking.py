"""What a SELECT-only MySQL/MariaDB user can still do to the application: hold row locks.

``SELECT ... FOR UPDATE`` (and ``LOCK IN SHARE MODE`` / ``FOR SHARE``) needs only
SELECT. With autocommit off, the agent's transaction keeps those locks until it ends,
and the application's writes to the rows wait (``innodb_lock_wait_timeout``, then
fail). No per-user limit can end an idle transaction: ``wait_timeout`` and MariaDB's
``idle_transaction_timeout`` are session variables the agent may lower or raise for
itself, settable per server, not per user; ``MAX_STATEMENT_TIME`` bounds one
statement, not a transaction. So the plan says so, with the server's values, and
recommends a replica (a locking read there blocks nothing on the primary).
"""

from __future__ import annotations

from typing import Any

_SETTINGS = "SELECT @@GLOBAL.read_only, @@GLOBAL.wait_timeout"
_IDLE = "SELECT @@GLOBAL.idle_transaction_timeout"


def locking_warning(conn: Any, address: str) -> str | None:
    """Return the plan's warning about locking reads, or None on a read-only replica."""
    import pymysql

    with conn.cursor() as cur:
        cur.execute(_SETTINGS)
        read_only, wait = cur.fetchone()
        idle: int | None = None
        try:
            cur.execute(_IDLE)  # MariaDB only
            idle = int(cur.fetchone()[0] or 0)
        except pymysql.err.MySQLError:  # MySQL has no such variable
            idle = None
    if int(read_only or 0):
        return None
    bound = (
        f"idle_transaction_timeout {idle} s"
        if idle
        else f"wait_timeout {int(wait)} s (idle_transaction_timeout is off)"
        if idle is not None
        else f"wait_timeout {int(wait)} s"
    )
    return (
        f"a SELECT-only user can still SELECT ... FOR UPDATE on {address} and hold row locks "
        "that block the application's writes for as long as its transaction stays open "
        f"(here up to {bound}); no per-user limit exists for that. Give the agent a "
        "read-only replica's URL, or lower the server's idle_transaction_timeout "
        "(MariaDB) / wait_timeout"
    )
