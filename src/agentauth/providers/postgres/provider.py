"""The PostgreSQL provider: a read-only, expiring login role per agent, and its clean removal.

Connected with the developer's own URL (the admin credential), it creates in ONE
transaction a role with no dangerous attributes, a SCRAM verifier instead of a
password, ``VALID UNTIL`` now + ttl and SELECT-only privileges on the policy's
schemas or tables, and hands back a URL for ``.env.ai``. Revocation disables the
login, terminates its sessions, drops what it owns or was granted in every database
it touched, and drops the role. psycopg is imported only inside these functions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any, ClassVar

from agentauth.errors import ConfigError, PermissionDenied, ProviderError
from agentauth.model import (
    Applied,
    CredentialPolicy,
    Finding,
    Grant,
    GrantStatus,
    Plan,
    PlanStep,
    RevokeResult,
    Secret,
    Verification,
)
from agentauth.providers import kit
from agentauth.providers.base import Provider, ProviderContext, VerifyContext
from agentauth.providers.kit import OptionError
from agentauth.providers.postgres import sql as pgsql
from agentauth.providers.postgres.connection import connect
from agentauth.providers.postgres.delegate import NARROWING, PostgresNarrowing
from agentauth.providers.postgres.exposure import exposure, measures
from agentauth.providers.postgres.introspect import ServerFacts, inspect
from agentauth.providers.postgres.trust import passwordless_logins, trust_warning
from agentauth.redact import Scrubber

_OPTIONS = {
    "access", "schemas", "tables", "columns", "sequences", "connection_limit",
    "statement_timeout", "idle_session_timeout", "ttl", "hardening",
}  # fmt: skip
_DEFAULTS: dict[str, Any] = {
    "access": "read-only",
    "schemas": ["public"],
    "sequences": True,
    "connection_limit": 3,
    "statement_timeout": "30s",
    "idle_session_timeout": "15m",
}

PRESETS: dict[str, dict[str, object]] = {
    "code-review": {"access": "read-only", "schemas": ["public"], "statement_timeout": "15s"},
    "db-query": {"access": "read-only", "schemas": ["public"], "statement_timeout": "60s"},
    "support": {"access": "read-only", "schemas": ["public"], "connection_limit": 2},
    "deploy-staging": {"access": "read-only", "schemas": ["public"]},
}


def _bad(entry: CredentialPolicy, key: str, problem: str) -> OptionError:
    return OptionError(entry, key, problem)


def _qualified(schema: str, table: str) -> str:
    """Return ``"schema"."table"``, quoted so that any name splits back unchanged."""
    return ".".join('"' + part.replace('"', '""') + '"' for part in (schema, table))


def _string_list(entry: CredentialPolicy, key: str, value: object) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _bad(entry, key, "expected a list of names")
    return list(value)


def _seconds(entry: CredentialPolicy, key: str, value: object) -> int:
    seconds = kit.duration(replace(entry, options={key: value}), key)
    assert seconds is not None
    return seconds


def _seconds_text(entry: CredentialPolicy, key: str, value: object) -> str:
    return f"{_seconds(entry, key, value)}s"


def validate_options(entry: CredentialPolicy) -> dict[str, Any]:
    """Check and normalise one entry's options (shared by validate and the tests)."""
    kit.check_keys(entry, _OPTIONS)
    opts = {**_DEFAULTS, **entry.options}
    if opts["access"] != "read-only":
        raise _bad(entry, "access", f"{opts['access']!r} is not supported; use read-only")
    schemas = _string_list(entry, "schemas", opts["schemas"])
    key = "schemas"  # the option a ValueError below is reported under (and on whose line)
    try:
        for schema in schemas:
            pgsql.check_identifier(schema, "schema")
        key, tables = "tables", []
        raw_tables = opts.get("tables", [])
        raw_tables = [raw_tables] if isinstance(raw_tables, str) else raw_tables
        if not isinstance(raw_tables, list):
            raise _bad(entry, "tables", 'expected a list like ["public.orders"]')
        for raw in raw_tables:
            if isinstance(raw, list) and len(raw) == 2:  # already normalised
                schema, table = str(raw[0]), str(raw[1])
            elif isinstance(raw, str) and raw:
                schema, table = pgsql.split_qualified(raw, schemas[0])
            else:
                raise _bad(entry, "tables", f"{raw!r} is not a table name")
            tables.append(
                [pgsql.check_identifier(schema, "schema"), pgsql.check_identifier(table, "table")]
            )
        key, columns = "columns", {}
        raw_columns = opts.get("columns", {})
        if not isinstance(raw_columns, Mapping):
            raise _bad(entry, "columns", 'expected a mapping like {"public.orders": [id, total]}')
        for raw, names in raw_columns.items():
            schema, table = pgsql.split_qualified(str(raw), schemas[0])
            cols = _string_list(entry, "columns", names)
            for col in cols:
                pgsql.check_identifier(col, "column")
            columns[_qualified(schema, table)] = cols
            if [schema, table] not in tables:
                tables.append([schema, table])
    except ValueError as exc:
        raise _bad(entry, key, str(exc)) from None
    limit = opts["connection_limit"]
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 100:
        raise _bad(entry, "connection_limit", "expected a whole number from 1 to 100")
    if "sequences" in opts and not isinstance(opts["sequences"], bool):
        raise _bad(entry, "sequences", "expected true or false")
    if "hardening" in opts and isinstance(chosen := measures(opts["hardening"]), str):
        raise _bad(entry, "hardening", chosen)
    normal: dict[str, Any] = {
        "access": "read-only",
        "schemas": schemas,
        "tables": tables,
        "columns": columns,
        "sequences": opts["sequences"],
        "connection_limit": limit,
        "statement_timeout": _seconds_text(entry, "statement_timeout", opts["statement_timeout"]),
        "idle_session_timeout": _seconds_text(
            entry, "idle_session_timeout", opts["idle_session_timeout"]
        ),
    }
    if "ttl" in opts:
        normal["ttl"] = _seconds(entry, "ttl", opts["ttl"])
    if "hardening" in opts:
        normal["hardening"] = opts["hardening"]
    return normal


