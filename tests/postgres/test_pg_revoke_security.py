"""Revocation never hands the agent's objects to the admin (issue 15, High #1).

Where a schema lets PUBLIC CREATE, the read-only role can plant a SECURITY DEFINER
function there. ``REASSIGN OWNED BY agent TO admin`` would make it the admin's, so
any role could then run it with the admin's rights. Revoke must drop it instead.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from tests.postgres.pgshop import Shop, provision_also_runs
from tests.support.postgres import create_database, drop_database

from agentauth.state.ledger import Ledger

pytestmark = pytest.mark.postgres

Cli = Callable[..., tuple[int, str, str]]
SCHEMA_WIDE = """  DATABASE_URL:
    provider: postgres
    access: read-only
    schemas: [public]
"""
PLANT = """
CREATE FUNCTION public.wipe() RETURNS void LANGUAGE sql SECURITY DEFINER
  AS 'DELETE FROM public.orders';
GRANT EXECUTE ON FUNCTION public.wipe() TO PUBLIC;
"""


def _open_public_create(shop: Shop) -> None:
    """What PostgreSQL <= 14 does by default (and upgraded databases keep)."""
    with shop.owner_conn() as owner:
        owner.execute("GRANT CREATE ON SCHEMA public TO PUBLIC")


def test_revoke_drops_a_planted_security_definer_function(
    shop: Shop, cli: Cli, read_env_ai: Callable[[Path], dict[str, str]]
) -> None:
    _open_public_create(shop)
    shop.write_policy(SCHEMA_WIDE)
    code, _out, err = cli("provision", "--yes", "-C", str(shop.project))
    assert code == 0, err
    url = read_env_ai(shop.project)["DATABASE_URL"]
    with psycopg.connect(url, autocommit=True) as agent:
        agent.execute("SET default_transaction_read_only = off")
        agent.execute(PLANT)
        agent.execute("SELECT lo_from_bytea(0, 'planted')")
        # As the agent the function cannot delete anything: the agent has no DELETE.
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            agent.execute("SELECT public.wipe()")

    grant = Ledger(shop.project).grants()[0]
    code, out, err = cli("revoke", grant.id, "--yes", "-C", str(shop.project))
    assert code == 0, out + err
    assert "function public.wipe()" in out  # what was dropped is listed

    bystander = f"aa_by_{shop.agent[1:]}"
    with shop.su_conn() as su:
        su.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(bystander)))
        su.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(sql.Identifier(bystander)))
        assert su.execute("SELECT count(*) FROM pg_proc WHERE proname = 'wipe'").fetchone() == (0,)
        assert su.execute(
            "SELECT count(*) FROM pg_largeobject_metadata l JOIN pg_roles r "
            "ON r.oid = l.lomowner WHERE r.rolname = %s",
            [shop.owner],
        ).fetchone() == (0,)
    try:
        with (
            psycopg.connect(
                shop.superuser_dsn, user=bystander, dbname=shop.database, autocommit=True
            ) as other,
            pytest.raises(psycopg.errors.UndefinedFunction),
        ):
            other.execute("SELECT public.wipe()")
        with shop.owner_conn() as owner:
            assert owner.execute("SELECT count(*) FROM public.orders").fetchone() == (2,)
    finally:
        with shop.su_conn() as su:
            su.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(bystander)))
            su.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(bystander)))


def test_manual_revoke_sql_never_reassigns() -> None:
    from agentauth.providers.postgres import revoke

    text = revoke.manual_sql("agentauth_x_1", ["app"])
    assert "REASSIGN" not in text and 'DROP OWNED BY "agentauth_x_1"' in text


def test_a_connection_lost_during_apply_says_the_role_may_exist(
    shop: Shop, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    provision_also_runs(monkeypatch, "SELECT pg_terminate_backend(pg_backend_pid())")
    shop.write_policy(SCHEMA_WIDE)
    code, out, err = cli("provision", "--yes", "-C", str(shop.project))
    assert code == 1
    [grant] = Ledger(shop.project).grants()
    assert "may exist" in err and f"agentauth revoke {grant.id}" in err
    assert "nothing was created" not in err
    code, out, err = cli("revoke", "--all", "--yes", "-C", str(shop.project))
    assert code == 0, out + err
    assert shop.agent_roles() == []


def test_the_provision_event_names_the_created_objects(
    shop: Shop, cli: Cli, read_env_ai: Callable[[Path], dict[str, str]]
) -> None:
    import json

    from agentauth.state.auditlog import log_path

    shop.write_policy(SCHEMA_WIDE)
    assert cli("provision", "--yes", "-C", str(shop.project))[0] == 0
    [role] = shop.agent_roles()
    events = [json.loads(line) for line in log_path(shop.project).read_text().splitlines()]
    [event] = [e for e in events if e["event"] == "provision"]
    assert event["objects"]["role"] == role and event["objects"]["databases"] == [shop.database]
    password = psycopg.conninfo.conninfo_to_dict(read_env_ai(shop.project)["DATABASE_URL"])[
        "password"
    ]
    assert password not in log_path(shop.project).read_text()


def test_pointing_the_admin_url_at_another_database_rotates(
    shop: Shop, cli: Cli, pg_admin_dsn: str
) -> None:
    shop.write_policy(SCHEMA_WIDE)
    assert cli("provision", "--yes", "-C", str(shop.project))[0] == 0
    [first] = Ledger(shop.project).grants()
    other = f"{shop.database}_b"
    create_database(other, owner=shop.owner, dsn=pg_admin_dsn)
    try:
        env = (shop.project / ".env").read_text(encoding="utf-8")
        (shop.project / ".env").write_text(
            env.replace(f"/{shop.database}?", f"/{other}?"), encoding="utf-8"
        )
        code, out, err = cli("provision", "--yes", "-C", str(shop.project))
        assert code == 0, out + err
        assert f"kept    {first.id}" not in out
        grants = {g.id: g for g in Ledger(shop.project).grants()}
        [new] = [g for g in grants.values() if g.id != first.id]
        assert other in new.scope
    finally:
        cli("revoke", "--all", "--yes", "-C", str(shop.project))
        drop_database(other, dsn=pg_admin_dsn)
