"""Connecting to PostgreSQL as the admin credential, with errors that name host:port only.

Why a module of its own: ``plan``, ``apply`` and ``revoke`` all connect the same way,
and ``revoke`` must not import the provider module that imports it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from agentauth.errors import ProviderError
from agentauth.model import Secret
from agentauth.providers.postgres import sql as pgsql
from agentauth.redact import Scrubber

CONNECT_TIMEOUT = 5


@contextlib.contextmanager
def connect(
    conninfo: Secret, *, dbname: str | None = None, autocommit: bool = False
) -> Iterator[Any]:
    """Open a psycopg connection, translating failures into a ProviderError naming host:port."""
    import psycopg

    params = pgsql.parse_conninfo(conninfo.reveal())
    scrub = Scrubber([conninfo, *([Secret(params["password"])] if "password" in params else [])])
    extra: dict[str, Any] = {"connect_timeout": CONNECT_TIMEOUT, "autocommit": autocommit}
    if "application_name" not in params:
        extra["application_name"] = "agentauth"
    if dbname is not None:
        extra["dbname"] = dbname
    try:
        conn = psycopg.connect(conninfo.reveal(), **extra)
    except psycopg.Error as exc:
        reason = scrub(str(exc).strip().splitlines()[-1] if str(exc).strip() else "")
        raise ProviderError(
            f"cannot connect to PostgreSQL at {pgsql.endpoint(params)}: {reason}; "
            "check that the server is running and the URL is right"
        ) from None
    try:
        yield conn
    finally:
        conn.close()
