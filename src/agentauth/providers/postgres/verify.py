"""``audit --verify`` for database URLs: connect AS the credential and report its real power.

This is how a user learns that their ``DATABASE_URL`` is the owner of every table.
Read-only: it only runs catalog queries (providers.md §1.7). A server that does
not answer is ``unknown``; a refused login is ``invalid``; never an exception.
"""

from __future__ import annotations

from typing import Any

from agentauth.errors import AgentAuthError
from agentauth.model import Finding, Secret, Severity, Verification
from agentauth.providers.base import VerifyContext
from agentauth.providers.postgres import sql as pgsql
from agentauth.redact import Scrubber

_ROLE = """
SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls,
       has_database_privilege(current_database(), 'CREATE'),
       has_database_privilege(current_database(), 'TEMPORARY'),
       current_setting('server_version_num')::int, current_user, current_database()
  FROM pg_roles WHERE rolname = current_user
"""
_PREDEFINED = """
SELECT r.rolname FROM pg_roles r
 WHERE r.rolname IN ('pg_read_all_data', 'pg_write_all_data', 'pg_read_server_files',
                     'pg_write_server_files', 'pg_execute_server_program', 'pg_signal_backend',
                     'pg_monitor', 'pg_database_owner')
   AND pg_has_role(current_user, r.oid, 'USAGE')
 ORDER BY 1
"""
_TABLES = """
SELECT count(*) FILTER (WHERE pg_has_role(c.relowner, 'USAGE')),
       count(*) FILTER (WHERE has_table_privilege(c.oid, 'INSERT')
                           OR has_table_privilege(c.oid, 'UPDATE')),
       count(*) FILTER (WHERE has_table_privilege(c.oid, 'DELETE')
                           OR has_table_privilege(c.oid, 'TRUNCATE')),
       count(*) FILTER (WHERE has_table_privilege(c.oid, 'SELECT'))
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
   AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname NOT LIKE 'pg\\_toast%%' AND n.nspname NOT LIKE 'pg\\_temp%%'
"""
_CREATE_SCHEMAS = """
SELECT nspname FROM pg_namespace
 WHERE has_schema_privilege(oid, 'CREATE') AND nspname NOT LIKE 'pg\\_%%'
   AND nspname <> 'information_schema'
 ORDER BY 1
"""
_CRITICAL_ROLES = ("pg_write_all_data", "pg_execute_server_program", "pg_write_server_files")


def _conninfo(finding: Finding, ctx: VerifyContext) -> Secret | None:
    value = finding.secret.reveal()
    if "://" in value or "=" in value:
        return finding.secret
    if finding.variable and finding.variable in ctx.related:
        related = ctx.related[finding.variable]
        if "://" in related.reveal():
            return related
    return None


def verify(finding: Finding, ctx: VerifyContext) -> Verification:
    """Connect as the credential (5 s timeout) and summarise what it may do."""
    import psycopg

    conninfo = _conninfo(finding, ctx)
    if conninfo is None:
        return Verification("unknown", "not a PostgreSQL connection string")
    scrub = Scrubber([conninfo])
    try:
        params = pgsql.parse_conninfo(conninfo.reveal())
    except AgentAuthError as exc:
        return Verification("unknown", str(exc))
    where = pgsql.endpoint(params)
    timeout = max(1, min(int(ctx.timeout), 5))
    try:
        with psycopg.connect(
            conninfo.reveal(),
            connect_timeout=timeout,
            autocommit=True,
            application_name="agentauth-verify",
        ) as conn:
            facts = _facts(conn)
        from agentauth.providers.postgres.trust import passwordless_logins

        facts["passwordless_logins"] = passwordless_logins(conninfo, timeout=timeout)
    except psycopg.OperationalError as exc:
        text = scrub(str(exc).strip().splitlines()[-1] if str(exc).strip() else "")
        if "authentication failed" in text or ("password" in text and "fail" in text):
            return Verification("invalid", f"login refused by {where}: {text}")
        return Verification("unknown", f"cannot reach PostgreSQL at {where}: {text}")
    except psycopg.Error as exc:
        return Verification("unknown", scrub(f"{where}: {type(exc).__name__}: {exc}"))
    return _judge(facts, where)


def _facts(conn: Any) -> dict[str, Any]:
    role = conn.execute(_ROLE).fetchone()
    owned, writable, deletable, readable = conn.execute(_TABLES).fetchone()
    return {
        "superuser": bool(role[0]),
        "createrole": bool(role[1]),
        "createdb": bool(role[2]),
        "replication": bool(role[3]),
        "bypassrls": bool(role[4]),
        "database_create": bool(role[5]),
        "temporary": bool(role[6]),
        "server_version": int(role[7]),
        "user": str(role[8]),
        "database": str(role[9]),
        "predefined_roles": [r[0] for r in conn.execute(_PREDEFINED).fetchall()],
        "tables_owned": int(owned),
        "tables_writable": int(writable),
        "tables_deletable": int(deletable),
        "tables_readable": int(readable),
        "create_schemas": [r[0] for r in conn.execute(_CREATE_SCHEMAS).fetchall()],
    }


def _judge(facts: dict[str, Any], where: str) -> Verification:
    """Turn the facts into a summary line, capabilities and a severity."""
    parts: list[str] = []
    caps: list[str] = []
    severity = Severity.LOW
    critical = [name for name in ("superuser", "createrole", "bypassrls") if facts[name]]
    critical += [r for r in facts["predefined_roles"] if r in _CRITICAL_ROLES]
    if critical:
        severity = Severity.CRITICAL
        parts.extend(
            c.upper() if c in ("superuser", "createrole", "bypassrls") else c for c in critical
        )
        caps.append("admin-database")
    if facts["superuser"] or facts["bypassrls"]:
        caps.append("bypass-row-level-security")
    if facts["tables_owned"]:
        parts.append(f"owner of {facts['tables_owned']} tables")
    if facts["tables_writable"] and facts["tables_writable"] != facts["tables_owned"]:
        parts.append(f"can write {facts['tables_writable']} tables")
    if facts["tables_owned"] or facts["tables_writable"] or facts["superuser"]:
        caps.append("write-production-data")
        if severity is not Severity.CRITICAL:
            severity = Severity.HIGH
    if facts["tables_owned"] or facts["tables_deletable"] or facts["superuser"]:
        caps.append("delete-production-data")
    if facts["tables_readable"] or facts["superuser"]:
        caps.append("read-production-data")
    parts.extend(f"CREATE on schema {schema}" for schema in facts["create_schemas"])
    if facts["create_schemas"] and severity.rank < Severity.HIGH.rank:
        severity = Severity.MEDIUM
    others = [r for r in facts["predefined_roles"] if r not in _CRITICAL_ROLES]
    if others:
        parts.append("member of " + ", ".join(others))
    if not parts:
        parts.append(f"read-only ({facts['tables_readable']} readable tables)")
    trusted = facts.get("passwordless_logins") or []
    if trusted:
        # NOTE: in the first clause, beside what the role itself may do: the one fact that
        # makes scoping moot, kept whole when the line is cut (only later clauses are cut).
        parts[0] = (
            f"{parts[0]}, and the server accepts a login as {', '.join(trusted)} with NO "
            "password (trust auth): scoping means nothing until it requires passwords"
        )
        if severity.rank < Severity.HIGH.rank:
            severity = Severity.HIGH
    summary = f"{facts['user']}@{facts['database']} on {where}: " + "; ".join(parts)
    return Verification(
        status="valid",
        summary=summary,
        capabilities=tuple(dict.fromkeys(caps)),
        severity=severity,
        details=facts,
    )
