"""Values a file holds apart from their name or in another encoding, as name/value pairs.

The rules read ``NAME = value`` on one line. Some formats put the name and the value
apart, or encode the value, so no line-level regex sees them together:

* a Kubernetes ``Secret``'s ``data:`` holds base64 (``DATABASE_URL: cG9zdGdyZXM6Ly8...``);
* a Terraform ``variable "db_password" { default = "..." }`` names the secret in its label;
* XML names it in an element or a ``key=""`` attribute (``<password>{...}</password>``,
  ``<add key="DbPassword" value="..."/>``), braces and all;
* Go keys are byte slices (``jwtKey = []byte("...")``), which no assignment regex expects;
* a database password is often a bare ``password:`` whose engine is named elsewhere in the
  file (Rails ``adapter: postgresql``, Django ``ENGINE``, Terraform ``engine = "mysql"``,
  Spring's ``jdbc:postgresql:`` URL, Laravel's ``DB_CONNECTION=pgsql``);
* PHP constants are a call, ``define( 'DB_PASSWORD', '...' )`` (WordPress' ``wp-config.php``).

Each extractor yields :class:`Pair` (name, value, where the value starts); the detector
runs them through the same rules as an environment variable (``detect_value``). Pure:
text in, pairs out; each extractor runs only when its cheap marker is in the text.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Pair:
    """One name/value pair; ``start`` is the byte offset of the value as written."""

    name: str
    value: str
    start: int
    end: int
    decoded: bool = False
    """True when ``value`` was decoded (base64): the text holds another string."""
    shown: str | None = None
    """The variable name to report when ``name`` was adjusted for the rules."""


_SECRET_NAME = re.compile(r"(?i)secret|passw|pwd|token|key|credential|auth")
"""Names worth a look; the name-based rule then decides (it is stricter)."""

_K8S_KIND = re.compile(rb"^kind:\s*[\"']?Secret[\"']?\s*$", re.MULTILINE)
_K8S_DATA = re.compile(rb"^(?P<indent>[ \t]*)data:[ \t]*\r?$", re.MULTILINE)
_K8S_ENTRY = re.compile(
    rb"^(?P<indent>[ \t]+)[\"']?(?P<name>[A-Za-z0-9_.\-]{1,253})[\"']?:[ \t]*[\"']?"
    rb"(?P<value>[A-Za-z0-9+/]{8,65536}={0,2})[\"']?[ \t]*\r?$",
    re.MULTILINE,
)


def k8s_secret_data(data: bytes) -> Iterator[Pair]:
    """The base64-decoded values of a Kubernetes Secret's ``data:`` (text values only)."""
    if b"Secret" not in data or not _K8S_KIND.search(data):
        return
    for block in _K8S_DATA.finditer(data):
        indent = len(block.group("indent"))
        pos = block.end() + 1
        for entry in _K8S_ENTRY.finditer(data, pos):
            if entry.start() != pos or len(entry.group("indent")) <= indent:
                break
            pos = entry.end() + 1
            value = _b64_text(entry.group("value"))
            if value is not None:
                name = entry.group("name").decode()
                yield Pair(name, value, entry.start("value"), entry.end("value"), decoded=True)


def _b64_text(raw: bytes) -> str | None:
    try:
        decoded = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        text = decoded.decode("utf-8")
    except UnicodeDecodeError:
        return None
    text = text.strip()
    if not text or not text.replace("\n", "").replace("\r", "").replace("\t", "").isprintable():
        return None  # NOTE: line breaks are text: a PEM key (``tls.key``) spans lines
    return text


_TF_VARIABLE = re.compile(
    rb"variable\s+\"(?P<name>[A-Za-z0-9_\-]{1,100})\"\s*\{(?P<body>[^{}]{0,4000})\}", re.DOTALL
)
_TF_DEFAULT = re.compile(rb"(?m)^\s*default\s*=\s*\"(?P<value>[^\"\\\n]{1,512})\"")


