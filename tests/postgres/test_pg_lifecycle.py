"""Provision -> status -> revoke with a CREATEROLE (non-superuser) owner, on the real server."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from tests.postgres.pgshop import OWNER_PASSWORD, Shop, make_url, provision_also_runs
from tests.support.postgres import admin

from agentauth.model import GrantStatus
from agentauth.state.ledger import Ledger

pytestmark = pytest.mark.postgres

Cli = Callable[..., tuple[int, str, str]]
SCHEMA_WIDE = """  DATABASE_URL:
    provider: postgres
    access: read-only
    schemas: [public]
"""


def _no_trace_of(shop: Shop, role: str) -> None:
    with shop.su_conn() as conn:
        assert conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone() is None
        assert conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE usename = %s", [role]
        ).fetchone() == (0,)
        # No ACL anywhere in this database still names the role (tables, schemas, defaults).
        acls = conn.execute(
            "SELECT count(*) FROM pg_class WHERE relacl::text LIKE %s "
            "UNION ALL SELECT count(*) FROM pg_namespace WHERE nspacl::text LIKE %s "
            "UNION ALL SELECT count(*) FROM pg_default_acl WHERE defaclacl::text LIKE %s "
            "UNION ALL SELECT count(*) FROM pg_database WHERE datacl::text LIKE %s",
            [f"%{role}%"] * 4,
        ).fetchall()
        assert [a[0] for a in acls] == [0, 0, 0, 0]


def test_schema_wide_grant_covers_tables_created_later(
    shop: Shop, cli: Cli, read_env_ai: Callable[[Path], dict[str, str]]
) -> None:
    shop.write_policy(SCHEMA_WIDE)
    code, _out, err = cli("provision", "--yes", "-C", str(shop.project))
    assert code == 0, err
    url = read_env_ai(shop.project)["DATABASE_URL"]
    with shop.owner_conn() as owner:
        owner.execute("CREATE TABLE public.later (id int); INSERT INTO public.later VALUES (7)")
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute("SELECT id FROM public.later").fetchone() == (7,)
        assert conn.execute("SELECT count(*) FROM public.order_totals").fetchone() == (2,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT * FROM billing.invoices")


def test_column_allowlist(
    shop: Shop, cli: Cli, read_env_ai: Callable[[Path], dict[str, str]]
) -> None:
    shop.write_policy(
        '  DATABASE_URL:\n    provider: postgres\n    columns: {"public.customers": [id, email]}\n'
    )
    code, _out, err = cli("provision", "--yes", "-C", str(shop.project))
    assert code == 0, err
    with psycopg.connect(read_env_ai(shop.project)["DATABASE_URL"], autocommit=True) as conn:
        assert conn.execute("SELECT id, email FROM customers").fetchone() == (1, "ada@example.com")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT card_last4 FROM customers")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT * FROM orders")


def test_revoke_terminates_sessions_and_leaves_nothing(
    shop: Shop, cli: Cli, read_env_ai: Callable[[Path], dict[str, str]]
) -> None:
    shop.write_policy(SCHEMA_WIDE)
    assert cli("provision", "--yes", "-C", str(shop.project))[0] == 0
    url = read_env_ai(shop.project)["DATABASE_URL"]
    [role] = shop.agent_roles()
    session = psycopg.connect(url, autocommit=True)
    assert session.execute("SELECT 1").fetchone() == (1,)
    grant = Ledger(shop.project).grants()[0]

    code, out, err = cli("revoke", grant.id, "--yes", "-C", str(shop.project))
    assert code == 0, err
    assert f"revoked {grant.id}" in out and "terminated 1 session" in out
    with pytest.raises(psycopg.OperationalError):
        session.execute("SELECT 1")
    session.close()
    _no_trace_of(shop, role)
    assert Ledger(shop.project).get(grant.id).status is GrantStatus.REVOKED  # type: ignore[union-attr]
    assert "DATABASE_URL" not in read_env_ai(shop.project)  # the dead value is gone too
    # Idempotent: a second revoke of the same grant succeeds and changes nothing.
    code, out, _err = cli("revoke", grant.id, "--yes", "-C", str(shop.project))
    assert code == 0 and "already revoked" in out


def test_second_provision_keeps_and_changed_policy_rotates(
    shop: Shop, cli: Cli, read_env_ai: Callable[[Path], dict[str, str]]
) -> None:
    shop.write_policy(SCHEMA_WIDE)
    assert cli("provision", "--yes", "-C", str(shop.project))[0] == 0
    first_url = read_env_ai(shop.project)["DATABASE_URL"]
    [first] = Ledger(shop.project).grants()

    code, out, err = cli("provision", "--yes", "-C", str(shop.project))
    assert code == 0, err
    assert f"kept    {first.id}" in out
    assert read_env_ai(shop.project)["DATABASE_URL"] == first_url
    assert len(Ledger(shop.project).grants()) == 1

    shop.write_policy(SCHEMA_WIDE.replace("schemas: [public]", "schemas: [public, billing]"))
    code, out, err = cli("provision", "--yes", "-C", str(shop.project))
    assert code == 0, err
    grants = {g.id: g for g in Ledger(shop.project).grants()}
    assert grants[first.id].status is GrantStatus.REVOKED
    [new] = [g for g in grants.values() if g.status is GrantStatus.ACTIVE]
    assert f"revoked {first.id} (rotated)" in out
    assert shop.agent_roles() == [new.objects["role"]]
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(first_url, autocommit=True).close()
    with psycopg.connect(read_env_ai(shop.project)["DATABASE_URL"], autocommit=True) as conn:
        assert conn.execute("SELECT amount FROM billing.invoices").fetchone() == (999,)


def test_failure_after_role_before_env_ai_rolls_the_role_back(
    shop: Shop, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agentauth.config import envwrite
    from agentauth.errors import StateError

    def broken(*_args: object, **_kwargs: object) -> None:
        raise StateError("disk full (injected); free some space and run provision again")

    shop.write_policy(SCHEMA_WIDE)
    with monkeypatch.context() as patch:
        patch.setattr(envwrite, "write_env_ai", broken)
        code, _out, err = cli("provision", "--yes", "-C", str(shop.project))
    assert code == 2 and "disk full (injected)" in err
    assert not (shop.project / ".env.ai").exists()
    [grant] = Ledger(shop.project).grants()
    # the role was created, then rolled back when .env.ai could not be written
    assert grant.status is GrantStatus.REVOKED
    assert shop.agent_roles() == []
    _no_trace_of(shop, str(grant.objects["role"]))

    code, _out, err = cli("revoke", "--all", "--yes", "-C", str(shop.project))
    assert code == 0, err


def test_failure_inside_the_transaction_creates_nothing(
    shop: Shop, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    provision_also_runs(monkeypatch, "SELECT 1/0")
    shop.write_policy(SCHEMA_WIDE)
    code, _out, err = cli("provision", "--yes", "-C", str(shop.project))
    assert code == 1 and "rolled back" in err
    assert shop.agent_roles() == []
    [grant] = Ledger(shop.project).grants()
    assert grant.status is GrantStatus.PENDING and grant.error
    code, out, _err = cli("revoke", "--all", "--yes", "-C", str(shop.project))
    assert code == 0 and "already gone" in out


def test_admin_without_createrole_gets_sql_for_a_dba(
    shop: Shop, cli: Cli, pg_admin_dsn: str
) -> None:
    from psycopg import sql

    weak = f"aa_weak_{shop.agent[1:]}"
    with admin(pg_admin_dsn) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(weak)))
    (shop.project / ".env").write_text(f"DATABASE_URL={make_url(weak, None, shop.database)}\n")
    shop.write_policy(SCHEMA_WIDE)
    code, _out, err = cli("provision", "--yes", "-C", str(shop.project))
    assert code == 1
    assert "neither CREATEROLE nor SUPERUSER" in err
    assert "CREATE ROLE" in err and "GRANT SELECT" in err  # the SQL for a DBA
    assert shop.agent_roles() == [] and Ledger(shop.project).grants() == []


def test_unreachable_server_is_a_clear_error(shop: Shop, cli: Cli) -> None:
    (shop.project / ".env").write_text(
        "DATABASE_URL="
        + make_url("someone", OWNER_PASSWORD, "app").replace("127.0.0.1:5432", "127.0.0.1:1")
        + "\n"
    )
    shop.write_policy(SCHEMA_WIDE)
    code, out, err = cli("provision", "--dry-run", "-C", str(shop.project))
    assert code == 1
    assert "cannot connect to PostgreSQL at 127.0.0.1:1" in err
    assert OWNER_PASSWORD not in out + err


def test_status_and_log_json(shop: Shop, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    shop.write_policy(SCHEMA_WIDE)
    assert cli("provision", "--yes", "-C", str(shop.project))[0] == 0
    code, out, _err = cli("status", "--format", "json", "-C", str(shop.project))
    assert code == 0
    [item] = json.loads(out)["grants"]
    assert item["agent"] == shop.agent and item["provider"] == "postgres"
    assert item["objects"]["databases"] == [shop.database]
    assert 0 < item["expires_in_seconds"] <= 7200
    code, out, _err = cli("status", "-C", str(shop.project))
    assert item["id"] in out and "active" in out and "in 1h59m" in out
    monkeypatch.setenv("COLUMNS", "80")  # a normal terminal: one block per grant, no folding
    code, out, _err = cli("status", "-C", str(shop.project))
    lines = out.splitlines()
    assert lines[0].startswith(f"{item['id']}  active  {shop.agent}  postgres  DATABASE_URL")
    assert lines[1].startswith("  scope:   read-only") and "expires: in 1h59m" in lines[2]
    assert cli("revoke", "--agent", shop.agent, "--yes", "-C", str(shop.project))[0] == 0
    code, out, _err = cli("log", "--format", "json", "--agent", shop.agent, "-C", str(shop.project))
    events = [e["event"] for e in json.loads(out)]
    assert events == ["provision", "drop", "revoke"]  # STRIPE_SECRET_KEY is withheld, logged
    assert cli("status", "--format", "json", "-C", str(shop.project))[1].count('"id"') == 0
    assert cli("status", "--all", "--format", "json", "-C", str(shop.project))[1].count('"id"') == 1
