"""Pure helpers of the Postgres provider: names, SCRAM verifiers, connection strings, and SQL.

Every statement is composed with ``psycopg.sql`` (Identifier / Literal), never by
string formatting, so hostile names in the policy are quoted, not executed. The
password never appears in SQL: the server receives a SCRAM-SHA-256 verifier.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import quote

from agentauth.errors import ConfigError

if TYPE_CHECKING:
    from psycopg import sql

MAX_IDENTIFIER_BYTES = 63
SCRAM_ITERATIONS = 4096
MASKED_VERIFIER = "SCRAM-SHA-256$4096:***"  # a display mask, not a password

# Connection parameters that carry or point at the admin's identity: never copied.
_IDENTITY_PARAMS = frozenset(
    {"user", "password", "passfile", "sslcert", "sslkey", "sslpassword", "service", "options"}
)


def role_name(agent: str, token: str | None = None) -> str:
    """Return ``agentauth_<agent>_<random>`` in ``[a-z0-9_]``, at most 63 bytes."""
    return role_prefix(agent) + (token or secrets.token_hex(4))


def role_prefix(agent: str) -> str:
    """Return ``agentauth_<agent>_``: every role of ``agent`` is it plus 8 hex digits."""
    slug = re.sub(r"[^a-z0-9_]+", "_", agent.lower()).strip("_") or "agent"
    room = MAX_IDENTIFIER_BYTES - len("agentauth_") - 8 - 1
    return f"agentauth_{slug[:room].rstrip('_')}_"


def is_role_of(name: str, agent: str) -> bool:
    """True when ``name`` is exactly what :func:`role_name` makes for ``agent`` (no look-alike)."""
    return re.fullmatch(re.escape(role_prefix(agent)) + "[0-9a-f]{8}", name) is not None


def new_password() -> str:
    """Return a fresh random password (256 bits, URL-safe, no quoting needed)."""
    return secrets.token_urlsafe(32)


def scram_verifier(password: str, salt: bytes | None = None) -> str:
    """Return the SCRAM-SHA-256 verifier PostgreSQL stores for ``password`` (RFC 5802/7677).

    Sending the verifier instead of the password keeps the plaintext out of SQL,
    ``pg_stat_statements`` and server logs (Vault does the same).
    """
    salt = salt if salt is not None else os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, SCRAM_ITERATIONS)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode("ascii")

    return f"SCRAM-SHA-256${SCRAM_ITERATIONS}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


# --------------------------------------------------------------------------- conninfo


def parse_conninfo(value: str) -> dict[str, str]:
    """Parse a ``postgres://``/``postgresql://`` URL or a ``key=value`` DSN; ConfigError if not.

    The message never quotes the value (it holds a password).
    """
    from psycopg import ProgrammingError
    from psycopg.conninfo import conninfo_to_dict

    text = value.strip()
    if not text:
        raise ConfigError("the database URL is empty; set it in the source env file")
    try:
        params = conninfo_to_dict(text)
    except ProgrammingError:
        raise ConfigError(
            "the database URL cannot be parsed as a PostgreSQL connection string "
            "(postgresql://user:password@host:port/dbname); check its syntax"
        ) from None
    parsed = {k: str(v) for k, v in params.items() if v is not None}
    if _misparsed(text, parsed):
        # NOTE: libpq ends the password at the first "@" (or "/"), so the rest of the
        # password became the host or the port: echoing either would print the password.
        raise ConfigError(
            "the database URL does not parse as intended: its password holds a character "
            "libpq reads as a separator (@ / : ? #); percent-encode them in the password "
            "(@ as %40, / as %2F, : as %3A, ? as %3F, # as %23)"
        )
    return parsed


def _misparsed(text: str, params: Mapping[str, str]) -> bool:
    """True when libpq read another password than the URL holds (it stops at the first
    ``@`` or ``/``, the URL's password ends at the last ``@`` before the host), or its host
    holds an ``@``, or a port is not a number: part of the password became host or port."""
    from urllib.parse import unquote

    from agentauth.redact import split_authority

    authority = split_authority(text) if "://" in text else None
    password = authority.password if authority is not None else None
    if password is not None and unquote(password) != params.get("password", ""):
        return True
    hosts = params.get("host", "")
    if "@" in hosts or ("/" in hosts and not hosts.startswith("/")):
        return True
    return any(p and not p.isdigit() for p in params.get("port", "").split(","))


def endpoint(params: Mapping[str, str]) -> str:
    """Return ``host:port`` for messages (no user, no password)."""
    host = params.get("host") or params.get("hostaddr") or "localhost"
    port = params.get("port") or "5432"
    return f"{host}:{port}"


def scoped_conninfo(
    admin: str, params: Mapping[str, str], user: str, password: str, agent: str
) -> str:
    """Return the agent's connection string in the same form (URL or DSN) as ``admin``.

    Host, port, database and TLS settings are kept; the admin's user, password,
    client certificate and ``options`` are replaced or dropped; ``application_name``
    names the agent so its sessions are visible in ``pg_stat_activity``.
    """
    kept = {k: v for k, v in params.items() if k not in _IDENTITY_PARAMS}
    kept.pop("application_name", None)
    kept["application_name"] = f"agentauth-{agent}"
    if "://" not in admin:
        from psycopg.conninfo import make_conninfo

        return make_conninfo("", **{**kept, "user": user, "password": password})
    scheme = admin.split("://", 1)[0]
    hosts = kept.pop("host", "").split(",")
    ports = kept.pop("port", "").split(",")
    dbname = kept.pop("dbname", "")
    netlocs = []
    for index, host in enumerate(hosts):
        port = ports[index] if index < len(ports) else (ports[0] if len(ports) == 1 else "")
        if host.startswith("/"):
            kept.setdefault("host", host)
            host = ""
        shown = f"[{host}]" if ":" in host else quote(host, safe="")
        netlocs.append(f"{shown}:{port}" if port else shown)
    userinfo = f"{quote(user, safe='')}:{quote(password, safe='')}@"
    query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in kept.items())
    path = f"/{quote(dbname, safe='')}" if dbname else "/"
    return f"{scheme}://{userinfo}{','.join(netlocs)}{path}" + (f"?{query}" if query else "")


# --------------------------------------------------------------------------- names


def split_qualified(name: str, default_schema: str) -> tuple[str, str]:
    """Split ``schema.table`` (either part may be double-quoted) into its two names."""
    parts: list[str] = []
    rest = name.strip()
    while rest:
        if rest.startswith('"'):
            match = re.match(r'"((?:[^"]|"")*)"', rest)
            if not match:
                raise ValueError(f"unbalanced quotes in {name!r}")
            parts.append(match.group(1).replace('""', '"'))
            rest = rest[match.end() :]
        else:
            head, _, tail = rest.partition(".")
            parts.append(head)
            rest = "." + tail if _ else ""
        if rest.startswith("."):
            rest = rest[1:]
            if not rest:
                raise ValueError(f"{name!r} ends with a dot")
        elif rest:
            raise ValueError(f"unexpected text after a quoted name in {name!r}")
    if len(parts) == 1:
        return default_schema, parts[0]
    if len(parts) == 2:
        return parts[0], parts[1]
    raise ValueError(f"{name!r} has more than two parts; write schema.table")


def check_identifier(name: str, what: str) -> str:
    """Refuse names PostgreSQL would silently truncate or cannot store."""
    if not name:
        raise ValueError(f"{what} name is empty")
    if "\0" in name:
        raise ValueError(f"{what} name contains a NUL byte")
    if len(name.encode("utf-8")) > MAX_IDENTIFIER_BYTES:
        raise ValueError(
            f"{what} name {name[:20]!r}... is longer than {MAX_IDENTIFIER_BYTES} bytes; "
            "PostgreSQL would truncate it"
        )
    return name


# --------------------------------------------------------------------------- statements


@dataclass(frozen=True)
class RoleSpec:
    """Everything the provisioning SQL needs, already resolved against the server."""

    role: str
    database: str
    valid_until: str
    connection_limit: int
    statement_timeout: str
    idle_session_timeout: str
    idle_in_transaction_timeout: str
    schemas: tuple[str, ...]
    all_tables: bool
    tables: tuple[tuple[str, str], ...] = ()
    columns: Mapping[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    sequences: bool = True
    default_owners: tuple[tuple[str, str], ...] = ()
    """(owner role, schema) pairs for ALTER DEFAULT PRIVILEGES (all-tables mode)."""
    grant_connect: bool = True
    hardening: tuple[sql.Composable, ...] = ()
    server_version: int = 150000


def provision_statements(spec: RoleSpec, verifier: str) -> list[sql.Composable]:
    """Return the provisioning SQL, in order, for one transaction."""
    from psycopg import sql

    role = sql.Identifier(spec.role)
    stmts: list[sql.Composable] = [
        sql.SQL(
            "CREATE ROLE {role} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT "
            "NOREPLICATION NOBYPASSRLS CONNECTION LIMIT {limit} PASSWORD {password} "
            "VALID UNTIL {until}"
        ).format(
            role=role,
            limit=sql.Literal(spec.connection_limit),
            password=sql.Literal(verifier),
            until=sql.Literal(spec.valid_until),
        ),
    ]
    settings = [
        ("default_transaction_read_only", "on"),
        ("statement_timeout", spec.statement_timeout),
        ("idle_in_transaction_session_timeout", spec.idle_in_transaction_timeout),
    ]
    if spec.server_version >= 140000:
        settings.append(("idle_session_timeout", spec.idle_session_timeout))
    stmts.extend(
        sql.SQL("ALTER ROLE {role} SET {name} = {value}").format(
            role=role, name=sql.Identifier(name), value=sql.Literal(value)
        )
        for name, value in settings
    )
    if spec.grant_connect:
        stmts.append(
            sql.SQL("GRANT CONNECT ON DATABASE {db} TO {role}").format(
                db=sql.Identifier(spec.database), role=role
            )
        )
    schemas = set(spec.schemas) | {s for s, _ in spec.tables}
    stmts.extend(
        sql.SQL("GRANT USAGE ON SCHEMA {schema} TO {role}").format(
            schema=sql.Identifier(schema), role=role
        )
        for schema in sorted(schemas)
    )
    if spec.all_tables:
        for schema in spec.schemas:
            ident = sql.Identifier(schema)
            stmts.append(
                sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {role}").format(
                    schema=ident, role=role
                )
            )
            if spec.sequences:
                stmts.append(
                    sql.SQL("GRANT SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}").format(
                        schema=ident, role=role
                    )
                )
        stmts.extend(
            sql.SQL(
                "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} "
                "GRANT SELECT ON TABLES TO {role}"
            ).format(owner=sql.Identifier(owner), schema=sql.Identifier(schema), role=role)
            for owner, schema in spec.default_owners
        )
    else:
        for schema, table in spec.tables:
            columns = spec.columns.get((schema, table))
            target = sql.Identifier(schema, table)
            if columns:
                stmts.append(
                    sql.SQL("GRANT SELECT ({cols}) ON {table} TO {role}").format(
                        cols=sql.SQL(", ").join(sql.Identifier(c) for c in columns),
                        table=target,
                        role=role,
                    )
                )
            else:
                stmts.append(
                    sql.SQL("GRANT SELECT ON {table} TO {role}").format(table=target, role=role)
                )
    stmts.extend(spec.hardening)
    return stmts


def membership_statement(role: str, admin: str) -> sql.Composable:
    """``GRANT role TO admin``: lets a non-superuser creator terminate, reassign and drop it.

    NOTE: on PostgreSQL 15 CREATEROLE may grant membership in any non-superuser role;
    on 16+ the creator holds ADMIN OPTION on the roles it created. Either way this
    is what makes ``pg_terminate_backend`` and ``DROP OWNED BY`` permitted.
    """
    from psycopg import sql

    return sql.SQL("GRANT {role} TO {admin}").format(
        role=sql.Identifier(role), admin=sql.Identifier(admin)
    )


def revoke_statements(role: str) -> dict[str, list[sql.Composable]]:
    """Return the revocation SQL by phase: ``cluster`` first, ``per_database``, then ``drop``.

    NOTE: never ``REASSIGN OWNED BY role TO admin``: whatever the agent created (in a
    schema where PUBLIC may CREATE) would become the admin's, and a SECURITY DEFINER
    function among it would then run with the admin's rights for anyone (issue 15).
    ``DROP OWNED BY`` drops the agent's objects, large objects, privileges and
    default-privilege entries instead; nothing the read-only agent made is kept.
    """
    from psycopg import sql

    ident = sql.Identifier(role)
    return {
        "cluster": [
            sql.SQL("ALTER ROLE {role} NOLOGIN").format(role=ident),
            sql.SQL(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = {name}"
            ).format(name=sql.Literal(role)),
        ],
        "per_database": [sql.SQL("DROP OWNED BY {role}").format(role=ident)],
        "drop": [sql.SQL("DROP ROLE IF EXISTS {role}").format(role=ident)],
    }


def render(statements: Sequence[sql.Composable]) -> str:
    """Render statements as SQL text for ``--dry-run`` and for a DBA (one per line)."""
    return "\n".join(s.as_string(None) + ";" for s in statements)


def scope_text(spec: RoleSpec, where: str) -> str:
    """Return the grant's one-line scope, as ``status`` and the plan show it."""
    if spec.all_tables:
        target = ", ".join(f"{s}.*" for s in spec.schemas)
    else:
        parts = []
        for schema, table in spec.tables:
            cols = spec.columns.get((schema, table))
            parts.append(f"{schema}.{table}" + (f"({', '.join(cols)})" if cols else ""))
        target = ", ".join(parts)
    return f"read-only on {target} ({where})"
