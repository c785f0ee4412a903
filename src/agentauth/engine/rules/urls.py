"""Parse database and cache connection URLs and judge whether they reach production or a laptop.

The host decides most of it: loopback, Docker and Compose service names are local
development; managed-database domains (RDS, Azure, Atlas, Supabase, Neon...), public
IPs and ``prod`` in a host or database name are production.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

from agentauth.model import Environment
from agentauth.redact import split_authority

_NO_USERINFO = re.compile(
    r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.:-]*)://(?P<hosts>[^/?#;@]*)(?P<rest>[/?#;].*)?$", re.DOTALL
)
_REST = re.compile(r"^(?:/(?P<database>[^?#;]*))?(?:[?;](?P<query>[^#]*))?")

LOCAL_NAMES = frozenset(
    {"localhost", "host.docker.internal", "gateway.docker.internal", "0.0.0.0", "::1", "::"}  # noqa: S104
)
LOCAL_SUFFIXES = (".localhost", ".local", ".test", ".example", ".invalid", ".docker.internal")
PLACEHOLDER_HOSTS = frozenset(
    {
        "host", "hostname", "your-host", "yourhost", "your_host", "server", "dbhost", "db-host",
        "db_host", "my-host", "myhost", "example.com", "example.org", "example.net",
        "domain.com", "your-domain.com", "mydomain.com", "address", "ip", "host-name",
    }
)  # fmt: skip
CLOUD_SUFFIXES: tuple[tuple[str, str], ...] = (
    (".rds.amazonaws.com", "Amazon RDS/Aurora"),
    (".cache.amazonaws.com", "Amazon ElastiCache"),
    (".amazonaws.com", "AWS"),
    (".database.windows.net", "Azure SQL"),
    (".database.azure.com", "Azure Database"),
    (".redis.cache.windows.net", "Azure Cache for Redis"),
    (".redisenterprise.cache.azure.net", "Azure Cache for Redis"),
    (".cosmos.azure.com", "Azure Cosmos DB"),
    (".mongodb.net", "MongoDB Atlas"),
    (".supabase.co", "Supabase"),
    (".supabase.com", "Supabase"),
    (".neon.tech", "Neon"),
    (".psdb.cloud", "PlanetScale"),
    (".upstash.io", "Upstash"),
    (".redislabs.com", "Redis Cloud"),
    (".redis-cloud.com", "Redis Cloud"),
    (".aivencloud.com", "Aiven"),
    (".db.ondigitalocean.com", "DigitalOcean Managed Databases"),
    (".cockroachlabs.cloud", "CockroachDB Cloud"),
    (".timescale.com", "Timescale Cloud"),
    (".render.com", "Render"),
    (".rlwy.net", "Railway"),
    (".railway.app", "Railway"),
    (".elephantsql.com", "ElephantSQL"),
    (".clever-cloud.com", "Clever Cloud"),
)
_PROD_TOKEN = re.compile(r"^(?:prod\d*|production|prd\d*|live|primary)$")
_NONPROD_TOKEN = re.compile(
    r"^(?:staging|stage|stg|uat|qa|dev|develop|development|test|testing|sandbox|demo|preview)\d*$"
)
_SECURE_PARAMS = {
    "sslmode": {"require", "verify-ca", "verify-full"},
    "ssl": {"true", "1", "required"},
    "tls": {"true", "1"},
    "ssl-mode": {"required", "verify_ca", "verify_identity"},
}


@dataclass(frozen=True)
class ConnectionUrl:
    """The parts of a connection URL; ``password`` is the only secret part."""

    scheme: str
    user: str
    password: str = field(repr=False)
    host: str
    port: str
    database: str
    params: dict[str, str]
    hosts: tuple[str, ...] = ()


def parse_url(value: str) -> ConnectionUrl | None:
    """Split a ``scheme://user:password@host:port/db?params`` URL (also JDBC forms).

    The password runs to the last ``@`` before the host, as libpq, PyMySQL and redis-py
    read it (:func:`agentauth.redact.split_authority`); the host never holds an ``@``.

    JDBC URLs carry the user and password as parameters (``?user=u&password=p`` or
    ``;user=u;password=p``); they are read from there. Returns None when it does not parse.
    """
    text = value[5:] if value.lower().startswith("jdbc:") else value
    authority = split_authority(text)
    if authority is not None:
        scheme, user = authority.scheme[:-3], authority.user
        password, hosts_text, rest = authority.password, authority.host, authority.rest
    else:
        plain = _NO_USERINFO.match(text)
        if plain is None:
            return None
        scheme, user, password = plain.group("scheme"), "", None
        hosts_text, rest = plain.group("hosts"), plain.group("rest") or ""
    match = _REST.match(rest)
    assert match is not None  # NOTE: every part of _REST is optional; it always matches
    query = match.group("query") or ""
    if ";" in text and "://" in text:
        query = ";".join(filter(None, [query, *text.split(";")[1:]]))
    params: dict[str, str] = {}
    for part in re.split(r"[&;]", query):
        if "=" in part:
            key, _, val = part.partition("=")
            params.setdefault(key.strip().lower(), val.strip())
    hosts = tuple(h for h in hosts_text.split(",") if h)
    host, port = _split_host(hosts[0]) if hosts else ("", "")
    user = user or params.get("user") or params.get("username") or ""
    if password is None:
        password = params.get("password") or params.get("pwd") or ""
    database = (match.group("database") or params.get("databasename") or "").split("/")[0]
    return ConnectionUrl(
        scheme=scheme.lower(),
        user=user,
        password=password,
        host=host.lower(),
        port=port,
        database=database,
        params={k: v for k, v in params.items() if k not in {"password", "pwd"}},
        hosts=hosts,
    )


def _split_host(hostport: str) -> tuple[str, str]:
    if hostport.startswith("["):
        host, _, rest = hostport[1:].partition("]")
        return host, rest.lstrip(":")
    if hostport.count(":") == 1:
        host, _, port = hostport.partition(":")
        return host, port
    return hostport, ""


def is_placeholder_host(host: str) -> bool:
    """True for hosts that only appear in documentation (``host``, ``example.com``...)."""
    return host in PLACEHOLDER_HOSTS or host.endswith((".example.com", ".example.org"))


def host_environment(url: ConnectionUrl) -> tuple[Environment, str]:
    """Return where this URL points (dev, live or unknown) and a short reason for humans."""
    host = url.host
    if not host:
        return Environment.DEV, "no host (local socket)"
    if host in LOCAL_NAMES or host.endswith(LOCAL_SUFFIXES):
        return Environment.DEV, f"local host {host}"
    address = _ip(host)
    if address is not None and (address.is_loopback or address.is_unspecified):
        return Environment.DEV, f"loopback address {host}"
    tokens = set(re.split(r"[.\-_]", host)) | set(re.split(r"[.\-_]", url.database.lower()))
    if any(_PROD_TOKEN.match(t) for t in tokens):
        return Environment.LIVE, "production name in host or database"
    if address is None and "." not in host:
        return Environment.DEV, f"Compose/Docker service name {host}"
    if any(_NONPROD_TOKEN.match(t) for t in tokens):
        return Environment.UNKNOWN, f"shared non-production host {host}"
    for suffix, label in CLOUD_SUFFIXES:
        if host.endswith(suffix):
            return Environment.LIVE, f"{label} host"
    if address is not None and address.is_global:
        return Environment.LIVE, f"public IP address {host}"
    if _secure(url):
        return Environment.LIVE, "TLS required (sslmode/ssl parameter)"
    return Environment.UNKNOWN, f"remote host {host}"


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _secure(url: ConnectionUrl) -> bool:
    return any(url.params.get(k, "").lower() in v for k, v in _SECURE_PARAMS.items())
