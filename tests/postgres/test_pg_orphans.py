"""``revoke --scan`` on the real server: a role left by a lost ledger is found and removed.

The orphan is made the way it happens: provision, then lose the ledger (issue 15).
Look-alike roles (the agent's prefix without agentauth's 8 hex digits, another
agent's role) and roles another project's ledger holds are never touched.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from tests.postgres.pgshop import Shop

from agentauth.state.ledger import BACKUP_FILE, Ledger

pytestmark = pytest.mark.postgres

Cli = Callable[..., tuple[int, str, str]]
POLICY = "  DATABASE_URL:\n    provider: postgres\n    schemas: [public]\n"


def _provision_then_lose_the_ledger(shop: Shop, cli: Cli) -> tuple[str, str]:
    shop.write_policy(POLICY)
    code, _out, err = cli("provision", "--yes", "-C", str(shop.project))
    assert code == 0, err
    url = (shop.project / ".env.ai").read_text(encoding="utf-8")
    agent_url = next(line.split("=", 1)[1].strip("'") for line in url.splitlines()
                     if line.startswith("DATABASE_URL="))  # fmt: skip
    [role] = shop.agent_roles()
    ledger = Ledger(shop.project)
    ledger.path.unlink()
    ledger.path.with_name(BACKUP_FILE).unlink(missing_ok=True)
    assert Ledger(shop.project).grants() == []
    return role, agent_url


def _look_alike(shop: Shop) -> str:
    """A role a human made with the agent's prefix but not agentauth's exact shape."""
    name = f"agentauth_{shop.agent}_backup"
    with shop.su_conn() as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(name)))
    return name


def test_scan_finds_the_orphan_of_a_lost_ledger_and_removes_only_it(shop: Shop, cli: Cli) -> None:
    role, agent_url = _provision_then_lose_the_ledger(shop, cli)
    look_alike = _look_alike(shop)
    with psycopg.connect(agent_url, autocommit=True) as conn:  # the orphan still works
        assert conn.execute("SELECT count(*) FROM public.orders").fetchone() == (2,)

    code, out, err = cli("revoke", "--scan", "--dry-run", "-C", str(shop.project))
    assert code == 0, err
    assert role in out and look_alike not in out
    code, out, err = cli("revoke", "--scan", "--dry-run", "--format", "json",
                         "-C", str(shop.project))  # fmt: skip
    assert code == 0, err
    doc = json.loads(out)
    assert [(o["name"], o["kind"], o["variable"]) for o in doc["orphans"]] == [
        (role, "role", "DATABASE_URL")
    ]
    assert doc["removed"] == []
    assert shop.agent_roles() == sorted([role, look_alike])  # dry-run changed nothing

    code, out, err = cli("revoke", "--scan", "-C", str(shop.project))  # no terminal, no --yes
    assert code != 0 and "--yes" in err
    assert role in shop.agent_roles()

    code, out, err = cli("revoke", "--scan", "--yes", "-C", str(shop.project))
    assert code == 0, err
    assert f"removed role {role}" in out
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(agent_url, connect_timeout=5).close()
    assert shop.agent_roles() == [look_alike]  # the look-alike is untouched
    events = [e for e in _events(shop) if e.get("event") == "revoke"]
    assert events[-1]["reason"] == "orphan" and events[-1]["ok"] is True
    # The removal is on record, so a second scan finds nothing.
    code, out, err = cli("revoke", "--scan", "--dry-run", "-C", str(shop.project))
    assert code == 0 and role not in out and "No orphans" in err


def test_scan_leaves_roles_the_ledgers_hold(shop: Shop, cli: Cli, tmp_path: Path) -> None:
    shop.write_policy(POLICY)
    assert cli("provision", "--yes", "-C", str(shop.project))[0] == 0
    [role] = shop.agent_roles()
    # The same agent name provisioned from a second project on this machine.
    other = tmp_path / "other"
    shutil.copytree(shop.project, other, ignore=shutil.ignore_patterns(".env.ai"))
    assert cli("provision", "--yes", "-C", str(other))[0] == 0
    [other_role] = [r for r in shop.agent_roles() if r != role]

    code, out, err = cli("revoke", "--scan", "--yes", "-C", str(shop.project))
    assert code == 0, err
    assert "No orphans" in err and role not in out and other_role not in out
    assert shop.agent_roles() == sorted([role, other_role])
    assert cli("revoke", "--all", "--yes", "-C", str(other))[0] == 0


def _events(shop: Shop) -> list[dict[str, object]]:
    from agentauth.state import auditlog

    return list(auditlog.read(shop.project))
