"""Delegating a Redis login: the sub-agent's ACL user may touch only a subset of key patterns.

``--only REDIS_URL='cache:users:*,cache:flags'`` gives the child an ACL user of its own
confined to those patterns, each inside one of the parent's (see
:func:`agentauth.providers.subset.glob_covers`); the item ``read-only`` narrows a
read-write parent's access too. The child gets no pub/sub channels. The user is made
by the provider's own plan and apply; the subset is decided offline.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agentauth.errors import ConfigError
from agentauth.model import CredentialPolicy, Grant
from agentauth.providers.base import ExceedsParent, SubsetNarrowing
from agentauth.providers.redis.acl import ACCESS, valid_pattern
from agentauth.providers.subset import glob_covers

# identity_name(limit=64) keeps 64 - len("agentauth__") - 6 characters of the agent's name
NAME_ROOM = 47


class RedisNarrowing(SubsetNarrowing):
    """The :class:`agentauth.providers.base.Narrowing` of Redis: key patterns and access."""

    name_room = NAME_ROOM

    def subset(
        self, entry: CredentialPolicy, parent: Grant, options: dict[str, Any], rules: Sequence[str]
    ) -> dict[str, Any]:
        """The requested patterns (and access), each inside the parent's."""
        held = [str(k) for k in options.get("keys", [])]
        access = str(options.get("access", "read-only"))
        keys: list[str] = []
        over: list[str] = []
        for rule in rules:
            if rule in ACCESS:
                if rule == "read-write" and access != "read-write":
                    over.append("access read-write")
                access = rule
                continue
            if not valid_pattern(rule):
                raise ConfigError(f"--only {entry.variable}={rule}: not a plain key pattern")
            if not any(glob_covers(h, rule) for h in held):
                over.append(f"key pattern {rule}")
            keys.append(rule)
        if over:
            raise ExceedsParent(over)
        options.update(access=access, keys=keys or held, channels=[])
        return options


NARROWING = RedisNarrowing()
