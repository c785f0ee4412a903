"""Proof of scope on the real Redis: the agent's ACL user reads its pattern and nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import redis
from tests.findingkit import verify_finding

from agentauth.errors import ConfigError, PermissionDenied
from agentauth.model import (
    Environment,
    Finding,
    GrantStatus,
    Severity,
)
from agentauth.providers import get
from agentauth.providers.base import VerifyContext
from agentauth.providers.redis import PROVIDER, describe_acl

pytestmark = pytest.mark.redis


def _provision(ctx: Any, entry: Any) -> tuple[Any, Any, redis.Redis]:
    plan = PROVIDER.plan(entry, ctx)
    applied = PROVIDER.apply(plan, ctx)
    client = redis.Redis.from_url(applied.env[entry.variable].reveal(), retry=None)
    return plan, applied, client


def _refused(client: redis.Redis, *command: str) -> None:
    with pytest.raises(redis.exceptions.NoPermissionError):
        client.execute_command(*command)


def _finding(url: str, environment: Environment = Environment.LIVE) -> Finding:
    return verify_finding("redis", "redis-url", "REDIS_URL", url, environment)


def test_registry_returns_the_redis_provider() -> None:
    assert get("redis") is PROVIDER


def test_read_only_user_reads_its_pattern_and_nothing_else(
    redis_env: Any, project: Path, make_ctx: Any, mk_entry: Any
) -> None:
    p = redis_env.prefix
    entry = mk_entry(keys=[f"{p}:cache:*"])
    ctx = make_ctx(project, entry)
    _plan, applied, agent = _provision(ctx, entry)
    assert applied.grant.status is GrantStatus.ACTIVE
    try:
        assert agent.get(f"{p}:cache:a") == b"cached"
        assert agent.ping() is True
        _refused(agent, "SET", f"{p}:cache:a", "x")
        _refused(agent, "DEL", f"{p}:cache:a")
        _refused(agent, "FLUSHALL")
        _refused(agent, "FLUSHDB")
        _refused(agent, "CONFIG", "GET", "*")
        _refused(agent, "GET", f"{p}:secret:b")
        _refused(agent, "KEYS", "*")
        _refused(agent, "ACL", "LIST")
        _refused(agent, "EVAL", "return 1", "0")
        _refused(agent, "SUBSCRIBE", "anything")
    finally:
        agent.close()
    assert redis_env.admin.get(f"{p}:cache:a") == b"cached"
    user = applied.grant.objects["user"]
    acl = redis_env.admin.acl_getuser(user)
    assert acl["keys"] == [f"%R~{p}:cache:*"]
    assert acl["categories"] == ["-@all", "+@read"]
    assert PROVIDER.revoke(applied.grant, ctx).ok


def test_read_write_user_writes_its_pattern_but_cannot_flush(
    redis_env: Any, project: Path, make_ctx: Any, mk_entry: Any
) -> None:
    p = redis_env.prefix
    entry = mk_entry(access="read-write", keys=[f"{p}:cache:*"], channels=[f"{p}:events"])
    ctx = make_ctx(project, entry)
    _plan, applied, agent = _provision(ctx, entry)
    try:
        assert agent.set(f"{p}:cache:new", "v") is True
        assert agent.delete(f"{p}:cache:new") == 1
        assert agent.publish(f"{p}:events", "hi") == 0
        _refused(agent, "PUBLISH", "other-channel", "hi")
        _refused(agent, "SET", f"{p}:secret:b", "x")
        _refused(agent, "FLUSHALL")
        _refused(agent, "CONFIG", "SET", "maxmemory", "1")
    finally:
        agent.close()
    assert redis_env.admin.get(f"{p}:secret:b") == b"private"
    assert PROVIDER.revoke(applied.grant, ctx).ok


def test_revoke_kills_the_open_client_and_deletes_the_user(
    redis_env: Any, project: Path, make_ctx: Any, mk_entry: Any
) -> None:
    p = redis_env.prefix
    entry = mk_entry(keys=[f"{p}:cache:*"])
    ctx = make_ctx(project, entry)
    _plan, applied, agent = _provision(ctx, entry)
    user = applied.grant.objects["user"]
    assert agent.get(f"{p}:cache:a") == b"cached"  # the connection is open now
    assert any(c["user"] == user for c in redis_env.admin.client_list())
    result = PROVIDER.revoke(applied.grant, ctx)
    assert result.ok, result.message
    assert not any(c["user"] == user for c in redis_env.admin.client_list())
    assert redis_env.admin.acl_getuser(user) is None
    with pytest.raises(redis.exceptions.RedisError):
        agent.get(f"{p}:cache:a")
    agent.close()
    again = PROVIDER.revoke(applied.grant, ctx)
    assert again.ok, again.message


def test_dry_run_masks_the_password_and_creates_nothing(
    redis_env: Any, project: Path, make_ctx: Any, mk_entry: Any
) -> None:
    entry = mk_entry(keys=[f"{redis_env.prefix}:cache:*"])
    ctx = make_ctx(project, entry)
    plan = PROVIDER.plan(entry, ctx)
    password = plan.private["password"].reveal()
    shown = repr(plan) + " ".join(s.summary + " " + s.detail for s in plan.steps)
    assert password not in shown
    assert ">***" in plan.steps[0].detail
    assert f"%R~{redis_env.prefix}:cache:*" in plan.steps[0].detail
    assert redis_env.admin.acl_getuser(plan.grant.objects["user"]) is None


def test_a_non_admin_url_gets_commands_for_an_admin(
    redis_env: Any, project: Path, make_ctx: Any, mk_entry: Any
) -> None:
    p = redis_env.prefix
    entry = mk_entry(keys=[f"{p}:cache:*"])
    _plan, applied, agent = _provision(make_ctx(project, entry), entry)
    agent.close()
    weak_url = applied.env["REDIS_URL"].reveal()
    weak_ctx = make_ctx(project, entry, {"REDIS_URL": weak_url})
    with pytest.raises((PermissionDenied, ConfigError)) as info:
        plan = PROVIDER.plan(entry, weak_ctx)
        PROVIDER.apply(plan, weak_ctx)
    password = unquote(urlsplit(weak_url).password or "")
    assert password not in str(info.value)
    assert PROVIDER.revoke(applied.grant, make_ctx(project, entry)).ok


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        ({}, "keys: name the key patterns"),
        ({"keys": ["a b"]}, "plain glob"),
        ({"keys": ["~x"]}, "plain glob"),
        ({"keys": ["x"], "channels": ["&c"]}, "plain glob"),
        ({"keys": ["x"], "access": "admin"}, "not one of"),
        ({"keys": ["x"], "ttl": "1h"}, "unknown option 'ttl'"),
    ],
)
def test_bad_options_name_the_key_and_line(
    options: dict[str, Any], needle: str, mk_entry: Any
) -> None:
    with pytest.raises(ConfigError) as info:
        PROVIDER.validate(mk_entry(line=14, **options))
    assert "line 14: credentials." in str(info.value)
    assert needle in str(info.value)


def test_verify_the_default_user_is_critical_and_the_scoped_one_is_low(
    redis_env: Any, project: Path, make_ctx: Any, mk_entry: Any
) -> None:
    ctx = VerifyContext(related={}, environ={}, timeout=5.0)
    admin = PROVIDER.verify(_finding("redis://127.0.0.1:6379/0"), ctx)
    assert admin.status == "valid"
    assert admin.severity is Severity.CRITICAL
    assert set(admin.capabilities) == {"read-write-cache", "flush-cache"}
    assert "no password" in admin.summary
    dev = PROVIDER.verify(_finding("redis://127.0.0.1:6379/0", Environment.DEV), ctx)
    assert dev.severity is Severity.CRITICAL  # the audit keeps a dev finding's own severity
    entry = mk_entry(keys=[f"{redis_env.prefix}:cache:*"])
    _plan, applied, agent = _provision(make_ctx(project, entry), entry)
    agent.close()
    scoped = PROVIDER.verify(_finding(applied.env["REDIS_URL"].reveal()), ctx)
    assert scoped.status == "valid"
    assert scoped.capabilities == ()
    assert "restricted" in scoped.summary
    assert PROVIDER.revoke(applied.grant, make_ctx(project, entry)).ok
    gone = PROVIDER.verify(_finding(applied.env["REDIS_URL"].reveal()), ctx)
    assert gone.status == "invalid"
    assert applied.env["REDIS_URL"].reveal() not in gone.summary
    down = PROVIDER.verify(_finding("redis://127.0.0.1:1/0"), ctx)
    assert down.status == "unknown"


def test_describe_acl_maps_rules_to_capabilities() -> None:
    rw = describe_acl(
        "app",
        {"flags": ["on"], "categories": ["-@all", "+@read", "+@write"], "keys": ["~a:*"]},
    )
    assert rw.severity is Severity.HIGH
    assert rw.capabilities == ("read-write-cache",)
    ro = describe_acl(
        "ro",
        {"flags": ["on"], "categories": ["-@all", "+@read"], "keys": ["%R~a:*"]},
    )
    assert ro.severity is Severity.LOW
    assert ro.capabilities == ()
