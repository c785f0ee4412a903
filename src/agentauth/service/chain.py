"""The identity chain of delegated agents (``claude-code>reviewer``) and its spellings.

One home for the separator, the allowed child names, :func:`sanitised` (the form a
provider with restricted identifiers shows: Postgres roles, MySQL and Redis users) and
the family tree of grants that ``revoke`` cascades through (:func:`with_descendants`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from agentauth.errors import UsageError
from agentauth.model import Grant, GrantStatus

SEPARATOR = ">"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


def child_chain(parent: str, to: str) -> str:
    """Return ``parent>to``; the name is restricted so it is safe in role and token names."""
    if not _NAME.match(to):
        raise UsageError(
            f"--to {to!r}: use 1-32 lower-case letters, digits, - or _ (it goes into role names)"
        )
    return f"{parent}{SEPARATOR}{to}"


def sanitised(chain: str, allowed: str = "a-z0-9_", joiner: str = "_", limit: int = 63) -> str:
    """Spell ``chain`` for a provider that restricts characters (``claude-code>reviewer``
    becomes ``claude_code__reviewer`` for Postgres); the hash keeps long ones unique."""
    import hashlib

    text = re.sub(f"[^{allowed}]", joiner, chain.replace(SEPARATOR, joiner * 2).lower())
    if len(text) <= limit:
        return text
    digest = hashlib.sha256(chain.encode()).hexdigest()[:8]
    return text[: limit - 9] + joiner + digest


def with_descendants(chosen: Iterable[Grant], grants: Sequence[Grant]) -> list[Grant]:
    """Add every live grant delegated, directly or not, from one in ``chosen`` (cascade)."""
    result = {g.id: g for g in chosen}
    changed = True
    while changed:
        changed = False
        for g in grants:
            if (
                g.parent in result
                and g.id not in result
                and g.status in (GrantStatus.ACTIVE, GrantStatus.PENDING, GrantStatus.FAILED)
            ):
                result[g.id] = g
                changed = True
    return list(result.values())
