"""Is one glob inside another? The conservative test every provider delegation shares.

A sub-agent may ask for a pattern (a Redis key pattern, an AWS action or resource ARN)
only when every name it matches, its parent's pattern matches too. Deciding that for
arbitrary globs is hard, so :func:`glob_covers` answers yes only in the cases that are
certainly right (equal patterns, a literal the parent's glob matches, a glob under the
parent's trailing-``*`` prefix) and no otherwise: a refusal is safe, a wrong yes is not.
"""

from __future__ import annotations

import re

_WILD = "*?[\\"


def is_literal(pattern: str) -> bool:
    """True when ``pattern`` has no glob syntax (it names exactly one thing)."""
    return not any(c in pattern for c in _WILD)


def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    )


def glob_covers(parent: str, child: str, *, fold: bool = False) -> bool:
    """True when every name ``child`` matches, ``parent`` matches (``*`` and ``?`` globs).

    ``fold`` compares case-insensitively (AWS action names). A parent using ``[...]``
    or ``\\`` escapes covers nothing but itself (equal text).
    """
    if fold:
        parent, child = parent.lower(), child.lower()
    if parent == child or parent == "*":
        return True
    if "[" in parent or "\\" in parent:
        return False
    if is_literal(child):
        return _regex(parent).fullmatch(child) is not None
    prefix = parent[:-1]
    return parent.endswith("*") and is_literal(prefix) and child.startswith(prefix)
