"""Does the server let anyone in without a password? (``trust``/``peer`` in pg_hba.conf)

A scoped role means nothing on a server that accepts a login as ``postgres`` with no
password at all: the agent simply connects as the superuser. The only reliable test
is to try (pg_hba.conf is not readable by ordinary roles): a password-less login as
the admin's role and as ``postgres``, with no password file, at the same endpoint.
Used by ``provision`` (a plan warning), ``audit --verify`` and ``doctor``. The
attempt sends no credential, so nothing secret can leak through it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from agentauth.model import Secret
from agentauth.providers.postgres import sql as pgsql

PROBE_ROLES = ("postgres",)
_NO_PASSFILE = os.path.join(os.sep, "nonexistent", "agentauth-no-passfile")
_DROPPED = frozenset({"password", "passfile", "sslcert", "sslkey", "sslpassword", "service"})


def passwordless_logins(
    conninfo: Secret, *, extra_roles: Sequence[str] = PROBE_ROLES, timeout: int = 3
) -> list[str]:
    """Return the roles the server at ``conninfo``'s endpoint accepts with no password."""
    import psycopg
    from psycopg.conninfo import make_conninfo

    params = pgsql.parse_conninfo(conninfo.reveal())
    kept = {k: v for k, v in params.items() if k not in _DROPPED and k != "user"}
    user = params.get("user") or os.environ.get("PGUSER") or ""
    roles = list(dict.fromkeys(r for r in (user, *extra_roles) if r))
    accepted: list[str] = []
    for role in roles:
        fields = {
            **kept,
            "user": role,
            "password": "",
            # NOTE: a path that does not exist: libpq warns on stderr about /dev/null
            # ("not a plain file") but ignores a missing password file silently.
            "passfile": _NO_PASSFILE,
            "connect_timeout": str(timeout),
            "application_name": "agentauth-trust-probe",
        }
        probe = make_conninfo("", **fields)
        try:
            psycopg.connect(probe, autocommit=True).close()
        except psycopg.Error:
            continue
        accepted.append(role)
    return accepted


def trust_warning(where: str, roles: Sequence[str]) -> str:
    """Say what a password-less server means for scoping, and the fix."""
    names = ", ".join(roles)
    return (
        f"PostgreSQL at {where} accepts a login as {names} with NO password (trust or peer "
        "authentication in pg_hba.conf): the agent can connect as that role without any "
        "credential, so scoping means nothing until the server requires passwords. Fix: set "
        "the host lines of pg_hba.conf to scram-sha-256 and reload the server"
    )


def doctor_check(value: Secret) -> tuple[str, str, str] | None:
    """``doctor``: (status, summary, fix) when the server takes password-less logins."""
    from agentauth.errors import AgentAuthError

    try:
        params = pgsql.parse_conninfo(value.reveal())
    except AgentAuthError:
        return None
    roles = passwordless_logins(value)
    if not roles:
        return None
    problem, _, fix = trust_warning(pgsql.endpoint(params), roles).partition(". Fix: ")
    return ("fail", problem, fix)
