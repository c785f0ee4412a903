"""What PUBLIC may do beyond the grants: warned in the plan, revoked under ``hardening: true``.

Each test proves the hole first (connected AS the scoped role) or that the plan names
it, then that hardening closes it for the scoped role (issues 14 and 15).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from pgshop import OWNER_PASSWORD, Shop, make_url

pytestmark = pytest.mark.postgres

Cli = Callable[..., tuple[int, str, str]]
EnvAi = Callable[[Path], dict[str, str]]
ALLOWLIST = """  DATABASE_URL:
    provider: postgres
    tables: ["public.orders", "public.products"]
"""


def _provision(shop: Shop, cli: Cli, read_env_ai: EnvAi) -> tuple[str, str]:
    code, out, err = cli("provision", "--yes", "-C", str(shop.project))
    assert code == 0, out + err
    return read_env_ai(shop.project)["DATABASE_URL"], out + err


def _as_superuser_admin(shop: Shop) -> None:
    """Point .env at the superuser for this database (only a superuser may revoke on lo_*)."""
    (shop.project / ".env").write_text(
        f"DATABASE_URL={make_url('postgres', None, shop.database)}\n", encoding="utf-8"
    )


def test_plan_warns_about_public_create_on_every_schema(shop: Shop, cli: Cli) -> None:
    with shop.owner_conn() as owner:
        owner.execute("CREATE SCHEMA scratch; GRANT CREATE ON SCHEMA scratch TO PUBLIC")
    shop.write_policy(ALLOWLIST)  # scratch is not in the policy: still warned
    code, out, err = cli("provision", "--dry-run", "-C", str(shop.project))
    assert code == 0, err
    assert "PUBLIC may CREATE in schema(s) scratch" in out + err


def test_hardening_revokes_public_create_everywhere(
    shop: Shop, cli: Cli, read_env_ai: EnvAi
) -> None:
    with shop.owner_conn() as owner:
        owner.execute("CREATE SCHEMA scratch; GRANT USAGE, CREATE ON SCHEMA scratch TO PUBLIC")
    shop.write_policy(ALLOWLIST, extra="hardening: true\n")
    url, output = _provision(shop, cli, read_env_ai)
    assert "PUBLIC may CREATE" not in output
    with psycopg.connect(url, autocommit=True) as agent:
        agent.execute("SET default_transaction_read_only = off")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            agent.execute("CREATE FUNCTION scratch.f() RETURNS int LANGUAGE sql AS 'SELECT 1'")


def test_security_definer_write_without_and_with_hardening(
    shop: Shop, cli: Cli, read_env_ai: EnvAi
) -> None:
    shop.write_policy(ALLOWLIST)
    url, output = _provision(shop, cli, read_env_ai)
    assert "SECURITY DEFINER functions the agent could call" in output
    assert "public.bump_total(i integer) owned by" in output
    with psycopg.connect(url, autocommit=True) as agent:
        agent.execute("SET default_transaction_read_only = off")
        agent.execute("SELECT public.bump_total(1)")  # the hole: a write through the owner
    with shop.owner_conn() as owner:
        assert owner.execute("SELECT total FROM orders WHERE id = 1").fetchone() == (121,)

    shop.write_policy(ALLOWLIST, extra="hardening: true\n")
    code, out, err = cli("revoke", "--all", "--yes", "-C", str(shop.project))
    assert code == 0, out + err
    url, output = _provision(shop, cli, read_env_ai)
    assert "SECURITY DEFINER functions the agent could call" not in output
    with psycopg.connect(url, autocommit=True) as agent:
        agent.execute("SET default_transaction_read_only = off")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            agent.execute("SELECT public.bump_total(1)")
    with shop.owner_conn() as owner:
        assert owner.execute("SELECT total FROM orders WHERE id = 1").fetchone() == (121,)


def test_large_objects_warned_then_refused_under_hardening(
    shop: Shop, cli: Cli, read_env_ai: EnvAi
) -> None:
    shop.write_policy(ALLOWLIST)
    url, output = _provision(shop, cli, read_env_ai)
    assert "create large objects even in its read-only session" in output
    with psycopg.connect(url, autocommit=True) as agent:  # the hole, in the read-only default
        assert agent.execute("SHOW default_transaction_read_only").fetchone() == ("on",)
        oid = agent.execute("SELECT lo_from_bytea(0, 'x')").fetchone()
        assert oid is not None
    assert cli("revoke", "--all", "--yes", "-C", str(shop.project))[0] == 0
    with shop.su_conn() as su:  # revoke dropped it (DROP OWNED)
        assert su.execute(
            "SELECT count(*) FROM pg_largeobject_metadata WHERE oid = %s", [oid[0]]
        ).fetchone() == (0,)

    _as_superuser_admin(shop)
    shop.write_policy(ALLOWLIST, extra="hardening: true\n")
    url, output = _provision(shop, cli, read_env_ai)
    assert "large objects" not in output
    with psycopg.connect(url, autocommit=True) as agent:
        for call in (
            "SELECT lo_from_bytea(0, 'x')",
            "SELECT lo_create(0)",
            "SELECT lo_creat(-1)",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                agent.execute(call)
        agent.execute("SET default_transaction_read_only = off")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            agent.execute("SELECT lo_from_bytea(0, 'x')")


def test_large_object_hardening_by_a_non_superuser_gives_the_dba_sql(shop: Shop, cli: Cli) -> None:
    shop.write_policy(ALLOWLIST, extra="hardening: true\n")
    code, out, err = cli("provision", "--dry-run", "-C", str(shop.project))
    assert code == 0, err
    assert "needs a superuser; a DBA can run" in out + err
    assert "REVOKE EXECUTE ON FUNCTION pg_catalog.lo_from_bytea(oid,bytea) FROM PUBLIC" in out + err


def test_plan_names_public_readable_tables_other_databases_and_trust(
    shop: Shop, cli: Cli, read_env_ai: EnvAi
) -> None:
    with shop.owner_conn() as owner:
        owner.execute(
            "CREATE SCHEMA pubdocs; GRANT USAGE ON SCHEMA pubdocs TO PUBLIC;"
            "CREATE TABLE pubdocs.notes (t text); INSERT INTO pubdocs.notes VALUES ('hi');"
            "GRANT SELECT ON pubdocs.notes TO PUBLIC"
        )
    shop.write_policy(ALLOWLIST)
    url, output = _provision(shop, cli, read_env_ai)
    assert "the policy does not name them: pubdocs.notes" in output
    with psycopg.connect(url, autocommit=True) as agent:  # the warning is true
        assert agent.execute("SELECT t FROM pubdocs.notes").fetchone() == ("hi",)
    assert "the agent can also connect to database(s)" in output and "postgres" in output
    with psycopg.connect(url, dbname="postgres", autocommit=True) as agent:
        assert agent.execute("SELECT 1").fetchone() == (1,)
    # This test server trusts local logins: the plan says scoping means nothing here.
    assert "accepts a login as" in output and "with NO password" in output
    assert "scoping means nothing until the server requires passwords" in output


def test_trust_probe_sends_no_password_and_reports_only_accepted_roles(shop: Shop) -> None:
    from agentauth.model import Secret
    from agentauth.providers.postgres.trust import passwordless_logins

    accepted = passwordless_logins(Secret(shop.admin_url), extra_roles=("postgres", "no_such_r"))
    assert shop.owner in accepted and "postgres" in accepted and "no_such_r" not in accepted
    closed = make_url("postgres", None, shop.database).replace(":5432", ":1")
    assert passwordless_logins(Secret(closed), timeout=1) == []


def test_doctor_fails_on_a_server_that_trusts_everyone(shop: Shop) -> None:
    from agentauth.service.doctor import diagnose

    shop.write_policy(ALLOWLIST)
    report = diagnose(shop.project)
    check = next(c for c in report.checks if c.id == "server-auth-DATABASE_URL")
    assert check.status == "fail" and "with NO password" in check.summary
    assert "scram-sha-256" in check.fix and report.failed
    assert OWNER_PASSWORD not in check.summary + check.fix


LATER_DEFINER = (
    "CREATE FUNCTION public.{name}() RETURNS void LANGUAGE sql SECURITY DEFINER "
    "AS 'DELETE FROM public.orders'"
)


def test_default_execute_covers_security_definer_functions_created_later(
    shop: Shop, cli: Cli, read_env_ai: EnvAi
) -> None:
    shop.write_policy(ALLOWLIST)
    url, _output = _provision(shop, cli, read_env_ai)
    with shop.owner_conn() as owner:  # created after the grant: the plan never saw it
        owner.execute(LATER_DEFINER.format(name="wipe_a"))
    with psycopg.connect(url, autocommit=True) as agent:  # the hole, as the scoped role
        agent.execute("SET default_transaction_read_only = off")
        agent.execute("SELECT public.wipe_a()")
    with shop.owner_conn() as owner:
        assert owner.execute("SELECT count(*) FROM orders").fetchone() == (0,)
        owner.execute("INSERT INTO orders (customer, total) VALUES ('ada', 1)")
    assert cli("revoke", "--all", "--yes", "-C", str(shop.project))[0] == 0

    shop.write_policy(ALLOWLIST, extra="hardening: [default-execute]\n")
    url, output = _provision(shop, cli, read_env_ai)
    # Only the named measure ran: the existing definer is still warned about.
    assert "SECURITY DEFINER functions the agent could call" in output
    with shop.owner_conn() as owner:
        owner.execute(LATER_DEFINER.format(name="wipe_b"))
    with psycopg.connect(url, autocommit=True) as agent:
        agent.execute("SET default_transaction_read_only = off")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            agent.execute("SELECT public.wipe_b()")
    with shop.owner_conn() as owner:
        assert owner.execute("SELECT count(*) FROM orders").fetchone() == (1,)


def test_a_list_of_measures_runs_only_those(shop: Shop, cli: Cli, read_env_ai: EnvAi) -> None:
    shop.write_policy(ALLOWLIST.replace("    tables:", "    hardening: [temp]\n    tables:"))
    url, output = _provision(shop, cli, read_env_ai)
    assert "PUBLIC may create temporary tables in this database" not in output
    assert "SECURITY DEFINER functions the agent could call" in output
    with psycopg.connect(url, autocommit=True) as agent:
        agent.execute("SET default_transaction_read_only = off")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            agent.execute("CREATE TEMP TABLE t (i int)")
        agent.execute("SELECT public.bump_total(1)")  # security-definer was not chosen


@pytest.mark.parametrize(
    ("extra", "entry", "expected"),
    [
        ("hardening: [tmp]\n", "", "unknown measure 'tmp'"),
        ("", "    hardening: [security-definr]\n", "did you mean 'security-definer'"),
        ("hardening: yes-please\n", "", "expected true, false or a list"),
    ],
)
def test_unknown_measures_are_refused_before_anything(
    shop: Shop, cli: Cli, extra: str, entry: str, expected: str
) -> None:
    shop.write_policy(ALLOWLIST + entry, extra=extra)
    code, out, err = cli("provision", "--dry-run", "-C", str(shop.project))
    assert code == 2 and expected in out + err
    assert shop.agent_roles() == []


def test_a_foreign_data_wrapper_with_public_usage_is_named_and_the_warning_is_true(
    shop: Shop, cli: Cli, read_env_ai: EnvAi
) -> None:
    with shop.su_conn() as su:
        su.execute("CREATE EXTENSION postgres_fdw")
        su.execute("GRANT USAGE ON FOREIGN DATA WRAPPER postgres_fdw TO PUBLIC")
    shop.write_policy(ALLOWLIST)
    url, output = _provision(shop, cli, read_env_ai)
    assert "PUBLIC may use foreign-data wrapper postgres_fdw" in output, output
    with psycopg.connect(url, autocommit=True) as agent:  # by design: what the plan said
        agent.execute("SET default_transaction_read_only = off")
        agent.execute(
            "CREATE SERVER elsewhere FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '127.0.0.1')"
        )
    assert cli("revoke", "--all", "--yes", "-C", str(shop.project))[0] == 0
    with shop.su_conn() as su:  # revoke dropped what the agent created (DROP OWNED)
        assert su.execute("SELECT count(*) FROM pg_foreign_server").fetchone() == (0,)
