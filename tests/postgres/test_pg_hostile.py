"""Hostile names, secrets in output, URL variants and audit --verify for Postgres."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from tests.findingkit import verify_finding
from tests.postgres.pgshop import OWNER_PASSWORD, Shop, make_url

from agentauth.providers.postgres import sql as pgsql
from agentauth.state import auditlog, paths
from agentauth.state.ledger import Ledger

pytestmark = pytest.mark.postgres
Cli = Callable[..., tuple[int, str, str]]
HOSTILE_SCHEMA = 'we"ird; DROP TABLE public.orders; --'
HOSTILE_TABLE = "t'); DELETE FROM public.orders; --"


def test_hostile_names_that_exist_are_quoted_not_executed(
    shop: Shop, cli: Cli, read_env_ai: Callable[[Path], dict[str, str]]
) -> None:
    from psycopg import sql

    with shop.owner_conn() as owner:
        owner.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(HOSTILE_SCHEMA)))
        owner.execute(
            sql.SQL("CREATE TABLE {} (v int)").format(sql.Identifier(HOSTILE_SCHEMA, HOSTILE_TABLE))
        )
        owner.execute(
            sql.SQL("INSERT INTO {} VALUES (42)").format(
                sql.Identifier(HOSTILE_SCHEMA, HOSTILE_TABLE)
            )
        )
    quoted = '"' + HOSTILE_SCHEMA.replace('"', '""') + '"."' + HOSTILE_TABLE + '"'
    shop.write_policy(
        "  DATABASE_URL:\n    provider: postgres\n"
        f"    schemas: ['{HOSTILE_SCHEMA}']\n"
        f"    tables: ['{quoted.replace(chr(39), chr(39) * 2)}']\n"
    )
    code, _out, err = cli("provision", "--yes", "-C", str(shop.project))
    assert code == 0, err
    with psycopg.connect(read_env_ai(shop.project)["DATABASE_URL"], autocommit=True) as conn:
        value = conn.execute(
            sql.SQL("SELECT v FROM {}").format(sql.Identifier(HOSTILE_SCHEMA, HOSTILE_TABLE))
        ).fetchone()
        assert value == (42,)
    with shop.owner_conn() as owner:
        assert owner.execute("SELECT count(*) FROM public.orders").fetchone() == (2,)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (f"    schemas: ['{HOSTILE_SCHEMA}']\n", "does not exist"),
        (f'    tables: ["public.{HOSTILE_TABLE}"]\n', "write schema.table"),
        ('    tables: [\'public."x""; DROP TABLE orders; --"\']\n', "does not exist"),
        ("    tables: [public." + "x" * 64 + "]\n", "longer than 63 bytes"),
        ("    schemas: ['" + "s" * 70 + "']\n", "longer than 63 bytes"),
        ('    columns: {public.orders: ["id; DROP TABLE orders"]}\n', "does not exist"),
        ("    access: read-write\n", "not supported"),
        ("    connection_limit: 0\n", "1 to 100"),
        ("    superuser: true\n", "unknown option"),
    ],
)
def test_bad_or_hostile_options_create_nothing(
    shop: Shop, cli: Cli, options: str, message: str
) -> None:
    shop.write_policy("  DATABASE_URL:\n    provider: postgres\n" + options)
    code, _out, err = cli("provision", "--yes", "-C", str(shop.project))
    assert code == 2, err
    assert message in err
    assert "agentauth.yaml:7: credentials.DATABASE_URL" in err  # the option key's own line
    assert err.count("error:") == 1
    assert shop.agent_roles() == [] and Ledger(shop.project).grants() == []
    with shop.owner_conn() as owner:
        assert owner.execute("SELECT count(*) FROM public.orders").fetchone() == (2,)


def test_no_secret_in_output_ledger_or_log(
    shop: Shop, cli: Cli, read_env_ai: Callable[[Path], dict[str, str]]
) -> None:
    shop.write_policy("  DATABASE_URL:\n    provider: postgres\n")
    stripe = next(
        line.split("=", 1)[1]
        for line in (shop.project / ".env").read_text().splitlines()
        if line.startswith("STRIPE")
    )
    transcript = []
    for args in (
        ("provision", "--dry-run"),
        ("provision", "--dry-run", "--format", "json"),
        ("provision", "--yes", "--format", "json"),
        ("provision", "--yes"),
        ("status",),
        ("status", "--format", "json"),
        ("log",),
        ("log", "--format", "json"),
        ("revoke", "--all", "--dry-run"),
        ("revoke", "--all", "--yes"),
    ):
        code, out, err = cli(*args, "-C", str(shop.project))
        assert code == 0, (args, err)
        transcript.append(out + err)
    generated = psycopg.conninfo.conninfo_to_dict(
        read_env_ai(shop.project).get("DATABASE_URL", "")
    ).get("password")
    state = paths.project_dir(shop.project)
    files = "".join(p.read_text() for p in state.iterdir() if p.is_file())
    everything = "".join(transcript) + files
    assert (state / "ledger.json").exists() and auditlog.log_path(shop.project).exists()
    from urllib.parse import quote

    for secret in (OWNER_PASSWORD, quote(OWNER_PASSWORD, safe=""), stripe):
        assert secret not in everything
    # The generated password was only ever in .env.ai (gone after revoke): take it from the log
    # of the provision JSON run instead: it must not be there either.
    assert generated is None or generated not in everything


def test_generated_password_never_printed(
    shop: Shop, cli: Cli, read_env_ai: Callable[[Path], dict[str, str]]
) -> None:
    shop.write_policy("  DATABASE_URL:\n    provider: postgres\n")
    code, out, err = cli("provision", "--yes", "-C", str(shop.project))
    assert code == 0
    password = psycopg.conninfo.conninfo_to_dict(read_env_ai(shop.project)["DATABASE_URL"])[
        "password"
    ]
    state = paths.project_dir(shop.project)
    files = "".join(p.read_text() for p in state.iterdir() if p.is_file())
    status = cli("status", "--format", "json", "-C", str(shop.project))[1]
    log = cli("log", "--format", "json", "-C", str(shop.project))[1]
    for text in (out, err, files, status, log):
        assert str(password) not in text
    assert oct((shop.project / ".env.ai").stat().st_mode & 0o777) == "0o600"
    assert "/.env.ai" in (shop.project / ".gitignore").read_text()
    assert "STRIPE_SECRET_KEY" not in read_env_ai(shop.project)
    assert read_env_ai(shop.project)["PORT"] == "3000"


def test_verify_reports_the_owner_and_the_agent(
    shop: Shop, cli: Cli, read_env_ai: Callable[[Path], dict[str, str]]
) -> None:
    from agentauth.model import Environment, Finding, Severity
    from agentauth.providers.base import VerifyContext
    from agentauth.providers.postgres.provider import PROVIDER

    def finding(url: str) -> Finding:
        return verify_finding("postgres", "postgres-url", "DATABASE_URL", url, Environment.DEV)

    ctx = VerifyContext(related={}, environ={})
    owner = PROVIDER.verify(finding(shop.admin_url), ctx)
    assert owner.status == "valid" and owner.severity is Severity.CRITICAL
    assert (
        "CREATEROLE" in owner.summary and "owner of 5 tables" in owner.summary
    )  # 4 tables + 1 view
    assert "write-production-data" in owner.capabilities
    assert OWNER_PASSWORD not in owner.summary + str(owner.details)

    shop.write_policy("  DATABASE_URL:\n    provider: postgres\n")
    assert cli("provision", "--yes", "-C", str(shop.project))[0] == 0
    agent = PROVIDER.verify(finding(read_env_ai(shop.project)["DATABASE_URL"]), ctx)
    assert agent.status == "valid" and "write-production-data" not in agent.capabilities
    assert "read-only" in agent.summary
    # The test server trusts every local login (pg_hba trust): the scoped role is only as
    # good as the server's authentication, so verify says so and rates it high, not low.
    assert "with NO password" in agent.summary and agent.severity is Severity.HIGH
    assert "postgres" in agent.details["passwordless_logins"]

    down = PROVIDER.verify(finding(make_url("x", "pw-123456", "db").replace(":5432", ":1")), ctx)
    assert down.status == "unknown" and "127.0.0.1:1" in down.summary


def test_scoped_url_keeps_host_port_params_and_form() -> None:
    admin = "postgres://own%40er:p%2Fw@db.example.com:6543/shop?sslmode=require&options=-c%20x"
    params = pgsql.parse_conninfo(admin)
    url = pgsql.scoped_conninfo(admin, params, "agentauth_a_1", "s3cr-t_", "claude-code")
    assert url == (
        "postgres://agentauth_a_1:s3cr-t_@db.example.com:6543/shop"
        "?sslmode=require&application_name=agentauth-claude-code"
    )
    dsn = "host=h port=5433 dbname=d user=u password=pw sslcert=/home/u/c.pem"
    scoped = pgsql.parse_conninfo(
        pgsql.scoped_conninfo(dsn, pgsql.parse_conninfo(dsn), "r", "x y'z", "a")
    )
    assert scoped == {
        "host": "h",
        "port": "5433",
        "dbname": "d",
        "user": "r",
        "password": "x y'z",
        "application_name": "agentauth-a",
    }
    multi = "postgresql://u:p@h1:5432,h2:5433/d"
    assert "@h1:5432,h2:5433/d" in pgsql.scoped_conninfo(
        multi, pgsql.parse_conninfo(multi), "r", "p2", "a"
    )


def test_role_names_are_safe_and_short() -> None:
    name = pgsql.role_name("A" * 40 + ".x-y", "deadbeef")
    assert len(name.encode()) <= 63 and name.startswith("agentauth_") and name.endswith("_deadbeef")
    assert set(name) <= set("abcdefghijklmnopqrstuvwxyz0123456789_")


def test_the_password_less_warning_survives_the_summary_cut(shop: Shop) -> None:
    """Issue 14: an owner's long summary was cut at 160 characters, ending "…; the…"."""
    from agentauth.model import Environment
    from agentauth.service.verify import verify_one

    finding = verify_finding("postgres", "postgres-url", "DATABASE_URL", shop.admin_url,
                             Environment.DEV)  # fmt: skip
    summary = verify_one(finding, {}, {}, timeout=5).summary
    assert "with NO password (trust auth): scoping means nothing until it requires passwords" in (
        summary
    )
    assert not summary.endswith("; the…") and OWNER_PASSWORD not in summary