def terraform_defaults(data: bytes, engines: Engines | None = None) -> Iterator[Pair]:
    """``default`` of a Terraform variable, named by the variable's label.

    A database password variable (``db_password``) in a file that names the engine
    (``engine = "postgres"``) is that engine's password.
    """
    if b"variable" not in data or b"default" not in data:
        return
    engines = engines or Engines(data)
    for block in _TF_VARIABLE.finditer(data):
        name = block.group("name").decode()
        if not _SECRET_NAME.search(name):
            continue
        default = _TF_DEFAULT.search(block.group("body"))
        if default is None:
            continue
        offset = block.start("body")
        shown = None
        if _database_setting(name):
            family = _engine_at(engines.named(), block.start())
            if family is not None:
                name, shown = f"{family}_password", name
        yield Pair(
            name,
            default.group("value").decode("utf-8", "replace"),
            offset + default.start("value"),
            offset + default.end("value"),
            shown=shown,
        )


_ENGINE_AT = (
    (b"adapter:", re.compile(rb"adapter:[ \t]*[\"']?([a-z0-9_]+)")),
    (b"db.backends.", re.compile(rb"db\.backends\.([a-z0-9_]+)")),
    (b"jdbc:", re.compile(rb"jdbc:([a-z0-9]+):")),
    (b"engine", re.compile(rb"engine[ \t]*=[ \t]*\"([a-z0-9\-]+)\"")),
    (b"database_version", re.compile(rb"database_version[ \t]*=[ \t]*\"([a-z]+)_")),
    (b"azurerm_", re.compile(rb"azurerm_(postgresql|mysql|mariadb|mssql)")),
    (b"provider", re.compile(rb"provider[ \t]+\"([a-z0-9_]+)\"")),
    (b"db_connection", re.compile(rb"db_connection[ \t]*=[ \t]*[\"']?([a-z]+)")),
)
"""Where a file names a database engine: a marker, then the regex matched at the marker
(over the lower-cased text), whose group is the engine's word."""
_OTHER_SERVICES = (b"redis", b"memcache", b"mongodb", b"smtp", b"ldap", b"rabbitmq", b"amqp")
"""Services whose password a bare ``password`` setting near them belongs to instead."""
_FAMILIES = {
    **dict.fromkeys(
        ("postgresql", "postgis", "postgres", "aurora-postgresql", "pgsql", "psycopg2"),
        "postgres",
    ),
    **dict.fromkeys(
        ("mysql", "mysql2", "trilogy", "jdbcmysql", "mariadb", "aurora-mysql", "aurora"), "mysql"
    ),
}
_DB_PASSWORD_LINE = re.compile(
    rb"(?im)[ \t]*(?:-[ \t]+)?(?:export[ \t]+)?[\"']?"
    rb"(?P<name>(?:[a-z0-9_.\-]{0,60}?[_.\-])?(?:password|passwd|pass|pwd))[\"']?"
    rb"[ \t]*(?::|=>|=)[ \t]*"
    rb"(?:\"(?P<dq>[^\"\\\r\n]{1,256})\"|'(?P<sq>[^'\\\r\n]{1,256})'"
    rb"|(?P<bare>[^\s\"'`,;{}()\[\]<>#]{1,256})(?=[ \t]*(?:,|#|\r?$)))"
)
_DB_PREFIX = re.compile(
    r"(?:^|[_.\-])(?:db|database|datasource|master|admin|administrator|administrator_login|root"
    r"|rds|sql|jdbc|pg|postgres|postgresql|mysql|mariadb)$",
    re.IGNORECASE,
)


def _database_setting(name: str) -> bool:
    """``password``, ``PASSWORD``, ``DB_PASSWORD``, ``master_password``: not ``SMTP_PASSWORD``."""
    lowered = name.lower()
    for word in ("password", "passwd", "pass", "pwd"):
        if lowered.endswith(word):
            prefix = lowered[: -len(word)].rstrip("_.-")
            if not prefix:
                return word in ("password", "passwd")
            return bool(_DB_PREFIX.search(prefix))
    return False


