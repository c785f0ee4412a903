"""Phantom values: per-run stand-ins that keep a provider's prefix and carry a fixed marker.

Why the prefix: SDKs check it (the Stripe SDK refuses a key without ``sk_``/``rk_``,
some OpenAI and Anthropic clients look at ``sk-``). Why a marker: agentauth's own
``audit``/``check`` must recognise a phantom and never report it as a live
credential, and the broker must find one in a request without knowing every value.
The random part is 32 base62 characters (190 bits): outside its session a phantom is
worthless, and no one can guess a live one.
"""

from __future__ import annotations

import re
import secrets
import string

from agentauth.marker import (
    CAPABILITY_MARKER,
    CAPABILITY_PATTERN,
    MARKER,
    PATTERN,
    RANDOM_LEN,
    is_phantom,
)

__all__ = ["MARKER", "PATTERN", "find", "is_phantom", "make", "prefix_of"]

_ALPHABET = string.ascii_letters + string.digits
_RANDOM_LEN = RANDOM_LEN

PREFIXES: tuple[str, ...] = (
    "sk_live_", "sk_test_", "rk_live_", "rk_test_",      # Stripe
    "github_pat_", "ghp_", "ghs_", "gho_", "ghu_",       # GitHub
    "sk-ant-api03-", "sk-ant-", "sk-proj-", "sk-",       # Anthropic, OpenAI
    "xoxb-", "xoxp-", "SG.", "lin_api_", "glpat-", "hf_", "gsk_", "xai-", "pplx-", "r8_",
)  # fmt: skip
"""Known prefixes, longest first within a family: the phantom keeps the one the value has."""


def prefix_of(value: str) -> str:
    """Return the provider prefix of ``value`` that the phantom keeps ('' if none is known)."""
    for prefix in PREFIXES:
        if value.startswith(prefix):
            return prefix
    return ""


def make(real: str) -> str:
    """Return a fresh phantom shaped like ``real`` (same prefix), holding no part of it."""
    body = "".join(secrets.choice(_ALPHABET) for _ in range(_RANDOM_LEN))
    return prefix_of(real) + MARKER + body


def find(text: str) -> list[str]:
    """Return every full phantom (prefix included) in ``text``, in order."""
    found = [m.group(0) for m in _FIND.finditer(text)]
    if CAPABILITY_MARKER in text:
        found.extend(m.group(0) for m in _FIND_CAPABILITY.finditer(text))
    return found


_FIND = re.compile("(?:" + "|".join(re.escape(p) for p in PREFIXES) + ")?" + PATTERN.pattern)
_FIND_CAPABILITY = re.compile(
    "(?:" + "|".join(re.escape(p) for p in PREFIXES) + ")?" + CAPABILITY_PATTERN.pattern
)
