"""What every role may do on the server beyond the grants: the plan's warnings and hardening.

PostgreSQL hands PUBLIC (so the agent too) rights the scoped role's grants do not
control: CREATE in some schemas, TEMP, EXECUTE on functions (SECURITY DEFINER ones
run with their owner's rights), large-object creation even in a read-only session,
SELECT on PUBLIC-readable tables, CONNECT to other databases, foreign-data wrappers.
The plan lists each; with ``hardening: true`` (every measure of :data:`MEASURES`) or a
list of measures it revokes what the admin may revoke (for **every** role of the
database, which is why it is opt-in) and names the rest with the SQL for a DBA. Pure:
it reads :class:`ServerFacts`, never the server.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from agentauth.errors import did_you_mean
from agentauth.providers.postgres.introspect import ServerFacts

if TYPE_CHECKING:
    from psycopg import sql


MEASURES: dict[str, str] = {
    "schema-create": "REVOKE CREATE ON SCHEMA ... FROM PUBLIC on every schema that allows it",
    "temp": "REVOKE TEMPORARY ON DATABASE ... FROM PUBLIC",
    "security-definer": "REVOKE EXECUTE FROM PUBLIC on the SECURITY DEFINER functions the agent "
    "could reach",
    "default-execute": "ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC: "
    "functions the admin creates later are not executable by PUBLIC",
    "large-objects": "REVOKE EXECUTE FROM PUBLIC on the large-object writers (superuser admin)",
}
"""The named hardening measures, in the order they run; ``hardening: true`` is all of them."""


def measures(value: object) -> frozenset[str] | str:
    """``hardening``'s value as the set of measures, or the reason it is not one.

    ``true``/``false`` or a list of names of :data:`MEASURES`; anything else is a string
    saying why (the caller raises the option error that locates it).
    """
    if isinstance(value, bool):
        return frozenset(MEASURES) if value else frozenset()
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        return f"expected true, false or a list of: {', '.join(MEASURES)}"
    unknown = [v for v in value if v not in MEASURES]
    if unknown:
        return (
            f"unknown measure {unknown[0]!r}{did_you_mean(unknown[0], MEASURES)}; "
            f"known: {', '.join(MEASURES)}"
        )
    return frozenset(value)


def _listed(names: Sequence[str], limit: int = 10) -> str:
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def _dba(statements: Sequence[sql.Composable]) -> str:
    return " ".join(s.as_string(None) + ";" for s in statements)


def exposure(
    facts: ServerFacts, opts: Mapping[str, Any], chosen: Collection[str]
) -> tuple[list[str], list[sql.Composable]]:
    """Return the warnings and the hardening statements (the ``chosen`` measures) here."""
    from psycopg import sql

    warnings: list[str] = []
    harden: list[sql.Composable] = []
    su = facts.superuser

    # CREATE for PUBLIC, in every schema of the database, on every server version.
    if facts.public_create:
        stmts = {
            schema: sql.SQL("REVOKE CREATE ON SCHEMA {} FROM PUBLIC").format(sql.Identifier(schema))
            for schema, _member in facts.public_create
        }
        hardening = "schema-create" in chosen
        mine = [s for s, member in facts.public_create if member or su] if hardening else []
        harden.extend(stmts[s] for s in mine)
        left = [s for s, _m in facts.public_create if s not in mine]
        if left:
            warnings.append(
                f"PUBLIC may CREATE in schema(s) {_listed(left)}: the agent can create "
                "functions (SECURITY DEFINER ones too) and tables there after SET "
                "default_transaction_read_only = off; revoke drops them, but "
                + (
                    "the admin does not own these schemas; a DBA can run: "
                    + _dba([stmts[s] for s in left])
                    if hardening
                    else "hardening: [schema-create] (or true) revokes PUBLIC's CREATE on them "
                    "(for all roles)"
                )
            )

    # TEMP for PUBLIC on this database.
    if facts.public_temp:
        temp = sql.SQL("REVOKE TEMPORARY ON DATABASE {} FROM PUBLIC").format(
            sql.Identifier(facts.database)
        )
        hardening = "temp" in chosen
        if hardening and (facts.database_owner or su):
            harden.append(temp)
        else:
            warnings.append(
                "PUBLIC may create temporary tables in this database (the agent can too, after "
                "SET default_transaction_read_only = off); "
                + (
                    f"the admin does not own the database; a DBA can run: {_dba([temp])}"
                    if hardening
                    else "hardening: [temp] (or true) revokes it for all roles"
                )
            )

    # EXECUTE for PUBLIC on SECURITY DEFINER functions the agent can reach.
    if facts.public_functions:
        warnings.append(
            f"{len(facts.public_functions)} function(s) in the granted schemas are executable "
            "by PUBLIC, so by the agent"
        )
    if facts.definers:
        revokes = {
            d[5]: sql.SQL("REVOKE EXECUTE ON FUNCTION {} FROM PUBLIC").format(
                # NOTE: d[5] is the server's own regprocedure rendering: every part quoted.
                sql.SQL(d[5])
            )
            for d in facts.definers
        }
        hardening = "security-definer" in chosen
        mine = [d[5] for d in facts.definers if d[4] or su] if hardening else []
        harden.extend(revokes[sig] for sig in mine)
        kept = [d for d in facts.definers if d[5] not in mine]
        if kept:
            shown = _listed([f"{s}.{n}({a}) owned by {o}" for s, n, a, o, _m, _sig in kept])
            warnings.append(
                f"SECURITY DEFINER functions the agent could call (they run with their owner's "
                f"rights, so they can write): {shown}; "
                + (
                    "a DBA can run: " + _dba([revokes[d[5]] for d in kept])
                    if hardening
                    else "hardening: [security-definer] (or true) revokes EXECUTE on them from "
                    "PUBLIC"
                )
            )

    # Large objects: lo_create / lo_from_bytea work in a read-only session.
    if facts.lo_writers:
        lo = [
            sql.SQL("REVOKE EXECUTE ON FUNCTION pg_catalog.{} FROM PUBLIC").format(sql.SQL(f))
            for f in facts.lo_writers
        ]
        hardening = "large-objects" in chosen
        if hardening and su:
            harden.extend(lo)
        else:
            warnings.append(
                "the agent can create large objects even in its read-only session (lo_create, "
                "lo_from_bytea: unbounded storage in this database); revoke drops them. "
                + (
                    "Revoking EXECUTE on the large-object writers needs a superuser; a DBA can "
                    "run: " + _dba(lo)
                    if hardening
                    else "hardening: [large-objects] (or true) revokes EXECUTE on the large-object "
                    "writers from "
                    "PUBLIC (needs a superuser admin; roles that store large objects then need "
                    "an explicit GRANT EXECUTE)"
                )
            )

    # Functions the admin creates later: executable by PUBLIC unless the default says no.
    if "default-execute" in chosen:
        # NOTE: without IN SCHEMA, the only form that can take PUBLIC's global default
        # away; it covers what the admin itself creates in this database (issue 15).
        harden.append(sql.SQL("ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC"))

    # Reads the grants did not give: PUBLIC-readable tables outside the policy.
    if opts["tables"]:
        named = {(s, t) for s, t in opts["tables"]}
        extra = [f"{s}.{t}" for s, t in facts.public_tables if (s, t) not in named]
    else:
        extra = [f"{s}.{t}" for s, t in facts.public_tables if s not in opts["schemas"]]
    if extra:
        warnings.append(
            "readable by every role (SELECT granted to PUBLIC), so by the agent too although "
            f"the policy does not name them: {_listed(extra)}; revoke PUBLIC's SELECT on "
            "them if that is not intended"
        )

    # Other databases PUBLIC may CONNECT to (and TEMP there).
    if facts.other_databases:
        names = [d for d, _t in facts.other_databases]
        temp_dbs = [d for d, t in facts.other_databases if t]
        warnings.append(
            f"the agent can also connect to database(s) {_listed(names)} (PUBLIC has CONNECT)"
            + (f" and create temporary tables in {_listed(temp_dbs)}" if temp_dbs else "")
            + "; it reads there only what PUBLIC may read. REVOKE CONNECT ON DATABASE <name> "
            "FROM PUBLIC where that is not intended"
        )

    # Foreign-data wrappers: CREATE SERVER / USER MAPPING reach other hosts.
    if facts.public_fdw:
        warnings.append(
            f"PUBLIC may use {_listed(list(facts.public_fdw))}: the agent can create foreign "
            "servers or user mappings with it (connections from the database server to other "
            "hosts); REVOKE USAGE ... FROM PUBLIC"
        )
    return warnings, harden
