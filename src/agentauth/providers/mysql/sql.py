"""MySQL/MariaDB text: identifier quoting, the allowlist, the SQL statements, grant parsing.

Kept apart from :mod:`agentauth.providers.mysql.provider` (which talks to the server) so the
parts that decide what SQL is sent can be read, and tested, without a server.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from agentauth.errors import ConfigError
from agentauth.model import CredentialPolicy, Severity, Verification
from agentauth.providers import kit as grantkit
from agentauth.providers.kit import OptionError

MASK = "***"
_SAFE_LITERAL = re.compile(r"^[A-Za-z0-9_%.:-]+$")


@dataclass(frozen=True)
class Target:
    """One allowlisted object: a whole database (``table`` None) or one table."""

    database: str
    table: str | None = None

    def sql(self) -> str:
        """Return the ``ON`` clause target, each identifier quoted."""
        table = quote_ident(self.table) if self.table is not None else "*"
        return f"{quote_ident(self.database)}.{table}"

    def label(self) -> str:
        """Return ``shop.orders`` or ``shop.*`` for humans."""
        return f"{self.database}.{self.table if self.table is not None else '*'}"


def check_ident(name: str, what: str) -> str:
    """Return ``name`` if MySQL accepts it as a quoted identifier; raise ConfigError otherwise.

    Why validate as well as quote: quoting makes every name safe to send, but a name
    the server would reject or silently truncate must fail with a message, not later.
    """
    if not name or len(name) > 64:
        raise ConfigError(f"{what} {name!r}: identifiers are 1 to 64 characters")
    if "\x00" in name or any(ord(ch) > 0xFFFF for ch in name):
        raise ConfigError(f"{what} {name!r}: NUL and characters above U+FFFF are not allowed")
    if name.endswith(" "):
        raise ConfigError(f"{what} {name!r}: identifiers cannot end with a space")
    return name


def quote_ident(name: str) -> str:
    """Quote an identifier with backticks, doubling any backtick inside (MySQL's rule)."""
    return "`" + check_ident(name, "identifier").replace("`", "``") + "`"


def literal(value: str) -> str:
    """Quote a generated user name or password as a SQL string literal.

    Only values from our own generators reach here (letters, digits, ``_-%.:``),
    so the literal needs no escaping whatever the server's ``sql_mode``; anything
    else is a bug and is refused rather than escaped.
    """
    if not _SAFE_LITERAL.match(value):
        raise ValueError("refusing to quote a value outside the generated character set")
    return f"'{value}'"


def _split_dotted(text: str) -> list[str]:
    """Split ``db.table`` where either part may be backtick-quoted (```my.db`.`t```)."""
    parts: list[str] = []
    i = 0
    while i <= len(text):
        if i < len(text) and text[i] == "`":
            j, buf = i + 1, []
            while True:
                k = text.find("`", j)
                if k < 0:
                    raise ConfigError(f"{text!r}: unterminated backtick")
                buf.append(text[j:k])
                if text[k + 1 : k + 2] == "`":
                    buf.append("`")
                    j = k + 2
                    continue
                i = k + 1
                break
            parts.append("".join(buf))
        else:
            k = text.find(".", i)
            k = len(text) if k < 0 else k
            parts.append(text[i:k])
            i = k
        if i < len(text) and text[i] != ".":
            raise ConfigError(f"{text!r}: expected '.' after a quoted name")
        i += 1
    return parts


def parse_targets(entry: CredentialPolicy) -> tuple[Target, ...]:
    """Read ``databases`` and ``tables`` into targets; ``shop.*`` in tables means the database."""
    targets: list[Target] = []
    for db in grantkit.string_list(entry, "databases"):
        name = db[1:-1].replace("``", "`") if db.startswith("`") and db.endswith("`") else db
        try:
            targets.append(Target(check_ident(name, "database")))
        except ConfigError as exc:
            raise OptionError(entry, "databases", str(exc)) from None
    for item in grantkit.string_list(entry, "tables"):
        try:
            parts = _split_dotted(item)
            if len(parts) != 2:
                raise ConfigError(f"{item!r}: write tables as database.table (shop.orders)")
            db = check_ident(parts[0], "database")
            table = None if parts[1] == "*" else check_ident(parts[1], "table")
        except ConfigError as exc:
            raise OptionError(entry, "tables", str(exc)) from None
        targets.append(Target(db, table))
    seen: dict[tuple[str, str | None], Target] = {}
    for t in targets:
        seen.setdefault((t.database, t.table), t)
    whole = {t.database for t in seen.values() if t.table is None}
    return tuple(t for t in seen.values() if t.table is None or t.database not in whole)


def create_statements(
    user: str,
    password: str,
    targets: Sequence[Target],
    *,
    max_connections: int,
    max_statement_time: int | None,
) -> list[str]:
    """Return the exact SQL that creates the scoped user (pass ``MASK`` to show it)."""
    account = f"{literal(user)}@{literal('%')}"
    pw = "'***'" if password == MASK else literal(password)
    limits = f"MAX_USER_CONNECTIONS {int(max_connections)}"
    if max_statement_time is not None:
        limits += f" MAX_STATEMENT_TIME {int(max_statement_time)}"
    statements = [f"CREATE USER {account} IDENTIFIED BY {pw} WITH {limits}"]
    statements += [f"GRANT SELECT ON {t.sql()} TO {account}" for t in targets]
    return statements


def drop_statements(user: str, host: str = "%") -> list[str]:
    """Return the SQL that removes the user (connections are killed after it)."""
    account = f"{literal(user)}@{literal(host)}"
    return [f"REVOKE ALL PRIVILEGES, GRANT OPTION FROM {account}", f"DROP USER IF EXISTS {account}"]


_GRANT_LINE = re.compile(r"^GRANT (?P<privs>.+?) ON (?P<on>\S+) TO ", re.IGNORECASE)
_ADMIN_PRIVS = ("SUPER", "GRANT OPTION", "CREATE USER", "FILE", "SHUTDOWN", "RELOAD")
_WRITE_PRIVS = ("INSERT", "UPDATE", "DELETE")
_DDL_PRIVS = ("DROP", "ALTER", "CREATE", "INDEX", "TRIGGER", "REFERENCES")


def privileges(lines: Sequence[str]) -> dict[str, set[str]]:
    """Parse ``SHOW GRANTS`` lines into {on-target: privileges}; never keeps the lines.

    The lines carry the password hash (``IDENTIFIED BY PASSWORD '*…'``), so only the
    privilege words and the target leave this function.
    """
    found: dict[str, set[str]] = {}
    for line in lines:
        match = _GRANT_LINE.match(line)
        if not match:
            continue
        privs = {p.strip().upper() for p in match.group("privs").split(",")}
        if "ALL" in privs:
            privs.discard("ALL")
            privs.add("ALL PRIVILEGES")
        if re.search(r"\bWITH\b.*\bGRANT OPTION\b", line, re.IGNORECASE):
            privs.add("GRANT OPTION")
        found.setdefault(match.group("on").replace("`", ""), set()).update(privs)
    return found


def can_provision(lines: Sequence[str]) -> list[str]:
    """Return what ``SHOW GRANTS`` lacks to create a user and grant it reads (empty: nothing).

    ``CREATE USER`` needs that global privilege (or ``ALL`` on ``*.*``, or INSERT on the
    ``mysql`` schema); granting SELECT to another user needs ``GRANT OPTION``.
    """
    grants = privileges(lines)
    every = grants.get("*.*", set())
    missing = []
    mysql_schema = grants.get("mysql.*", set())
    if not (
        {"ALL PRIVILEGES", "CREATE USER"} & every or {"INSERT", "ALL PRIVILEGES"} & mysql_schema
    ):
        missing.append("CREATE USER")
    if not any("GRANT OPTION" in privs for privs in grants.values()):
        missing.append("GRANT OPTION")
    return missing


def describe_grants(lines: Sequence[str]) -> Verification:
    """Map parsed grants to capabilities and a severity (kept offline's for local dev URLs).

    ``ALL`` or an administrative privilege on ``*.*`` is critical (it can create users
    and read every database); writes or DDL anywhere are high; ``SELECT`` alone medium.
    """
    grants = privileges(lines)
    caps: list[str] = []
    severity = Severity.LOW
    global_privs = grants.get("*.*", set())
    every = set().union(*grants.values()) if grants else set()
    every.discard("USAGE")
    if "ALL PRIVILEGES" in global_privs or any(p in every for p in _ADMIN_PRIVS):
        caps += ["admin-database", "delete-production-data", "write-production-data"]
        severity = Severity.CRITICAL
    elif "ALL PRIVILEGES" in every or any(p in every for p in _WRITE_PRIVS + _DDL_PRIVS):
        severity = Severity.HIGH
        if "ALL PRIVILEGES" in every or any(p in every for p in _WRITE_PRIVS):
            caps.append("write-production-data")
        if "ALL PRIVILEGES" in every or any(p in every for p in ("DELETE", "DROP")):
            caps.append("delete-production-data")
    if "SELECT" in every or "ALL PRIVILEGES" in every:
        caps.append("read-production-data")
        if severity is Severity.LOW:
            severity = Severity.MEDIUM
    summary_parts = [
        f"{', '.join(sorted(privs - {'USAGE'}))} on {target}"
        for target, privs in sorted(grants.items())
        if privs - {"USAGE"}
    ]
    summary = "; ".join(summary_parts) or "no privileges beyond USAGE"
    return Verification(
        "valid",
        summary,
        capabilities=tuple(dict.fromkeys(caps)),
        severity=severity,
        details={"grants": {t: sorted(p) for t, p in grants.items()}},
    )
