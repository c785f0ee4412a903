"""Classifiers of connection URLs: where a database or cache URL points and who it logs in as.

Three shapes reach them: a URL with a literal password (a finding judged by its
host), a URL whose password is a reference (``postgresql://owner:${DB_PASS}@...``:
``provision`` resolves it, so an agent holding the environment holds the password),
and a URL with a user and no password (``postgresql://postgres@127.0.0.1/shop``: the
server trusts the connection, or the password comes from ``PGPASSWORD``/``~/.pgpass``).
``init`` and ``lock`` treat all three as credentials; the audit says so too, with a
severity that follows who the user is and where the host is.
"""

from __future__ import annotations

import dataclasses
import re

from agentauth.engine.rules import Rule
from agentauth.engine.rules.assessment import Assessment
from agentauth.engine.rules.placeholders import (
    WEAK_PASSWORDS,
    is_masked,
    is_placeholder,
    is_reference,
)
from agentauth.engine.rules.urls import (
    PLACEHOLDER_HOSTS,
    ConnectionUrl,
    host_environment,
    is_placeholder_host,
    parse_url,
)
from agentauth.model import Candidate, Environment, Severity
from agentauth.redact import hide

_SUPERUSERS = frozenset(
    {"postgres", "root", "admin", "sa", "doadmin", "rdsadmin", "azure_superuser"}
)
_ADMIN_NAME = re.compile(r"(?:^|[_\-.])(?:owner|admin|root|master|superuser|dba)(?:$|[_\-.])")
"""User names that suggest a database owner or administrator (``shop_owner``, ``dbadmin``)."""
_DATABASES = frozenset({"postgres", "mysql", "mongodb", "sqlserver", "oracle"})
_URL_PROVIDERS = {
    "postgresql": "postgres",
    "postgres": "postgres",
    "mysql": "mysql",
    "mariadb": "mysql",
    "sqlserver": "sqlserver",
    "oracle": "oracle",
}
_PLACEHOLDER_USERS = frozenset(
    {"user", "username", "usr", "login", "myuser", "your_user", "youruser", "db_user", "dbuser"}
)
_PLACEHOLDER_PASSWORDS = frozenset(
    {"password", "pass", "passwd", "pwd", "secret", "mypassword", "yourpassword", "your_password"}
)
DOCUMENTED_PASSWORDS = frozenset({"D1fficultP%40ssw0rd", "D1fficultP@ssw0rd", "D1fficultP"})
"""Passwords of the providers' own manuals (MongoDB's connection string examples)."""


def _url_redacted(scheme: str, user: str, host: str, port: str, database: str) -> str:
    location = f"{host}:{port}" if port else host
    who = f"{user}:***@" if user else ":***@"
    return f"{scheme}://{who}{location}" + (f"/{database}" if database else "")


def _unveiled(url: ConnectionUrl) -> ConnectionUrl:
    """The URL with its password masked wherever else it occurs (``app:app_dev@db/app_dev``)."""
    return dataclasses.replace(
        url,
        user=hide(url.user, url.password),
        host=hide(url.host, url.password),
        port=hide(url.port, url.password),
        database=hide(url.database, url.password),
    )


def _documentation(url: ConnectionUrl) -> bool:
    """True for the ``user:password@`` pair, a manual's password or an ``example`` host label."""
    if url.user.lower() in _PLACEHOLDER_USERS and url.password.lower() in _PLACEHOLDER_PASSWORDS:
        return True
    if url.password in DOCUMENTED_PASSWORDS:
        return True
    return is_placeholder_host(url.host) or "example" in url.host.split(".")


def _provider(rule: Rule, a: Assessment, url: ConnectionUrl) -> str:
    if rule.id == "jdbc-url":
        return _URL_PROVIDERS.get(url.scheme.removeprefix("jdbc:").split(":")[0], "database")
    return a.provider


def _superuser(user: str, provider: str) -> bool:
    name = user.lower()
    return (name in _SUPERUSERS or bool(_ADMIN_NAME.search(name))) and provider in _DATABASES


def _facts(url: ConnectionUrl, reason: str) -> dict[str, str]:
    facts = {
        "host": url.host,
        "scheme": url.scheme.removeprefix("jdbc:"),
        "environment_reason": reason,
    }
    facts.update(
        {k: v for k, v in (("port", url.port), ("database", url.database), ("user", url.user)) if v}
    )
    for param in ("sslmode", "ssl", "tls"):
        if param in url.params:
            facts[param] = url.params[param]
    return facts


