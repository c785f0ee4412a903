"""``revoke --scan`` on Redis: an ACL user left by a lost ledger is found and deleted.

``default`` and a look-alike user with the agent's prefix stay; the agent name is the
test's unique prefix, so users of other tests are never seen.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import redis
from tests.redis_acl.test_redis_cli import _cli, write_project

from agentauth.state.ledger import BACKUP_FILE, Ledger

pytestmark = pytest.mark.redis


def test_scan_deletes_the_orphaned_acl_user_only(redis_env: Any, project: Path) -> None:
    p = redis_env.prefix
    write_project(project, p)
    assert _cli(project, "provision", "--yes").returncode == 0
    line = next(x for x in (project / ".env.ai").read_text().splitlines()
                if x.startswith("REDIS_URL="))  # fmt: skip
    url = line.split("=", 1)[1]
    user = url.split("//", 1)[1].split(":", 1)[0]
    Ledger(project).path.unlink()
    Ledger(project).path.with_name(BACKUP_FILE).unlink(missing_ok=True)
    look_alike = f"agentauth_{p}_keep"
    redis_env.admin.acl_setuser(look_alike, enabled=False)

    dry = _cli(project, "revoke", "--scan", "--dry-run", "--format", "json")
    assert dry.returncode == 0, dry.stderr
    assert [(o["kind"], o["name"]) for o in json.loads(dry.stdout)["orphans"]] == [
        ("ACL user", user)
    ]
    gone = _cli(project, "revoke", "--scan", "--yes")
    assert gone.returncode == 0, gone.stderr
    assert f"removed ACL user {user}" in gone.stdout
    with pytest.raises(redis.exceptions.AuthenticationError):
        redis.Redis.from_url(url).get(f"{p}:cache:a")
    users = {u.decode() if isinstance(u, bytes) else u for u in redis_env.admin.acl_users()}
    assert look_alike in users and "default" in users and user not in users
