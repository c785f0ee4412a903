"""Values a file holds apart from their name or in another encoding, as name/value pairs.

The rules read ``NAME = value`` on one line. Some formats put the name and the value
apart, or encode the value, so no line-level regex sees them together:

* a Kubernetes ``Secret``'s ``data:`` holds base64 (``DATABASE_URL: cG9zdGdyZXM6Ly8...``);
* a Terraform ``variable "db_password" { default = "..." }`` names the secret in its label;
* XML names it in an element or a ``key=""`` attribute (``<password>{...}</password>``,
  ``<add key="DbPassword" value="..."/>``), braces and all;
* Go keys are byte slices (``jwtKey = []byte("...")``), which no assignment regex expects.

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
    if not text or not text.isprintable():
        return None
    return text


_TF_VARIABLE = re.compile(
    rb"variable\s+\"(?P<name>[A-Za-z0-9_\-]{1,100})\"\s*\{(?P<body>[^{}]{0,4000})\}", re.DOTALL
)
_TF_DEFAULT = re.compile(rb"(?m)^\s*default\s*=\s*\"(?P<value>[^\"\\\n]{1,512})\"")


def terraform_defaults(data: bytes) -> Iterator[Pair]:
    """``default`` of a Terraform variable, named by the variable's label."""
    if b"variable" not in data or b"default" not in data:
        return
    for block in _TF_VARIABLE.finditer(data):
        if not _SECRET_NAME.search(block.group("name").decode()):
            continue
        default = _TF_DEFAULT.search(block.group("body"))
        if default is None:
            continue
        offset = block.start("body")
        yield Pair(
            block.group("name").decode(),
            default.group("value").decode("utf-8", "replace"),
            offset + default.start("value"),
            offset + default.end("value"),
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


EXTRACTORS = (k8s_secret_data, terraform_defaults, xml_values, go_byte_slices)


def pairs(data: bytes) -> list[Pair]:
    """Every pair any extractor finds in ``data`` (UTF-8 bytes of one file)."""
    found: list[Pair] = []
    for extract in EXTRACTORS:
        found.extend(extract(data))
    return found
