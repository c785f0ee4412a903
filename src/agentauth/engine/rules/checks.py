"""Offline checks on a credential's text: entropy, GitHub/npm CRC32 checksums, JWT claims.

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
