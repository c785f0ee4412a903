"""Fixtures for the Redis provider tests: unique key prefixes on the real server."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from tests.support.contexts import make_ctx

from agentauth.model import Action, CredentialPolicy

ADMIN_URL = "redis://127.0.0.1:6379/0"


@dataclass
class RedisEnv:
    """A key prefix owned by one test, and an admin client."""

    prefix: str
    admin: Any


@pytest.fixture
def redis_env(redis_available: None) -> Iterator[RedisEnv]:
    """A unique key prefix with a few keys inside and one outside; everything removed after."""
    prefix = f"aa_test_{secrets.token_hex(4)}"
    admin = redis.Redis.from_url(ADMIN_URL)
    admin.set(f"{prefix}:cache:a", "cached")
    admin.set(f"{prefix}:secret:b", "private")
    env = RedisEnv(prefix, admin)
    try:
        yield env
    finally:
        for key in admin.scan_iter(match=f"{prefix}:*"):
            admin.delete(key)
        for user in admin.acl_users():
            name = user.decode() if isinstance(user, bytes) else user
            if name.startswith(f"agentauth_{prefix}"):
                admin.acl_deluser(name)
        admin.close()


@pytest.fixture(name="make_ctx")
def _make_ctx_fixture(redis_env: RedisEnv) -> Any:
    """Build a context whose agent name is the test's prefix (so cleanup finds its users)."""

    def build(project: Path, entry: CredentialPolicy, source: dict[str, str] | None = None) -> Any:
        return make_ctx(project, entry, source or {"REDIS_URL": ADMIN_URL}, agent=redis_env.prefix)

    return build


@pytest.fixture(name="mk_entry")
def _entry_fixture() -> Any:
    """Build a redis provision entry."""

    def build(variable: str = "REDIS_URL", line: int = 5, **options: Any) -> CredentialPolicy:
        return CredentialPolicy(
            variable=variable, action=Action.PROVISION, provider="redis", options=options, line=line
        )

    return build
