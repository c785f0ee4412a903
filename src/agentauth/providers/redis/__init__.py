"""The Redis provider (a package: ACL rules, the server connection, the provider itself).

The names the rest of agentauth and the tests use are re-exported here, so
``agentauth.providers.redis`` stays the module the registry and ``doctor`` import.
"""

from __future__ import annotations

from agentauth.providers.redis.acl import MASK, acl_rules, describe_acl
from agentauth.providers.redis.connection import (
    SCHEMES,
    connect,
    doctor_check,
    open_default_user,
    open_default_warning,
)
from agentauth.providers.redis.provider import PROVIDER, RedisProvider

__all__ = [
    "MASK",
    "PROVIDER",
    "SCHEMES",
    "RedisProvider",
    "acl_rules",
    "connect",
    "describe_acl",
    "doctor_check",
    "open_default_user",
    "open_default_warning",
]
