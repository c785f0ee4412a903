"""Escape attempts AS the scoped Postgres role: each is refused, or documented "by design".

The table is the measurement behind docs/threat-model.md ("what remains"): every row is
run against the real server connected as the role ``provision`` made (allowlist of
public.orders and public.products, no hardening), and the counts in the threat model are
checked against this table so the document cannot drift from what was measured.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from pgshop import Shop

pytestmark = pytest.mark.postgres

THREAT_MODEL = Path(__file__).resolve().parents[2] / "docs" / "threat-model.md"
ALLOWLIST = """  DATABASE_URL:
    provider: postgres
    tables: ["public.orders", "public.products"]
"""


@dataclass(frozen=True)
class Escape:
    """One attempt: ``rw`` turns the read-only default off first (the agent may)."""

    what: str
    sql: str
    refused: bool = True
    """False: it works, by design, and the threat model says why."""
    rw: bool = False
    txn: bool = True


ESCAPES = (
    # writes and DDL
    Escape(
        "insert (read-only default)", "INSERT INTO public.orders (customer, total) VALUES ('e', 1)"
    ),
    Escape("insert", "INSERT INTO public.orders (customer, total) VALUES ('e', 1)", rw=True),
    Escape("update", "UPDATE public.orders SET total = 0", rw=True),
    Escape("delete", "DELETE FROM public.orders", rw=True),
    Escape("truncate", "TRUNCATE public.orders", rw=True),
    Escape("drop table", "DROP TABLE public.orders", rw=True),
    Escape("alter table", "ALTER TABLE public.orders ADD COLUMN x int", rw=True),
    Escape("create table in public (PG 15)", "CREATE TABLE public.t (i int)", rw=True),
    Escape(
        "create function in public",
        "CREATE FUNCTION public.f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        rw=True,
    ),
    Escape(
        "create trigger",
        "CREATE TRIGGER t BEFORE INSERT ON public.orders FOR EACH ROW "
        "EXECUTE FUNCTION suppress_redundant_updates_trigger()",
        rw=True,
    ),
    Escape("comment on table", "COMMENT ON TABLE public.orders IS 'x'", rw=True),
    Escape(
        "enable row level security", "ALTER TABLE public.orders ENABLE ROW LEVEL SECURITY", rw=True
    ),
    Escape("create schema", "CREATE SCHEMA evil", rw=True),
    Escape("create database", "CREATE DATABASE evil", rw=True, txn=False),
    Escape("create extension (trusted, pgcrypto)", "CREATE EXTENSION pgcrypto", rw=True),
    Escape("create extension file_fdw (untrusted)", "CREATE EXTENSION file_fdw", rw=True),
    Escape(
        "create event trigger",
        "CREATE EVENT TRIGGER e ON ddl_command_start "
        "EXECUTE FUNCTION pg_catalog.pg_event_trigger_ddl_commands()",
        rw=True,
    ),
    Escape("nextval on a sequence", "SELECT nextval('public.orders_id_seq')"),
    Escape("setval on a sequence", "SELECT setval('public.orders_id_seq', 1)", rw=True),
    Escape("temp table (read-only default)", "CREATE TEMP TABLE t (i int)"),
    # reads outside the scope
    Escape("table outside the allowlist", "SELECT * FROM public.customers"),
    Escape("other schema", "SELECT * FROM billing.invoices"),
    Escape(
        "locking read (FOR UPDATE needs UPDATE)", "SELECT * FROM public.orders FOR UPDATE", rw=True
    ),
    Escape("locking read FOR SHARE", "SELECT * FROM public.orders FOR SHARE", rw=True),
    Escape("lock table exclusively", "LOCK TABLE public.orders IN ACCESS EXCLUSIVE MODE"),
    Escape("password hashes", "SELECT rolpassword FROM pg_authid"),
    Escape("server settings (data_directory)", "SELECT current_setting('data_directory')"),
    # privilege escalation
    Escape("set role postgres", "SET ROLE postgres"),
    Escape("set role to the owner", "SET ROLE {owner}"),
    Escape("set session authorization", "SET SESSION AUTHORIZATION postgres"),
    Escape("set_config('role')", "SELECT set_config('role', 'postgres', false)"),
    Escape("alter role superuser", "ALTER ROLE {role} SUPERUSER", rw=True),
    Escape("alter role createrole", "ALTER ROLE {role} CREATEROLE", rw=True),
    Escape("alter role bypassrls", "ALTER ROLE {role} BYPASSRLS", rw=True),
    Escape("alter role connection limit", "ALTER ROLE {role} CONNECTION LIMIT -1", rw=True),
    Escape("alter role valid until", "ALTER ROLE {role} VALID UNTIL 'infinity'", rw=True),
    Escape("grant itself pg_write_all_data", "GRANT pg_write_all_data TO {role}", rw=True),
    Escape("grant itself the owner", "GRANT {owner} TO {role}", rw=True),
    Escape("create role", "CREATE ROLE evil LOGIN", rw=True),
    Escape("alter system", "ALTER SYSTEM SET log_statement = 'none'", txn=False, rw=True),
    Escape("superuser setting", "SET log_statement = 'none'"),
    # the server's files and programs
    Escape("COPY TO PROGRAM", "COPY (SELECT 1) TO PROGRAM 'id'"),
    Escape("COPY FROM PROGRAM", "COPY public.orders FROM PROGRAM 'id'", rw=True),
    Escape("COPY TO a server file", "COPY (SELECT 1) TO '/tmp/agentauth-escape'"),
    Escape("COPY FROM a server file", "COPY public.orders FROM '/etc/passwd'", rw=True),
    Escape("pg_read_file", "SELECT pg_read_file('/etc/passwd')"),
    Escape("pg_read_binary_file", "SELECT pg_read_binary_file('/etc/passwd')"),
    Escape("pg_ls_dir", "SELECT pg_ls_dir('.')"),
    Escape("pg_stat_file", "SELECT pg_stat_file('postgresql.conf')"),
    Escape("lo_import a server file", "SELECT lo_import('/etc/passwd')", rw=True),
    Escape("lo_export to a server file", "SELECT lo_export(1, '/tmp/agentauth-escape')", rw=True),
    Escape("reload the configuration", "SELECT pg_reload_conf()"),
    Escape("rotate the log", "SELECT pg_rotate_logfile()"),
    Escape("terminate the owner's session", "SELECT pg_terminate_backend({owner_pid})"),
    Escape("cancel the owner's query", "SELECT pg_cancel_backend({owner_pid})"),
    Escape(
        "dblink to the superuser (extension installed)",
        "SELECT dblink_connect('host=127.0.0.1 user=postgres dbname=postgres')",
    ),
    Escape(
        "dblink_connect_u",
        "SELECT dblink_connect_u('host=127.0.0.1 user=postgres dbname=postgres')",
    ),
    Escape(
        "create a foreign server (no FDW usage)",
        "CREATE SERVER evil FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '127.0.0.1')",
        rw=True,
    ),
    # by design: documented in docs/threat-model.md
    Escape(
        "temp table after read-only off (PUBLIC TEMP)",
        "CREATE TEMP TABLE t (i int)",
        refused=False,
        rw=True,
    ),
    Escape("large object in the read-only session", "SELECT lo_from_bytea(0, 'x')", refused=False),
    Escape(
        "SECURITY DEFINER function of the owner (PUBLIC EXECUTE)",
        "SELECT public.bump_total(1)",
        refused=False,
        rw=True,
    ),
    Escape("NOTIFY in the read-only session", "NOTIFY agentauth_escape, 'x'", refused=False),
    Escape("session advisory lock", "SELECT pg_advisory_lock(4242)", refused=False),
    Escape("turn the session defaults off", "SET statement_timeout = 0", refused=False),
    Escape(
        "change its own role defaults",
        "ALTER ROLE {role} SET statement_timeout = 0",
        refused=False,
        rw=True,
    ),
)


BOUNDARY = {"InsufficientPrivilege", "ReadOnlySqlTransaction", "ProhibitedSqlStatementAttempted"}


def counts() -> tuple[int, int, int]:
    """(attempted, refused, by design) of the table above."""
    refused = sum(1 for e in ESCAPES if e.refused)
    return len(ESCAPES), refused, len(ESCAPES) - refused


@pytest.fixture
def setting(
    shop: Shop,
    cli: Callable[..., tuple[int, str, str]],
    read_env_ai: Callable[[Path], dict[str, str]],
) -> tuple[str, dict[str, object]]:
    with shop.su_conn() as su:  # "dblink if present": present here, installed by a superuser
        su.execute("CREATE EXTENSION dblink")
        su.execute("CREATE EXTENSION postgres_fdw")
    shop.write_policy(ALLOWLIST)
    code, out, err = cli("provision", "--yes", "-C", str(shop.project))
    assert code == 0, out + err
    url = read_env_ai(shop.project)["DATABASE_URL"]
    return url, {"owner": shop.owner, "role": psycopg.conninfo.conninfo_to_dict(url)["user"]}


def test_every_escape_is_refused_or_by_design(
    setting: tuple[str, dict[str, object]], shop: Shop
) -> None:
    url, names = setting
    outcomes: dict[str, str] = {}
    with shop.owner_conn() as owner:  # a session of the owner, for the signal attempts
        names["owner_pid"] = owner.info.backend_pid
        for escape in ESCAPES:
            statement = escape.sql.format(**names)
            with psycopg.connect(url, autocommit=True) as agent:
                if escape.rw:
                    agent.execute("SET default_transaction_read_only = off")
                try:
                    if escape.txn:
                        with agent.transaction():
                            agent.execute(statement)
                    else:
                        agent.execute(statement)
                    outcomes[escape.what] = "worked"
                except psycopg.Error as exc:
                    outcomes[escape.what] = f"refused: {type(exc).__name__}"
        assert owner.execute("SELECT 1").fetchone() == (1,)  # never terminated
    wrong = {
        e.what: outcomes[e.what]
        for e in ESCAPES
        if outcomes[e.what].startswith("refused") is not e.refused
    }
    assert wrong == {}
    # Refused by the boundary itself, not by a typo or a missing object.
    reasons = {o.split(": ", 1)[1] for o in outcomes.values() if o.startswith("refused")}
    assert reasons <= BOUNDARY, reasons
    with shop.owner_conn() as owner:  # and nothing changed that the refusals protect
        assert owner.execute("SELECT count(*) FROM public.orders").fetchone() == (2,)
        assert owner.execute("SELECT count(*) FROM pg_roles WHERE rolname = 'evil'").fetchone() == (
            0,
        )


def test_the_threat_model_states_these_counts() -> None:
    attempted, refused, by_design = counts()
    text = THREAT_MODEL.read_text(encoding="utf-8")
    match = re.search(r"PostgreSQL: (\d+) attempted, (\d+) refused, (\d+) by design", text)
    assert match is not None
    assert tuple(int(g) for g in match.groups()) == (attempted, refused, by_design)
