"""No side effect before a refusal, against the real server (issue 14).

Before preflight, ``provision --yes`` with a git-tracked ``.env.ai`` created the agent's
role and *then* refused to write the file: a live role nobody received stayed in the
database and the ledger. Every precondition is now checked before anything is created.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable

from tests.postgres.pgshop import Shop

from agentauth.config.envwrite import ENV_AI_MARKER
from agentauth.state.ledger import Ledger

Cli = Callable[..., tuple[int, str, str]]
SCHEMA_WIDE = """  DATABASE_URL:
    provider: postgres
    access: read-only
    schemas: [public]
"""


def _git(shop: Shop, *args: str) -> None:
    subprocess.run(["git", *args], cwd=shop.project, check=True, capture_output=True)


def _track_env_ai(shop: Shop) -> None:
    _git(shop, "init", "-q")
    # an .env.ai agentauth wrote before (its header), then force-added to git by mistake
    (shop.project / ".env.ai").write_text(f"# This file was {ENV_AI_MARKER}.\n", encoding="utf-8")
    _git(shop, "add", "-f", ".env.ai")


def test_a_tracked_env_ai_is_refused_before_the_role_exists(shop: Shop, cli: Cli) -> None:
    shop.write_policy(SCHEMA_WIDE)
    _track_env_ai(shop)
    code, _out, err = cli("provision", "--yes", "-C", str(shop.project))
    assert code == 2, err
    assert "git tracks .env.ai" in err
    assert shop.agent_roles() == []
    assert Ledger(shop.project).grants() == []


def test_the_dry_run_runs_the_same_preflight(shop: Shop, cli: Cli) -> None:
    shop.write_policy(SCHEMA_WIDE)
    _track_env_ai(shop)
    code, out, err = cli("provision", "--dry-run", "-C", str(shop.project))
    assert code == 2, err
    assert "git tracks .env.ai" in err
    assert "create role agentauth_" in out  # the plan is still shown in full
    assert shop.agent_roles() == []


def test_an_admin_without_createrole_is_refused_with_the_dbas_sql(shop: Shop, cli: Cli) -> None:
    with shop.su_conn() as conn:
        conn.execute(f'ALTER ROLE "{shop.owner}" NOCREATEROLE')
    shop.write_policy(SCHEMA_WIDE)
    code, _out, err = cli("provision", "--dry-run", "-C", str(shop.project))
    assert code == 1, err
    assert "CREATEROLE" in err
    assert "CREATE ROLE" in err  # the SQL a DBA can run instead
    assert shop.agent_roles() == []
    code, _out, err = cli("provision", "--yes", "-C", str(shop.project))
    assert code == 1, err
    assert shop.agent_roles() == []
    assert Ledger(shop.project).grants() == []