class Engines:
    """The database engines a text names, looked for once, when an extractor first asks."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._named: list[tuple[int, str | None]] | None = None

    def named(self) -> list[tuple[int, str | None]]:
        if self._named is None:
            self._named = _engines(self._data)
        return self._named


def _engines(data: bytes) -> list[tuple[int, str | None]]:
    """(offset, ``postgres``/``mysql``/None for another engine or service) in text order.

    Marker-driven (``bytes.find``, then one anchored match per occurrence): a whole-text
    alternation ran at 6 MB/s on code that merely says "provider" or "engine".
    """
    lowered = data.lower()
    found: list[tuple[int, str | None]] = []
    for marker, pattern in _ENGINE_AT:
        pos = lowered.find(marker)
        while pos >= 0:
            match = pattern.match(lowered, pos)
            if match is not None:
                found.append((pos, _FAMILIES.get(match.group(1).decode())))
            pos = lowered.find(marker, pos + len(marker))
    if any(family for _, family in found):
        for marker in _OTHER_SERVICES:
            pos = lowered.find(marker)
            while pos >= 0:
                found.append((pos, None))
                pos = lowered.find(marker, pos + len(marker))
    if found:
        pos = data.find(b"\n" + SEGMENT_BREAK + b"\n")
        while pos >= 0:
            found.append((pos, _BREAK))
            pos = data.find(b"\n" + SEGMENT_BREAK + b"\n", pos + 1)
    found.sort(key=lambda item: item[0])
    return found


SEGMENT_BREAK = b"\x00"
"""A line holding only this separates unrelated texts joined in one buffer (the files of
``audit --history``): an engine named on one side says nothing about the other."""
_BREAK = "|"


def _engine_at(engines: list[tuple[int, str | None]], offset: int) -> str | None:
    """The engine named nearest before ``offset``, else the first one named after it,
    never across a :data:`SEGMENT_BREAK`."""
    before = [family for start, family in engines if start < offset]
    if before and before[-1] != _BREAK:
        return before[-1]
    after = next((family for start, family in engines if start >= offset), None)
    return None if after == _BREAK else after


def _password_lines(data: bytes) -> Iterator[re.Match[bytes]]:
    """:data:`_DB_PASSWORD_LINE` at the start of each line holding ``pass`` or ``pwd``."""
    lowered = data.lower()
    starts: set[int] = set()
    for word in (b"pass", b"pwd"):
        pos = lowered.find(word)
        while pos >= 0:
            starts.add(lowered.rfind(b"\n", 0, pos) + 1)
            pos = lowered.find(word, pos + len(word))
    for start in sorted(starts):
        match = _DB_PASSWORD_LINE.match(data, start)
        if match is not None:
            yield match


def database_passwords(data: bytes, engines: Engines | None = None) -> Iterator[Pair]:
    """Bare ``password`` settings of a file that names PostgreSQL or MySQL as the engine.

    Rails ``config/database.yml``, Django ``DATABASES``, Terraform database resources,
    Spring ``spring.datasource``, Laravel ``.env``: the pair is named ``postgres_password``
    or ``mysql_password`` (the variable shown stays the setting's own name), so the
    engine's password rule judges it. A file naming no engine, or another service
    (Redis, SMTP) nearer the setting, yields nothing: the generic rules still apply.
    """
    named = (engines or Engines(data)).named()
    if not any(family for _, family in named):
        return
    for match in _password_lines(data):
        name = match.group("name").decode("utf-8", "replace")
        if not _database_setting(name):
            continue
        family = _engine_at(named, match.start())
        if family is None:
            continue
        group = next(g for g in ("dq", "sq", "bare") if match.group(g) is not None)
        yield Pair(
            f"{family}_password",
            match.group(group).decode("utf-8", "replace"),
            match.start(group),
            match.end(group),
            shown=name,
        )


_XML_ELEMENT = re.compile(
    rb"<(?P<name>[A-Za-z_][\w.\-:]{0,80})(?:\s[^<>]{0,200})?>\s*\{?(?P<value>[^<>\s{}]{1,512})"
    rb"\}?\s*</(?P=name)>"
)
_XML_KEY_VALUE = re.compile(
    rb"<[A-Za-z_][\w.\-:]{0,40}\s+(?:name|key)\s*=\s*\"(?P<name>[^\"<>]{1,120})\"\s+value\s*=\s*"
    rb"\"\{?(?P<value>[^\"<>{}]{1,512})\}?\""
)


def xml_values(data: bytes) -> Iterator[Pair]:
    """``<password>{value}</password>`` elements and ``<add key="X" value="{v}"/>`` pairs."""
    if b"</" not in data and b"value=" not in data:
        return
    for pattern in (_XML_ELEMENT, _XML_KEY_VALUE):
        for match in pattern.finditer(data):
            name = match.group("name").decode("utf-8", "replace").rsplit(":", 1)[-1]
            if not _SECRET_NAME.search(name):
                continue
            yield Pair(
                name,
                match.group("value").decode("utf-8", "replace"),
                match.start("value"),
                match.end("value"),
            )


_GO_BYTES = re.compile(
    rb"(?P<name>[A-Za-z_][A-Za-z0-9_]{0,80})\s*(?::=|=)\s*\[\]byte\(\s*"
    rb"(?:\"(?P<value>[^\"\\\n]{1,512})\"|`(?P<raw>[^`]{1,512})`)\s*\)"
)
_KEY_NAME = re.compile(r"(?i)key|secret|token|passw|salt|signing|hmac")


def go_byte_slices(data: bytes) -> Iterator[Pair]:
    """Go ``name := []byte("...")`` where ``name`` says key, secret, token or password.

    A bare ``key`` in the name is renamed ``*_secret_key`` so the name-based rule, which
    wants a secret-bearing name, takes a byte-slice key for what Go code means by it.
    """
    if b"[]byte(" not in data:
        return
    for match in _GO_BYTES.finditer(data):
        name = match.group("name").decode()
        if not _KEY_NAME.search(name):
            continue
        group = "value" if match.group("value") is not None else "raw"
        yield Pair(
            f"{name}_secret_key",
            match.group(group).decode("utf-8", "replace"),
            match.start(group),
            match.end(group),
            shown=name,
        )


_PHP_DEFINE = re.compile(
    rb"define\(\s*[\"'](?P<name>[A-Za-z_][A-Za-z0-9_]{0,80})[\"']\s*,\s*"
    rb"(?:\"(?P<dq>[^\"\\\r\n]{1,512})\"|'(?P<sq>[^'\\\r\n]{1,512})')\s*\)"
)


def php_defines(data: bytes) -> Iterator[Pair]:
    """PHP constants: ``define( 'DB_PASSWORD', '...' )`` in WordPress' ``wp-config.php``."""
    if b"define(" not in data:
        return
    for match in _PHP_DEFINE.finditer(data):
        name = match.group("name").decode()
        if not _SECRET_NAME.search(name):
            continue
        group = "dq" if match.group("dq") is not None else "sq"
        yield Pair(
            name,
            match.group(group).decode("utf-8", "replace"),
            match.start(group),
            match.end(group),
        )


def pairs(data: bytes) -> list[Pair]:
    """Every pair any extractor finds in ``data`` (UTF-8 bytes of one file), in this
    order (the detector merges them in it); the engines named are looked for once."""
    engines = Engines(data)
    return [
        *k8s_secret_data(data),
        *terraform_defaults(data, engines),
        *xml_values(data),
        *go_byte_slices(data),
        *database_passwords(data, engines),
        *php_defines(data),
    ]


_BREAK_LINE = b"\n" + SEGMENT_BREAK + b"\n"


def segments_around(data: bytes, offsets: list[int]) -> list[tuple[int, int]]:
    """The (start, end) of each :data:`SEGMENT_BREAK`-delimited part holding an offset.

    Why: ``audit --history`` joins the added lines of hundreds of files in one buffer;
    the extractors need run only on the files that hold one of their markers, as they
    would on each file alone. A text without breaks is one part, the whole of it.
    """
    out: list[tuple[int, int]] = []
    for offset in sorted(offsets):
        if out and offset <= out[-1][1]:
            continue
        start = data.rfind(_BREAK_LINE, 0, offset)
        end = data.find(_BREAK_LINE, offset)
        start = 0 if start < 0 else start + len(_BREAK_LINE)
        out.append((start, len(data) if end < 0 else end + 1))
    return out
