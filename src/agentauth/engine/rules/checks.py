"""Offline checks on a credential's text: entropy, CRC32 checksums, JWT claims, PEM bodies.

These are facts readable from the string alone, without asking the provider.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import zlib
from collections import Counter
from typing import Any

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
"""GitHub's base62 alphabet for the checksum: digits, then upper case, then lower case."""

_CHECKSUMMED = re.compile(r"^(?:gh[pousr]|npm)_([A-Za-z0-9]{30})([A-Za-z0-9]{6})$")


def shannon_entropy(value: str) -> float:
    """Return the Shannon entropy of ``value`` in bits per character (0.0 for empty)."""
    if not value:
        return 0.0
    total = len(value)
    return -sum((n / total) * math.log2(n / total) for n in Counter(value).values())


def base62_checksum(random_part: str) -> str:
    """Return the 6-character base62 CRC32 (IEEE) of ``random_part``, left-padded with 0."""
    number = zlib.crc32(random_part.encode("ascii"))
    digits = []
    while number:
        number, rest = divmod(number, 62)
        digits.append(BASE62[rest])
    return "".join(reversed(digits)).rjust(6, "0")


def token_checksum_valid(token: str) -> bool | None:
    """Check the checksum of a classic GitHub (``gh?_``) or ``npm_`` token.

    Returns True or False for the 40-character checksummed forms, None for any other
    shape (fine-grained PATs, the long JWT installation tokens): those have no public
    checksum scheme. A wrong checksum means GitHub/npm never issued the string.
    """
    match = _CHECKSUMMED.match(token)
    if not match:
        return None
    return base62_checksum(match.group(1)) == match.group(2)


def jwt_claims(token: str) -> dict[str, Any] | None:
    """Return the decoded payload of a JWT (no signature check), or None when it is not one."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1]
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        claims = json.loads(raw)
    except (binascii.Error, ValueError):
        return None
    return claims if isinstance(claims, dict) else None


_PEM_MARKERS = re.compile(
    r"\.\.\.|…|<[^>]*>|your[_\- ]|placeholder|redacted|example", re.IGNORECASE
)
_PEM_HEADER_LINE = re.compile(r"^[A-Za-z\-]+:.*$", re.MULTILINE)
_OPENSSH_MAGIC = b"openssh-key-v1\x00"


def pem_body(value: str) -> str:
    """The base64 text between a PEM block's BEGIN and END lines, without armour headers."""
    parts = value.split("-----")
    body = parts[2] if len(parts) >= 5 else value
    body = body.replace("\\r", "\n").replace("\\n", "\n").replace("\\", "")
    body = _PEM_HEADER_LINE.sub("", body)
    lines = [line.strip() for line in body.splitlines()]
    # an armoured PGP block ends with a CRC24 line such as "=AbCd"
    return "".join(line for line in lines if line and not (line.startswith("=") and len(line) == 5))


def holds_key_material(value: str) -> bool:
    """True when the PEM body decodes to a key's structure, not prose or a placeholder.

    DER keys (RSA, EC, PKCS#8, encrypted PKCS#8) are a SEQUENCE (first byte 0x30),
    OpenSSH keys start with ``openssh-key-v1`` (whatever the header says), OpenPGP
    blocks with a packet tag (bit 7 set); a legacy encrypted PEM (``Proc-Type:
    4,ENCRYPTED``) is ciphertext, so only its decoding is checked. A header line
    without a body is no key at all.
    """
    body = pem_body(value)
    if len(body) < 64 or _PEM_MARKERS.search(body):
        return False
    body = body.rstrip("=")  # a stray character of a copy-paste does not unmake the key
    try:
        raw = base64.b64decode(body[: len(body) - len(body) % 4], validate=True)
    except (binascii.Error, ValueError):
        return False
    if "Proc-Type:" in value and "ENCRYPTED" in value:
        return True
    if raw.startswith(_OPENSSH_MAGIC):
        return True  # an OpenSSH key under a mislabelled header (``RSA``) is still a key
    if "OPENSSH" in value:
        return raw.startswith(_OPENSSH_MAGIC)
    if "PGP" in value:
        return bool(raw) and raw[0] & 0x80 == 0x80
    return raw[:1] == b"\x30"