def _admin_url(variable: str, env: Mapping[str, Secret], source: str) -> Secret:
    value = env.get(variable)
    if value is None or not value.reveal().strip():
        raise ConfigError(
            f"{variable} is not set in {source}; the Postgres provider connects with it "
            "as the admin credential. Add it, or change the policy entry"
        )
    return value


def _sql_error(exc: Exception, what: str, scrub: Scrubber) -> str:
    return f"{what}: {scrub((str(exc).strip() or type(exc).__name__).splitlines()[0])}"


class PostgresProvider:
    """The :class:`agentauth.providers.base.Provider` for PostgreSQL URLs."""

    name: ClassVar[str] = "postgres"
    presets: ClassVar[Mapping[str, Mapping[str, object]]] = PRESETS
    narrowing: ClassVar[PostgresNarrowing] = NARROWING
    """A sub-agent's own role on a subset of the tables (``agentauth delegate``)."""

    def validate(self, entry: CredentialPolicy) -> CredentialPolicy:
        """Normalise the options; OptionError names the key (the framework adds file:line)."""
        return replace(entry, options=validate_options(entry))

    def verify(self, finding: Finding, ctx: VerifyContext) -> Verification:
        """Connect as the credential and report what it can really do (audit --verify)."""
        from agentauth.providers.postgres.verify import verify

        return verify(finding, ctx)

    # ------------------------------------------------------------------ plan

    def plan(self, entry: CredentialPolicy, ctx: ProviderContext) -> Plan:
        """Inspect the server as the admin and build the exact SQL; creates nothing."""
        opts = validate_options(entry)
        admin = _admin_url(entry.variable, ctx.source_env, ctx.policy.source)
        params = pgsql.parse_conninfo(admin.reveal())
        schemas = list(opts["schemas"])
        all_schemas = sorted(set(schemas) | {s for s, _ in opts["tables"]})
        with connect(admin, autocommit=True) as conn:
            facts = inspect(conn, all_schemas)
        ttl = int(opts.get("ttl", ctx.policy.ttl_seconds))
        expires = (ctx.now + timedelta(seconds=ttl)).replace(microsecond=0)
        role = pgsql.role_name(ctx.policy.agent)
        hardening = measures(opts.get("hardening", ctx.policy.hardening))
        if isinstance(hardening, str):  # the policy's own value (an entry's was validated)
            raise ConfigError(f"{ctx.policy.path}: hardening: {hardening}")
        spec, warnings, problems = _resolve(
            entry, opts, facts, role, expires.isoformat(), hardening
        )
        trusted = passwordless_logins(admin)
        if trusted:
            warnings.insert(0, trust_warning(pgsql.endpoint(params), trusted))
        stmts = pgsql.provision_statements(spec, pgsql.MASKED_VERIFIER)
        shown = pgsql.render(stmts)
        where = f"{facts.database}@{pgsql.endpoint(params)}"
        if problems:
            manual = pgsql.render(pgsql.provision_statements(spec, "<a password of your choice>"))
            raise PermissionDenied(
                f"{entry.variable}: the admin role {facts.admin!r} cannot provision on {where}: "
                + "; ".join(problems)
                + ". Give it those rights, or have a DBA run the SQL below and put the URL "
                "in .env.ai yourself",
                manual=manual,
            )
        scope = pgsql.scope_text(spec, where)
        grant = kit.pending_grant(
            entry,
            ctx,
            until=expires,
            scope=scope,
            objects={
                "role": role,
                "databases": [facts.database],
                "server": pgsql.endpoint(params),
                "admin": facts.admin,
                "server_version": facts.version,
            },
        )
        password = pgsql.new_password()
        return Plan(
            variable=entry.variable,
            provider=self.name,
            grant=grant,
            steps=(
                PlanStep(
                    f"create role {role}: {scope}; valid until {expires.isoformat()}",
                    shown,
                ),
            ),
            outputs=(entry.variable,),
            warnings=tuple(warnings),
            private={
                "statements": pgsql.provision_statements(spec, pgsql.scram_verifier(password)),
                "password": Secret(password),
                "role": role,
            },
        )

    # ------------------------------------------------------------------ apply

    def preflight(self, plan: Plan, ctx: ProviderContext) -> None:
        """Nothing more to check: ``plan`` already refused an admin without CREATEROLE
        or ownership of the granted objects (PermissionDenied with the DBA's SQL)."""
        return None

    def apply(self, plan: Plan, ctx: ProviderContext) -> Applied:
        """Run the plan's SQL in one transaction and return the agent's URL."""
        import psycopg

        admin = _admin_url(plan.variable, ctx.source_env, ctx.policy.source)
        params = pgsql.parse_conninfo(admin.reveal())
        password: Secret = plan.private["password"]
        statements: Sequence[Any] = plan.private["statements"]
        scrub = Scrubber([admin, password])
        with connect(admin) as conn:
            try:
                with conn.transaction():
                    for statement in statements:
                        conn.execute(statement)
            except psycopg.errors.InsufficientPrivilege as exc:
                raise PermissionDenied(
                    _sql_error(exc, f"{plan.variable}: the admin role was refused", scrub)
                    + "; nothing was created. Have a DBA run the SQL shown by "
                    "`agentauth provision --dry-run`",
                    manual=plan.steps[0].detail,
                ) from None
            except psycopg.Error as exc:
                if conn.broken or conn.closed:  # NOTE: the COMMIT may have reached the server
                    raise ProviderError(
                        _sql_error(exc, f"{plan.variable}: the connection was lost", scrub)
                        + f"; role {plan.private['role']} may exist (the server may have "
                        f"committed it): `agentauth revoke {plan.grant.id}` removes it if so"
                    ) from None
                raise ProviderError(
                    _sql_error(exc, f"{plan.variable}: provisioning failed", scrub)
                    + "; the transaction was rolled back and nothing was created"
                ) from None
        url = pgsql.scoped_conninfo(
            admin.reveal(), params, plan.private["role"], password.reveal(), ctx.policy.agent
        )
        grant = replace(plan.grant, status=GrantStatus.ACTIVE)
        return Applied(grant=grant, env={plan.variable: Secret(url)})

    def mint(self, grant: Grant, ctx: ProviderContext) -> Applied | None:
        """Postgres credentials live in ``.env.ai``; nothing is minted per run."""
        return None

    # ------------------------------------------------------------------ revoke

    def revoke(self, grant: Grant, ctx: ProviderContext) -> RevokeResult:
        """NOLOGIN, terminate sessions, DROP OWNED per database (never REASSIGN), DROP ROLE."""
        from agentauth.providers.postgres.revoke import revoke

        return revoke(grant, ctx)


