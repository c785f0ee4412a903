"""Revocation of a Postgres grant: stop logins, end sessions, clean every database, drop the role.

The order matters (providers.md §1.6): NOLOGIN first so no new session starts,
then terminate the open ones (``VALID UNTIL`` does not end them), then
``DROP OWNED`` in every database the role touched (it cannot reach other
databases), then ``DROP ROLE``. Nothing the agent created is ever reassigned to the
admin (a planted SECURITY DEFINER function would run with the admin's rights): it is
dropped, and the result names what was dropped. A non-superuser admin with CREATEROLE
first makes itself a member of the agent role, without which PostgreSQL refuses to
terminate its sessions or drop what it owns. Idempotent: a missing role is success.
"""

from __future__ import annotations

from typing import Any

from agentauth.errors import AgentAuthError, ProviderError
from agentauth.model import Grant, GrantId, RevokeResult, Secret
from agentauth.providers.base import ProviderContext
from agentauth.providers.postgres import sql as pgsql
from agentauth.redact import Scrubber

_DEPENDENT_DATABASES = """
SELECT DISTINCT d.datname FROM pg_shdepend s JOIN pg_database d ON d.oid = s.dbid
 WHERE s.refclassid = 'pg_authid'::regclass
   AND s.refobjid = (SELECT oid FROM pg_roles WHERE rolname = %s)
"""
_OWNED_HERE = """
SELECT pg_describe_object(s.classid, s.objid, s.objsubid) FROM pg_shdepend s
 WHERE s.deptype = 'o' AND s.refclassid = 'pg_authid'::regclass
   AND s.refobjid = (SELECT oid FROM pg_roles WHERE rolname = %s)
   AND s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
 ORDER BY 1
"""


def manual_sql(role: str, databases: list[str]) -> str:
    """Return the revocation SQL for a DBA to run by hand (psql, one database at a time)."""
    from psycopg import sql

    phases = pgsql.revoke_statements(role)
    lines = [pgsql.render(phases["cluster"])]
    for db in databases:
        lines.append(f"\\connect {sql.Identifier(db).as_string(None)}")
        lines.append(pgsql.render(phases["per_database"]))
    lines.append(pgsql.render(phases["drop"]))
    return "\n".join(lines)


def revoke(grant: Grant, ctx: ProviderContext) -> RevokeResult:
    """Remove the grant's role; a failure is a result (kept in the ledger), not an exception."""
    import psycopg

    from agentauth.providers.postgres.connection import connect

    role = str(grant.objects.get("role", ""))
    databases = [str(d) for d in grant.objects.get("databases", [])]
    gid = GrantId(grant.id)
    if not role:
        return RevokeResult(gid, True, "no role was recorded; nothing to remove")
    manual = manual_sql(role, databases)
    admin = ctx.source_env.get(grant.variable)
    if admin is None:
        return RevokeResult(
            gid,
            False,
            f"{grant.variable} is not in {ctx.policy.source}, so agentauth cannot connect as the "
            f"admin to drop role {role}; restore it and run revoke again, or run the SQL below",
            manual=manual,
        )
    scrub = Scrubber([admin])
    try:
        params = pgsql.parse_conninfo(admin.reveal())
        server = pgsql.endpoint(params)
        recorded = str(grant.objects.get("server", server))
        if recorded != server:
            return RevokeResult(
                gid,
                False,
                f"{grant.variable} now points at {server}, but role {role} was created on "
                f"{recorded}; point it back and run revoke again, or run the SQL below there",
                manual=manual,
            )
        return _revoke(grant, admin, role, databases, connect, scrub)
    except AgentAuthError as exc:
        return RevokeResult(gid, False, scrub(str(exc)), manual=manual)
    except psycopg.errors.InsufficientPrivilege as exc:
        message = scrub(str(exc).strip().splitlines()[0])
        return RevokeResult(
            gid,
            False,
            f"the admin role was refused ({message}); a superuser can run the SQL below",
            manual=manual,
        )
    except psycopg.Error as exc:
        message = scrub(str(exc).strip().splitlines()[0] if str(exc).strip() else "")
        return RevokeResult(gid, False, f"revocation failed: {message}; run revoke again")


def _revoke(
    grant: Grant,
    admin: Secret,
    role: str,
    databases: list[str],
    connect: Any,
    scrub: Scrubber,
) -> RevokeResult:
    import psycopg

    gid = GrantId(grant.id)
    with connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone()
        if exists is None:
            return RevokeResult(gid, True, f"role {role} is already gone")
        me, superuser = conn.execute(
            "SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        phases = pgsql.revoke_statements(role)
        conn.execute(phases["cluster"][0])
        member = conn.execute("SELECT pg_has_role(current_user, %s, 'USAGE')", [role]).fetchone()
        if not superuser and not member[0]:
            conn.execute(pgsql.membership_statement(role, me))
        terminated = conn.execute(phases["cluster"][1]).fetchall()
        touched = [r[0] for r in conn.execute(_DEPENDENT_DATABASES, [role]).fetchall()]
        current_db = conn.info.dbname
    skipped = []
    dropped: list[str] = []
    for db in dict.fromkeys([*databases, *touched]):
        try:
            with connect(admin, dbname=db, autocommit=True) as db_conn:
                db_conn.execute("SET search_path = pg_catalog")  # names come out qualified
                owned = db_conn.execute(_OWNED_HERE, [role]).fetchall()
                dropped.extend(f"{r[0]} (in {db})" for r in owned)
                for statement in phases["per_database"]:
                    db_conn.execute(statement)
        except ProviderError:  # NOTE: only connect raises it: the database is gone or closed
            skipped.append(db)
    with connect(admin, dbname=current_db, autocommit=True) as conn:
        try:
            conn.execute(phases["drop"][0])
        except psycopg.errors.DependentObjectsStillExist as exc:
            detail = scrub(str(exc).strip().replace("\n", " "))
            return RevokeResult(
                gid,
                False,
                f"role {role} still owns or holds objects ({detail}); run revoke again",
                manual=manual_sql(role, [*databases, *touched]),
            )
    note = f"; skipped unreachable database(s) {', '.join(skipped)}" if skipped else ""
    if dropped:
        more = f" and {len(dropped) - 20} more" if len(dropped) > 20 else ""
        shown = ", ".join(dropped[:20]) + more
        note += f"; dropped what the agent had created: {shown}"
    return RevokeResult(
        gid,
        True,
        f"dropped role {role}; terminated {sum(1 for r in terminated if r[0])} session(s){note}",
    )
