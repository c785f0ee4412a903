"""An open ``default`` user and database numbers: what Redis ACLs cannot scope (issue 15).

The local test server runs with ``user default on nopass ~* &* +@all`` (Redis's own
default), so the hole is real here: the tests prove it, then that plan and doctor say so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import redis

from agentauth.model import Secret
from agentauth.providers import kit
from agentauth.providers.redis import PROVIDER, SCHEMES, doctor_check, open_default_user

pytestmark = pytest.mark.redis


def test_plan_warns_loudly_about_an_open_default_user(
    redis_env: Any, project: Path, make_ctx: Any, mk_entry: Any
) -> None:
    p = redis_env.prefix
    entry = mk_entry(keys=[f"{p}:cache:*"])
    plan = PROVIDER.plan(entry, make_ctx(project, entry))
    warning = next(w for w in plan.warnings if "NO password as the 'default' user" in w)
    assert "ACL SETUSER default on resetpass" in warning  # the fix comes with it
    # The warning is true: with no credentials at all the secret key is readable.
    bare = redis.Redis(host="127.0.0.1", port=6379)
    assert bare.get(f"{p}:secret:b") == b"private"
    bare.close()


def test_probe_sends_nothing_and_a_closed_port_is_not_open() -> None:
    url = kit.parse_server_url(Secret("redis://127.0.0.1:1/0"), SCHEMES, "Redis")
    assert open_default_user(url, timeout=0.5) is False
    assert doctor_check(Secret("redis://:pw@127.0.0.1:1/0")) is None


def test_doctor_fails_on_an_open_default_user(redis_env: Any, project: Path) -> None:
    from agentauth.service.doctor import diagnose

    (project / ".env").write_text("REDIS_URL=redis://:admin-pw-9x@127.0.0.1:6379/0\n")
    (project / "agentauth.yaml").write_text(
        f"version: 1\nagent: {redis_env.prefix}\ncredentials:\n"
        f'  REDIS_URL:\n    provider: redis\n    keys: ["{redis_env.prefix}:cache:*"]\n'
    )
    report = diagnose(project)
    check = next(c for c in report.checks if c.id == "server-auth-REDIS_URL")
    assert check.status == "fail" and "NO password" in check.summary
    assert "resetpass" in check.fix and "admin-pw-9x" not in check.summary + check.fix
    assert report.failed


def test_a_non_zero_database_is_scoped_as_all_databases(
    redis_env: Any, project: Path, make_ctx: Any, mk_entry: Any
) -> None:
    p = redis_env.prefix
    entry = mk_entry(keys=[f"{p}:cache:*"])
    ctx = make_ctx(project, entry, {"REDIS_URL": "redis://127.0.0.1:6379/3"})
    plan = PROVIDER.plan(entry, ctx)
    assert "all databases" in plan.grant.scope
    assert any("may SELECT every database" in w for w in plan.warnings)
    applied = PROVIDER.apply(plan, ctx)
    agent = redis.Redis.from_url(applied.env["REDIS_URL"].reveal(), retry=None)
    try:
        agent.execute_command("SELECT", "0")  # the scope statement is true
        assert agent.get(f"{p}:cache:a") == b"cached"
    finally:
        agent.close()
        PROVIDER.revoke(applied.grant, ctx)