def _resolve(
    entry: CredentialPolicy,
    opts: Mapping[str, Any],
    facts: ServerFacts,
    role: str,
    valid_until: str,
    hardening: frozenset[str],
) -> tuple[pgsql.RoleSpec, list[str], list[str]]:
    """Match the policy against the server: the spec, warnings, and privilege problems."""
    warnings: list[str] = []
    problems: list[str] = []
    if not (facts.superuser or facts.createrole):
        problems.append("it has neither CREATEROLE nor SUPERUSER")
    tables = [(s, t) for s, t in opts["tables"]]
    wanted = sorted(set(opts["schemas"]) | {s for s, _ in tables})
    for schema in wanted:
        if schema not in facts.schemas:
            raise _bad(entry, "schemas", f"schema {schema!r} does not exist in {facts.database}")
        if not facts.schemas[schema][0]:
            problems.append(f"it may not grant USAGE on schema {schema}")
    columns = {
        pgsql.split_qualified(key, "public"): tuple(cols)
        for key, cols in dict(opts["columns"]).items()
    }
    for schema, table in tables:
        rel = facts.relation(schema, table)
        if rel is None or rel.is_sequence:
            raise _bad(
                entry, "tables", f"table {schema}.{table} does not exist in {facts.database}"
            )
        if not rel.grantable:
            problems.append(f"it may not grant SELECT on {schema}.{table} (owner {rel.owner})")
        for col in columns.get((schema, table), ()):
            if (schema, table, col) not in facts.columns:
                raise _bad(entry, "columns", f"column {col!r} does not exist in {schema}.{table}")
    all_tables = not tables
    owners: list[tuple[str, str]] = []
    if all_tables:
        in_scope = [r for r in facts.relations if r.schema in opts["schemas"]]
        blocked = [r for r in in_scope if not r.grantable and not r.is_sequence]
        if blocked:
            names = ", ".join(f"{r.schema}.{r.name} ({r.owner})" for r in blocked[:10])
            warnings.append(f"the admin may not grant SELECT on: {names}; they stay unreadable")
        if not [r for r in in_scope if not r.is_sequence]:
            warnings.append("the schemas have no tables yet; tables created later are covered")
        for schema in opts["schemas"]:
            table_owners = {r.owner: r.owner_member for r in in_scope if r.schema == schema}
            table_owners.setdefault(facts.admin, True)
            for owner, member in sorted(table_owners.items()):
                if member or facts.superuser:
                    owners.append((owner, schema))
                else:
                    warnings.append(
                        f"tables created later by {owner} in {schema} will not be readable "
                        f"(the admin is not a member of {owner})"
                    )
    grant_connect = facts.connect_grantable
    if not grant_connect and not facts.public_connect:
        problems.append(f"it may not grant CONNECT on database {facts.database}")
    more, hardening_sql = exposure(facts, opts, hardening)
    warnings.extend(more)
    spec = pgsql.RoleSpec(
        role=role,
        database=facts.database,
        valid_until=valid_until,
        connection_limit=int(opts["connection_limit"]),
        statement_timeout=str(opts["statement_timeout"]),
        idle_session_timeout=str(opts["idle_session_timeout"]),
        idle_in_transaction_timeout="60s",
        schemas=tuple(opts["schemas"]),
        all_tables=all_tables,
        tables=tuple(tables),
        columns=columns,
        sequences=bool(opts["sequences"]),
        default_owners=tuple(owners),
        grant_connect=grant_connect,
        hardening=tuple(hardening_sql),
        server_version=facts.version,
    )
    return spec, warnings, problems


PROVIDER: Provider = PostgresProvider()
