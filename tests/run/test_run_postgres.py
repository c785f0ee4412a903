"""A real Postgres query through `agentauth run`: the child connects as the scoped role only."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from tests.support.cli import Runner

pytestmark = pytest.mark.postgres

POLICY = """version: 1
agent: claude-code
source: .env
output: .env.ai
ttl: 1h
credentials:
  DATABASE_URL:
    provider: postgres
    access: read-only
    schemas: [public]
"""

QUERY = """
import json, os, psycopg
out = {}
with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
    out["user"] = conn.execute("SELECT current_user").fetchone()[0]
    out["rows"] = conn.execute("SELECT count(*) FROM orders").fetchone()[0]
    try:
        conn.execute("DELETE FROM orders")
        out["delete"] = "allowed"
    except (psycopg.errors.InsufficientPrivilege, psycopg.errors.ReadOnlySqlTransaction):
        out["delete"] = "refused"
print(json.dumps(out))
"""


def test_scoped_postgres_query_through_run(
    cli: Runner, project: Path, pg_admin_dsn: str, pg_database: str
) -> None:
    admin = pg_admin_dsn.rsplit("/", 1)[0] + f"/{pg_database}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("CREATE TABLE orders (id int PRIMARY KEY, total int)")
        conn.execute("INSERT INTO orders VALUES (1, 10), (2, 20), (3, 30)")
    (project / "agentauth.yaml").write_text(POLICY, encoding="utf-8")
    (project / ".env").write_text(f"DATABASE_URL={admin}\n", encoding="utf-8")
    provisioned = cli("provision", "--yes", cwd=project)
    assert provisioned.returncode == 0, provisioned.stderr
    try:
        # The developer's own (superuser) URL is in the parent environment too: run must
        # replace it with the scoped one from .env.ai.
        result = cli(
            "run", "-v", "--", sys.executable, "-c", QUERY, cwd=project,
            env={"DATABASE_URL": admin},
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        seen = json.loads(result.stdout)
        assert seen["user"] != "postgres"
        assert seen["user"].startswith("agentauth")
        assert seen["rows"] == 3
        assert seen["delete"] == "refused"
        assert "DATABASE_URL" in result.stderr  # dropped from the parent, by name
        with psycopg.connect(admin, autocommit=True) as conn:
            assert conn.execute("SELECT count(*) FROM orders").fetchone() == (3,)
    finally:
        revoked = cli("revoke", "--all", "--yes", cwd=project)
        assert revoked.returncode == 0, revoked.stderr
    with psycopg.connect(admin, autocommit=True) as conn:
        gone = conn.execute(
            sql.SQL("SELECT count(*) FROM pg_roles WHERE rolname = {}").format(
                sql.Literal(seen["user"])
            )
        ).fetchone()
        assert gone == (0,)