def connection_url(value: str, cand: Candidate, rule: Rule, a: Assessment) -> Assessment | None:
    """Judge a database/cache URL by its host; placeholder passwords or hosts are dropped.

    Local hosts (localhost, Compose names) are dev/low whatever the password. A weak
    password (``password``, ``postgres``...) on a remote host is kept: a production
    database with a default password is the worst case, not a placeholder. The
    textbook ``user:password@`` pair, a manual's example password and ``example`` hosts
    are documentation. A password given as a reference is judged by :func:`_referenced`.
    """
    url = parse_url(value)
    if url is None or not url.password:
        return None
    if is_masked(url.password) or _documentation(url):
        return None
    provider = _provider(rule, a, url)
    if is_reference(url.password):
        return _referenced(url, provider, a)
    if is_placeholder(url.password) and url.password.lower() not in WEAK_PASSWORDS:
        return None
    environment, reason = host_environment(url)
    reason = hide(reason, url.password)
    shown = _unveiled(url)
    facts = _facts(shown, reason)
    capabilities = a.capabilities
    if _superuser(url.user, provider) and "admin-database" not in capabilities:
        capabilities = (*capabilities, "admin-database")
    if url.password.lower() in WEAK_PASSWORDS or url.password == url.user:
        facts["weak_password"] = "true"
    a = dataclasses.replace(
        a,
        provider=provider,
        environment=environment,
        capabilities=capabilities,
        redacted=_url_redacted(shown.scheme, shown.user, shown.host, shown.port, shown.database),
        why=_url_why(a, environment, reason, shown.user),
        hints=environment is Environment.UNKNOWN,
    )
    if environment is Environment.DEV:
        a = dataclasses.replace(
            a,
            capabilities=(),
            fix="Fine for local development; keep it out of shared files and give the agent "
            "its own role anyway: agentauth init && agentauth provision",
        )
    return a.with_extra(**facts)


def _referenced(url: ConnectionUrl, provider: str, a: Assessment) -> Assessment | None:
    """A URL whose password is ``${VAR}``: no secret in the file, but it names who logs in.

    As an owner or administrator it is medium (the agent inherits the variable and
    ``provision`` resolves it), otherwise info; never a CI failure, since a reference
    is what we recommend writing. Non-database URLs (git, HTTP) stay dropped.
    """
    if provider not in _DATABASES and provider not in {"redis", "database"}:
        return None
    environment, reason = host_environment(url)
    admin = _superuser(url.user, provider)
    who = url.user or "the default user"
    why = (
        f"Connection URL as {who} ({reason}) with its password in a variable: no secret in "
        "this file, but an agent with the same environment resolves it and connects as "
        f"{who}" + (", an owner or administrator." if admin else ".")
    )
    a = dataclasses.replace(
        a,
        provider=provider,
        kind="connection-url-reference",
        environment=environment,
        final_severity=Severity.MEDIUM if admin else Severity.INFO,
        ci_fail=False,
        capabilities=("admin-database",) if admin else (),
        redacted=_url_redacted(url.scheme, url.user, url.host, url.port, url.database),
        why=why,
        fix="Give the agent its own role and its own URL: agentauth init && agentauth provision",
        hints=False,
    )
    return a.with_extra(**_facts(url, reason), **{"password": "reference"})


def passwordless_url(value: str, cand: Candidate, rule: Rule, a: Assessment) -> Assessment | None:
    """A database URL with a user and no password: trusted by the server, or a password elsewhere.

    A superuser (``postgres``, ``root``) on a local host is low: it works because the
    server trusts local connections, and an agent connecting the same way is a superuser
    too. The same user on a remote host is high (the password comes from
    ``PGPASSWORD``/``~/.pgpass``, which the agent inherits). Other users are info: the
    URL alone names who connects, not what they may do.
    """
    url = parse_url(value)
    if url is None or not url.user or url.password or url.host in PLACEHOLDER_HOSTS:
        return None
    if is_placeholder(url.user) or url.user.lower() in _PLACEHOLDER_USERS:
        return None
    environment, reason = host_environment(url)
    admin = _superuser(url.user, a.provider)
    # the database name left out: the whole URL is this finding's "secret" (never shown)
    redacted = f"{url.scheme}://{url.user}@{url.host}" + (f":{url.port}" if url.port else "")
    redacted += "/…" if url.database else ""
    capabilities: tuple[str, ...] = ()
    if not admin:
        severity = Severity.INFO
    elif environment is Environment.DEV:
        severity = Severity.LOW
    else:
        severity, capabilities = Severity.HIGH, (*a.capabilities, "admin-database")
    where = (
        "this local server trusts the connection"
        if environment is Environment.DEV
        else ("the password comes from PGPASSWORD, ~/.pgpass or the server's trust rules")
    )
    a = dataclasses.replace(
        a,
        environment=environment,
        final_severity=severity,
        ci_fail=severity.rank >= Severity.HIGH.rank,
        capabilities=capabilities,
        redacted=redacted,
        why=f"Password-less URL as {url.user} ({reason}): {where}; an agent connecting the same "
        f"way is {url.user}" + (", a superuser." if admin else "."),
        hints=False,
    )
    return a.with_extra(**_facts(url, reason), **{"password": "none"})


def _url_why(a: Assessment, environment: Environment, reason: str, user: str) -> str:
    who = f" as {user}" if user else ""
    if environment is Environment.DEV:
        return f"Local development {a.kind.replace('-', ' ')}{who} ({reason}): low risk."
    if environment is Environment.LIVE:
        return f"{a.why} Production{who} ({reason})."
    return f"{a.why} Remote{who} ({reason}); assume it reaches real data."
