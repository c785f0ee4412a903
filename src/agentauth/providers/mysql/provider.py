"""The MySQL/MariaDB provider: a read-only user limited to an allowlist, connections and time.

The agent gets its own user (``CREATE USER … WITH MAX_USER_CONNECTIONS``, plus
``MAX_STATEMENT_TIME`` on MariaDB) holding only ``SELECT`` on the databases or tables
the policy names. MySQL has no server-side expiry for a login (``PASSWORD EXPIRE``
only forces a password change), so the ledger's expiry is enforced by
``agentauth revoke --expired``. Revocation drops the user, then kills its open
connections, because MySQL documents that dropping a user does not close them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, ClassVar

from agentauth.errors import ConfigError, PermissionDenied, ProviderError
from agentauth.model import (
    Applied,
    CredentialPolicy,
    Finding,
    Grant,
    Plan,
    PlanStep,
    RevokeResult,
    Secret,
    Verification,
)
from agentauth.providers import kit as grantkit
from agentauth.providers.base import Provider, ProviderContext, VerifyContext
from agentauth.providers.kit import OptionError
from agentauth.providers.mysql.connection import (
    DENIED,
    SCHEMES,
    Admin,
    connect,
    describe_error,
    drop_quietly,
    error_code,
    kill_connections,
    missing_targets,
    server_flavor,
)
from agentauth.providers.mysql.delegate import NARROWING, MySQLNarrowing
from agentauth.providers.mysql.locking import locking_warning
from agentauth.providers.mysql.sql import (
    MASK,
    Target,
    can_provision,
    check_ident,
    create_statements,
    describe_grants,
    drop_statements,
    literal,
    parse_targets,
    privileges,
    quote_ident,
)

__all__ = [
    "MASK",
    "PROVIDER",
    "Target",
    "check_ident",
    "create_statements",
    "describe_grants",
    "drop_statements",
    "literal",
    "parse_targets",
    "privileges",
    "quote_ident",
]

OPTIONS = ("access", "databases", "tables", "max_connections", "max_statement_time")
DEFAULT_MAX_CONNECTIONS = 3
DEFAULT_MAX_STATEMENT_TIME = 30
# MySQL 8 allows 32 characters in a user name, MariaDB 80; stay within both.
USER_NAME_LIMIT = 32


class MySQLProvider:
    """Creates and removes read-only MySQL/MariaDB users for agents."""

    name: ClassVar[str] = "mysql"
    presets: ClassVar[Mapping[str, Mapping[str, object]]] = {}
    """No presets of its own: ``init`` uses the read-only defaults of ``service.presets``."""
    narrowing: ClassVar[MySQLNarrowing] = NARROWING
    """A sub-agent's own user on a subset of this one's (tables; ``agentauth delegate``)."""

    # ------------------------------------------------------------------ validate

    def validate(self, entry: CredentialPolicy) -> CredentialPolicy:
        """Check the options; only ``access: read-only`` exists (writes are never delegated)."""
        grantkit.check_keys(entry, OPTIONS)
        access = entry.options.get("access", "read-only")
        if access != "read-only":
            raise OptionError(
                entry,
                "access",
                f"{access!r} is not supported; the MySQL "
                "provider creates read-only users only (access: read-only)",
            )
        parse_targets(entry)
        options: dict[str, Any] = {"access": "read-only"}
        if "databases" in entry.options:
            options["databases"] = list(grantkit.string_list(entry, "databases"))
        if "tables" in entry.options:
            options["tables"] = list(grantkit.string_list(entry, "tables"))
        options["max_connections"] = grantkit.positive_int(
            entry, "max_connections", DEFAULT_MAX_CONNECTIONS, 1000
        )
        options["max_statement_time"] = grantkit.positive_int(
            entry, "max_statement_time", DEFAULT_MAX_STATEMENT_TIME, 86400
        )
        return replace(entry, options=options)

    # ------------------------------------------------------------------ plan / apply

    def plan(self, entry: CredentialPolicy, ctx: ProviderContext) -> Plan:
        """Connect as the admin to check the allowlist and the server flavour; build the SQL."""
        entry = self.validate(entry)
        admin = Admin(
            grantkit.parse_server_url(
                grantkit.admin_secret(entry.variable, ctx, "MySQL URL"), SCHEMES, "MySQL"
            )
        )
        targets = parse_targets(entry)
        if not targets:
            db = admin.url.path.lstrip("/")
            if not db:
                raise OptionError(
                    entry,
                    None,
                    "name what the agent may read with databases: "
                    "[shop] or tables: [shop.orders] (the URL names no database either)",
                )
            targets = (Target(check_ident(db, "database")),)
        warnings: list[str] = []
        with admin.connect() as conn:
            flavor = server_flavor(conn)
            missing = missing_targets(conn, targets)
            locking = locking_warning(conn, admin.url.address)
        warnings.extend([locking] if locking else [])
        if missing:
            raise OptionError(
                entry,
                None,
                f"not found on {admin.url.address} (or not visible "
                f"to {admin.url.username!r}): {', '.join(missing)}; fix the names in the policy",
            )
        max_time: int | None = int(entry.options["max_statement_time"])
        if flavor != "mariadb":
            warnings.append(
                "MySQL has no per-user MAX_STATEMENT_TIME (MariaDB only); statements "
                "are not time-limited for this user"
            )
            max_time = None
        user = grantkit.identity_name(ctx.policy.agent, limit=USER_NAME_LIMIT)
        max_conn = int(entry.options["max_connections"])
        shown = create_statements(
            user, MASK, targets, max_connections=max_conn, max_statement_time=max_time
        )
        labels = ", ".join(t.label() for t in targets)
        limits = f"max {max_conn} connections" + (
            f", {max_time} s statement default" if max_time is not None else ""
        )
        grant = grantkit.pending_grant(
            entry,
            ctx,
            scope=f"read-only on {labels} ({admin.url.address}, {limits})",
            objects={
                "user": user,
                "host": "%",
                "address": admin.url.address,
                "flavor": flavor,
                "targets": [t.label() for t in targets],
            },
        )
        steps = [PlanStep(f"create MySQL user {user} on {admin.url.address}", shown[0])]
        steps += [
            PlanStep(f"grant SELECT on {t.label()}", s)
            for t, s in zip(targets, shown[1:], strict=True)
        ]
        steps.append(
            PlanStep(
                f"write {entry.variable} to {ctx.policy.output} as {user}",
                "no server-side expiry exists for MySQL users: "
                "`agentauth revoke --expired` enforces the ledger's",
            )
        )
        return Plan(
            variable=entry.variable,
            provider=self.name,
            grant=grant,
            steps=tuple(steps),
            outputs=(entry.variable,),
            warnings=tuple(warnings),
            private={
                "password": grantkit.new_password(),
                "targets": targets,
                "max_connections": max_conn,
                "max_statement_time": max_time,
                "database": targets[0].database,
            },
        )

    def preflight(self, plan: Plan, ctx: ProviderContext) -> None:
        """Refuse before anything is created when the admin may not create users or grant."""
        url = grantkit.parse_server_url(
            grantkit.admin_secret(plan.variable, ctx, "MySQL URL"), SCHEMES, "MySQL"
        )
        with connect(url) as conn, conn.cursor() as cur:
            cur.execute("SHOW GRANTS FOR CURRENT_USER()")
            lines = [str(row[0]) for row in cur.fetchall()]
        missing = can_provision(lines)
        if missing:
            raise PermissionDenied(
                f"{plan.variable}: the admin user {url.username!r} on {url.address} lacks "
                f"{' and '.join(missing)}, so it cannot create the agent's user; nothing was "
                "created. Give it those privileges, or have a DBA run the SQL below",
                manual="\n".join(step.detail for step in plan.steps if step.detail) or None,
            )

    def apply(self, plan: Plan, ctx: ProviderContext) -> Applied:
        """Run the CREATE USER and GRANTs; on any failure drop the half-made user again."""
        import pymysql

        admin_value = grantkit.admin_secret(plan.variable, ctx, "MySQL URL")
        url = grantkit.parse_server_url(admin_value, SCHEMES, "MySQL")
        password: Secret = plan.private["password"]
        user = str(plan.grant.objects["user"])
        targets: tuple[Target, ...] = plan.private["targets"]
        statements = create_statements(
            user,
            password.reveal(),
            targets,
            max_connections=plan.private["max_connections"],
            max_statement_time=plan.private["max_statement_time"],
        )
        scrub = grantkit.scrubber(password, url.password)
        with connect(url) as conn:
            done = 0
            try:
                with conn.cursor() as cur:
                    for statement in statements:
                        cur.execute(statement)
                        done += 1
            except pymysql.err.MySQLError as exc:
                if done:
                    drop_quietly(conn, user)
                text = scrub(describe_error(exc))
                if error_code(exc) in DENIED:
                    manual = "\n".join(
                        s + ";"
                        for s in create_statements(
                            user,
                            MASK,
                            targets,
                            max_connections=plan.private["max_connections"],
                            max_statement_time=plan.private["max_statement_time"],
                        )
                    ).replace("'***'", "'<choose a password>'")
                    raise PermissionDenied(
                        f"{url.username!r} may not create the agent's user on {url.address}: "
                        f"{text}; it needs CREATE USER and SELECT … WITH GRANT OPTION on the "
                        "allowlisted objects, or ask a DBA to run the SQL below",
                        manual=manual,
                    ) from None
                raise ProviderError(
                    f"creating the MySQL user on {url.address} failed: {text}; nothing was kept"
                ) from None
        scoped = url.with_credentials(user, password, path=f"/{plan.private['database']}")
        return grantkit.applied_without_expiry(plan, Secret(scoped), "MySQL users")

    def mint(self, grant: Grant, ctx: ProviderContext) -> Applied | None:
        """MySQL users are long-lived; nothing is minted per run."""
        return None

    # ------------------------------------------------------------------ revoke

    def revoke(self, grant: Grant, ctx: ProviderContext) -> RevokeResult:
        """Revoke, drop the user, then kill its open connections; gone already is success."""
        import pymysql

        user = str(grant.objects.get("user", ""))
        host = str(grant.objects.get("host", "%"))
        manual = "\n".join(s + ";" for s in drop_statements(user, host)) if user else None
        value = ctx.source_env.get(grant.variable)
        if not user:
            return RevokeResult(grant.id, False, "the ledger entry names no MySQL user")
        if value is None:
            return RevokeResult(
                grant.id,
                False,
                f"{grant.variable} (the admin URL) is no longer in {ctx.policy.source}; put it "
                "back and run revoke again, or have a DBA run the SQL below",
                manual=manual,
            )
        url = grantkit.parse_server_url(value, SCHEMES, "MySQL")
        scrub = grantkit.scrubber(url.password)
        try:
            with connect(url) as conn:
                with conn.cursor() as cur:
                    revoke_sql, drop_sql = drop_statements(user, host)
                    try:
                        cur.execute(revoke_sql)
                    except pymysql.err.MySQLError as exc:
                        # 1141/1269: no such grant or user — already gone, which is fine.
                        if error_code(exc) not in (1141, 1269, 1396):
                            raise
                    cur.execute(drop_sql)
                survivors = kill_connections(conn, user)
        except pymysql.err.MySQLError as exc:
            return RevokeResult(
                grant.id,
                False,
                f"revoking MySQL user {user} on {url.address} failed: {scrub(describe_error(exc))}",
                manual=manual,
            )
        except (ProviderError, ConfigError) as exc:
            return RevokeResult(grant.id, False, str(exc), manual=manual)
        if survivors:
            return RevokeResult(
                grant.id,
                False,
                f"dropped MySQL user {user}, but {survivors} of its connections are still open: "
                f"{url.username!r} needs PROCESS and CONNECTION ADMIN (or SUPER) to kill them",
                manual=manual,
            )
        return RevokeResult(grant.id, True, f"dropped MySQL user {user} on {url.address}")

    # ------------------------------------------------------------------ verify

    def verify(self, finding: Finding, ctx: VerifyContext) -> Verification:
        """Connect as the credential and read ``SHOW GRANTS FOR CURRENT_USER()``."""
        try:
            url = grantkit.parse_server_url(finding.secret, SCHEMES, "MySQL")
        except ConfigError as exc:
            return Verification("unknown", str(exc))
        try:
            with connect(url, timeout=min(ctx.timeout, 10.0)) as conn, conn.cursor() as cur:
                cur.execute("SHOW GRANTS FOR CURRENT_USER()")
                lines = [str(row[0]) for row in cur.fetchall()]
        except PermissionDenied:
            return Verification("invalid", f"MySQL at {url.address} refused the login")
        except ProviderError as exc:
            return Verification("unknown", str(exc))
        except Exception as exc:  # any driver error: unknown, never a crash of the audit
            return Verification("unknown", f"could not read grants: {type(exc).__name__}")
        return describe_grants(lines)


PROVIDER: Provider = MySQLProvider()
