"""Escape attempts AS the scoped Redis ACL user: refused (NOPERM), or documented "by design".

The counts are checked against docs/threat-model.md ("what remains").
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import redis

from agentauth.providers.redis import PROVIDER

pytestmark = pytest.mark.redis

THREAT_MODEL = Path(__file__).resolve().parents[2] / "docs" / "threat-model.md"

# (what, command words, refused?) — {p} is the test's key prefix.
ESCAPES: tuple[tuple[str, tuple[str, ...], bool], ...] = (
    ("write inside the pattern", ("SET", "{p}:cache:a", "x"), True),
    ("delete inside the pattern", ("DEL", "{p}:cache:a"), True),
    ("expire a key", ("EXPIRE", "{p}:cache:a", "1"), True),
    ("read outside the pattern", ("GET", "{p}:secret:b"), True),
    ("dump outside the pattern", ("DUMP", "{p}:secret:b"), True),
    ("KEYS", ("KEYS", "*"), True),
    ("FLUSHALL", ("FLUSHALL",), True),
    ("FLUSHDB", ("FLUSHDB",), True),
    ("CONFIG GET", ("CONFIG", "GET", "*"), True),
    ("CONFIG SET", ("CONFIG", "SET", "dir", "/tmp"), True),
    ("ACL LIST", ("ACL", "LIST"), True),
    ("ACL SETUSER itself", ("ACL", "SETUSER", "{user}", "+@all"), True),
    ("EVAL a script", ("EVAL", "return 1", "0"), True),
    (
        "FUNCTION LOAD",
        ("FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('f', function() return 1 end)"),
        True,
    ),
    ("MODULE LOAD", ("MODULE", "LOAD", "/tmp/x.so"), True),
    ("SAVE", ("SAVE",), True),
    ("BGSAVE", ("BGSAVE",), True),
    ("DEBUG", ("DEBUG", "SLEEP", "0"), True),
    ("SHUTDOWN", ("SHUTDOWN", "NOSAVE"), True),
    ("CLIENT LIST", ("CLIENT", "LIST"), True),
    ("CLIENT KILL", ("CLIENT", "KILL", "TYPE", "normal"), True),
    ("REPLICAOF", ("REPLICAOF", "127.0.0.1", "1"), True),
    ("MIGRATE", ("MIGRATE", "127.0.0.1", "1", "{p}:cache:a", "0", "100"), True),
    ("PUBLISH", ("PUBLISH", "x", "y"), True),
    ("MONITOR", ("MONITOR",), True),
    # by design: documented
    (
        "SCAN shows key names outside the pattern",
        ("SCAN", "0", "MATCH", "{p}:*", "COUNT", "1000"),
        False,
    ),
    ("DBSIZE counts every key", ("DBSIZE",), False),
    ("bypass the ACL user through the open default user", ("AUTH", "default", "anything"), False),
)


def counts() -> tuple[int, int, int]:
    """(attempted, refused, by design)."""
    refused = sum(1 for _w, _c, r in ESCAPES if r)
    return len(ESCAPES), refused, len(ESCAPES) - refused


def test_every_escape_is_refused_or_by_design(
    redis_env: Any, project: Path, make_ctx: Any, mk_entry: Any
) -> None:
    p = redis_env.prefix
    entry = mk_entry(keys=[f"{p}:cache:*"])
    ctx = make_ctx(project, entry)
    applied = PROVIDER.apply(PROVIDER.plan(entry, ctx), ctx)
    user = applied.grant.objects["user"]
    wrong: dict[str, str] = {}
    try:
        for what, words, refused in ESCAPES:
            agent = redis.Redis.from_url(applied.env["REDIS_URL"].reveal(), retry=None)
            try:
                agent.execute_command(*(w.format(p=p, user=user) for w in words))
                if refused:
                    wrong[what] = "worked"
            except redis.exceptions.NoPermissionError:
                if not refused:
                    wrong[what] = "refused"
            except redis.exceptions.ResponseError as exc:
                # DEBUG and MODULE are also disabled by the server's own configuration.
                if not refused or "command not allowed" not in str(exc):
                    wrong[what] = f"ResponseError: {exc}"
            except redis.exceptions.RedisError as exc:
                wrong[what] = f"{type(exc).__name__}: {exc}"
            finally:
                agent.close()
        assert wrong == {}
        assert redis_env.admin.get(f"{p}:cache:a") == b"cached"
    finally:
        PROVIDER.revoke(applied.grant, ctx)


def test_the_threat_model_states_these_counts() -> None:
    text = THREAT_MODEL.read_text(encoding="utf-8")
    match = re.search(r"Redis: (\d+) attempted, (\d+) refused, (\d+) by design", text)
    assert match is not None
    assert tuple(int(g) for g in match.groups()) == counts()
