"""Proof of scope: connected AS the provisioned role, only the allowed reads succeed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from tests.postgres.pgshop import Shop

pytestmark = pytest.mark.postgres

ALLOWLIST = """  DATABASE_URL:
    provider: postgres
    access: read-only
    tables: ["public.orders", "public.products"]
"""


def _provision(shop: Shop, cli: Callable[..., tuple[int, str, str]]) -> None:
    code, _out, err = cli("provision", "--yes", "-C", str(shop.project))
    assert code == 0, err


def _refused(conn: psycopg.Connection[tuple[object, ...]], statement: str) -> str:
    with pytest.raises(psycopg.Error) as info:
        conn.execute(statement)
    return type(info.value).__name__


@pytest.fixture
def agent_url(
    shop: Shop,
    cli: Callable[..., tuple[int, str, str]],
    read_env_ai: Callable[[Path], dict[str, str]],
) -> str:
    shop.write_policy(ALLOWLIST)
    _provision(shop, cli)
    return read_env_ai(shop.project)["DATABASE_URL"]


def test_allowed_select_works(agent_url: str, shop: Shop) -> None:
    with psycopg.connect(agent_url, autocommit=True) as conn:
        user = conn.execute("SELECT current_user").fetchone()
        assert user is not None and str(user[0]).startswith(f"agentauth_{shop.agent}_")
        assert conn.execute("SELECT count(*) FROM public.orders").fetchone() == (2,)
        assert conn.execute("SELECT name FROM products ORDER BY id").fetchall() == [
            ("mug",),
            ("tee",),
        ]
        name = conn.execute("SHOW application_name").fetchone()
        assert name == (f"agentauth-{shop.agent}",)


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO public.orders (customer, total) VALUES ('eve', 1)",
        "UPDATE public.orders SET total = 0",
        "DELETE FROM public.orders",
        "TRUNCATE public.orders",
        "DROP TABLE public.orders",
        "CREATE TABLE public.evil (i int)",
        "SELECT * FROM public.customers",
        "SELECT * FROM public.order_totals",
        "SELECT * FROM billing.invoices",
        "SELECT nextval('public.orders_id_seq')",
        "COPY public.orders TO PROGRAM 'touch /tmp/agentauth-pwned'",
        "SELECT public.bump_total(1)",
    ],
)
def test_writes_ddl_and_other_reads_are_refused(agent_url: str, statement: str) -> None:
    with psycopg.connect(agent_url, autocommit=True) as conn:
        _refused(conn, statement)


def test_turning_read_only_off_does_not_allow_writes(agent_url: str, shop: Shop) -> None:
    with psycopg.connect(agent_url, autocommit=True) as conn:
        conn.execute("SET default_transaction_read_only = off")
        for statement in (
            "INSERT INTO public.orders (customer, total) VALUES ('eve', 1)",
            "UPDATE public.products SET price = 0",
            "DELETE FROM public.orders",
            "TRUNCATE public.products",
            "CREATE TABLE public.evil (i int)",
        ):
            assert _refused(conn, statement) == "InsufficientPrivilege", statement
    with shop.owner_conn() as owner:
        assert owner.execute("SELECT count(*), sum(total) FROM orders").fetchone() == (2, 200)
        assert owner.execute("SELECT count(*) FROM products WHERE price = 0").fetchone() == (0,)


def test_role_cannot_extend_or_empower_itself(agent_url: str) -> None:
    with psycopg.connect(agent_url, autocommit=True) as conn:
        role = str(conn.execute("SELECT current_user").fetchone()[0])  # type: ignore[index]
        conn.execute("SET default_transaction_read_only = off")
        for clause in (
            "VALID UNTIL 'infinity'",
            "SUPERUSER",
            "CREATEDB",
            "CREATEROLE",
            "BYPASSRLS",
            "CONNECTION LIMIT -1",
        ):
            _refused(conn, f'ALTER ROLE "{role}" WITH {clause}')
        # NOTE: a role may change its own session defaults (ALTER ROLE self SET ...); that is
        # why the settings are defence in depth and privileges are the boundary (see above).
        _refused(conn, f'GRANT pg_write_all_data TO "{role}"')


def test_temporary_tables_stay_possible_without_hardening(agent_url: str) -> None:
    with psycopg.connect(agent_url, autocommit=True) as conn:
        _refused(conn, "CREATE TEMP TABLE t (i int)")  # read-only default
        conn.execute("SET default_transaction_read_only = off")
        conn.execute("CREATE TEMP TABLE t (i int)")  # PUBLIC's TEMP: documented, not a boundary


def test_hardening_revokes_public_temp(
    shop: Shop,
    cli: Callable[..., tuple[int, str, str]],
    read_env_ai: Callable[[Path], dict[str, str]],
) -> None:
    shop.write_policy(ALLOWLIST, extra="hardening: true\n")
    _provision(shop, cli)
    with psycopg.connect(read_env_ai(shop.project)["DATABASE_URL"], autocommit=True) as conn:
        conn.execute("SET default_transaction_read_only = off")
        assert _refused(conn, "CREATE TEMP TABLE t (i int)") == "InsufficientPrivilege"


def test_role_attributes_and_settings(agent_url: str, shop: Shop) -> None:
    from agentauth.providers.postgres.sql import scram_verifier

    password = psycopg.conninfo.conninfo_to_dict(agent_url)["password"]
    role = psycopg.conninfo.conninfo_to_dict(agent_url)["user"]
    with shop.su_conn() as conn:
        row = conn.execute(
            "SELECT rolsuper, rolcreatedb, rolcreaterole, rolinherit, rolreplication, "
            "rolbypassrls, rolcanlogin, rolconnlimit, rolvaliduntil - now(), rolpassword "
            "FROM pg_authid WHERE rolname = %s",
            [role],
        ).fetchone()
        assert row is not None
        assert row[:8] == (False, False, False, False, False, False, True, 3)
        remaining = row[8].total_seconds()  # type: ignore[union-attr]
        assert 2 * 3600 - 120 < remaining <= 2 * 3600
        stored = str(row[9])
        assert stored.startswith("SCRAM-SHA-256$4096:")
        salt_b64 = stored.split(":", 1)[1].split("$", 1)[0]
        import base64

        # The stored verifier is exactly the one derived from the password in .env.ai.
        assert scram_verifier(str(password), base64.b64decode(salt_b64)) == stored
        settings = conn.execute(
            "SELECT unnest(setconfig) FROM pg_db_role_setting s JOIN pg_roles r "
            "ON r.oid = s.setrole WHERE r.rolname = %s",
            [role],
        ).fetchall()
        flat = {str(s[0]) for s in settings}
        assert "default_transaction_read_only=on" in flat
        assert "statement_timeout=30s" in flat
        assert "idle_session_timeout=900s" in flat
