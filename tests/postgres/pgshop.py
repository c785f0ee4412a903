"""Helpers and fixtures for the Postgres tests: a realistic owner (CREATEROLE, not superuser).

A managed database's master user is rarely a superuser: it has CREATEROLE and owns
the tables. Each test gets such an owner, its own database with a small shop
schema, a project whose ``.env`` holds the owner's URL, and a unique agent name so
that cleanup only ever touches roles this test created.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from psycopg import sql
from tests.support.postgres import admin, create_database

OWNER_PASSWORD = "owner-Pa55:w/rd@x%!" + secrets.token_hex(4)

SHOP_SQL = """
CREATE TABLE public.orders (id serial PRIMARY KEY, customer text NOT NULL, total int NOT NULL);
CREATE TABLE public.products (id serial PRIMARY KEY, name text NOT NULL, price int NOT NULL);
CREATE TABLE public.customers (id serial PRIMARY KEY, email text NOT NULL, card_last4 text);
CREATE VIEW public.order_totals AS SELECT customer, sum(total) AS total FROM public.orders
  GROUP BY customer;
INSERT INTO public.orders (customer, total) VALUES ('ada', 120), ('bob', 80);
INSERT INTO public.products (name, price) VALUES ('mug', 12), ('tee', 25);
INSERT INTO public.customers (email, card_last4) VALUES ('ada@example.com', '4242');
CREATE SCHEMA billing;
CREATE TABLE billing.invoices (id serial PRIMARY KEY, amount int NOT NULL);
INSERT INTO billing.invoices (amount) VALUES (999);
CREATE FUNCTION public.bump_total(i int) RETURNS void LANGUAGE sql SECURITY DEFINER
  AS 'UPDATE public.orders SET total = total + 1 WHERE id = i';
"""


@dataclass
class Shop:
    """One throwaway database owned by a CREATEROLE owner, and a project pointing at it."""

    database: str
    owner: str
    admin_url: str
    superuser_dsn: str
    project: Path
    agent: str

    def owner_conn(self, **kwargs: object) -> psycopg.Connection[tuple[object, ...]]:
        """Connect as the owner (the developer's own credential)."""
        return psycopg.connect(self.admin_url, autocommit=True, **kwargs)  # type: ignore[arg-type]

    def su_conn(self, dbname: str | None = None) -> psycopg.Connection[tuple[object, ...]]:
        """Connect as the superuser, to inspect what the owner cannot see."""
        return admin(self.superuser_dsn, dbname or self.database)  # type: ignore[no-any-return]

    def agent_roles(self) -> list[str]:
        """Roles of this test's agent that exist right now."""
        with self.su_conn("postgres") as conn:
            rows = conn.execute(
                "SELECT rolname FROM pg_roles WHERE rolname LIKE %s ORDER BY 1",
                [f"agentauth\\_{self.agent}\\_%"],
            ).fetchall()
        return [str(r[0]) for r in rows]

    def write_policy(self, credentials: str, *, extra: str = "") -> Path:
        """Write agentauth.yaml with this test's agent and the given credentials block."""
        path = self.project / "agentauth.yaml"
        path.write_text(
            f"version: 1\nagent: {self.agent}\nttl: 2h\n{extra}credentials:\n{credentials}",
            encoding="utf-8",
        )
        return path


def make_url(user: str, password: str | None, database: str, scheme: str = "postgresql") -> str:
    """Build a URL with the password percent-encoded, as developers' .env files hold them."""
    auth = quote(user, safe="") + (f":{quote(password, safe='')}" if password else "")
    return f"{scheme}://{auth}@127.0.0.1:5432/{database}?sslmode=disable"


@pytest.fixture
def shop(pg_admin_dsn: str, tmp_path: Path) -> Iterator[Shop]:
    """Create owner + database + shop schema + project; drop all of it afterwards."""
    suffix = secrets.token_hex(4)
    database = f"aa_pg_{suffix}"
    owner = f"aa_owner_{suffix}"
    agent = f"t{suffix}"
    with admin(pg_admin_dsn) as conn:
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN CREATEROLE PASSWORD {}").format(
                sql.Identifier(owner), sql.Literal(OWNER_PASSWORD)
            )
        )
    create_database(database, owner=owner, dsn=pg_admin_dsn)
    admin_url = make_url(owner, OWNER_PASSWORD, database, scheme="postgres")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(SHOP_SQL)
    project = tmp_path / "project"
    project.mkdir()
    (project / ".env").write_text(
        f"DATABASE_URL={admin_url}\nPORT=3000\nNODE_ENV=development\n"
        "STRIPE_SECRET_KEY=sk_live_51Hx" + secrets.token_hex(16) + "\n",
        encoding="utf-8",
    )
    shop = Shop(database, owner, admin_url, pg_admin_dsn, project, agent)
    try:
        yield shop
    finally:
        _cleanup(shop)


def _cleanup(shop: Shop) -> None:
    with admin(shop.superuser_dsn) as conn:
        roles = [
            r[0]
            for r in conn.execute(
                "SELECT rolname FROM pg_roles WHERE rolname LIKE %s OR rolname LIKE %s",
                [f"agentauth\\_{shop.agent}\\_%", f"aa\\_%{shop.agent[1:]}"],
            ).fetchall()
        ]
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s OR usename = ANY(%s)",
            [shop.database, roles],
        )
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(shop.database)))
        for role in sorted(roles, key=lambda r: r.startswith("aa_owner_")):
            with admin(shop.superuser_dsn, "postgres") as other:
                other.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def provision_also_runs(monkeypatch: pytest.MonkeyPatch, statement: str) -> None:
    """Make the provider's provisioning transaction end with ``statement`` (fault injection)."""
    from agentauth.providers.postgres import sql as postgres_sql

    real = postgres_sql.provision_statements

    def statements(*args: object, **kwargs: object) -> list[sql.Composable]:
        return [*real(*args, **kwargs), sql.SQL(statement)]  # type: ignore[arg-type]

    monkeypatch.setattr(postgres_sql, "provision_statements", statements)


@pytest.fixture
def read_env_ai() -> Callable[[Path], dict[str, str]]:
    """Parse a project's .env.ai the way python-dotenv would."""
    from agentauth.config.envfile import parse, values

    def read(project: Path) -> dict[str, str]:
        return values(parse((project / ".env.ai").read_text(encoding="utf-8")))

    return read
