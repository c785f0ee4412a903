"""Delegated Postgres logins, against the real server, connected AS the child role.

The parent is provisioned the ordinary way (its own role on three tables); the child
asks for two of them and gets a role of its own that the server refuses the third,
which the parent still reads. Exceeding the parent creates nothing; revoking the child
leaves the parent; revoking the parent drops the child (cascade through the ledger).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from tests.delegation.kit import delegate, provision_parent
from tests.postgres.pgshop import Shop, read_env_ai, shop

from agentauth.model import GrantStatus
from agentauth.service import delegate as service
from agentauth.state import auditlog
from agentauth.state.ledger import Ledger

__all__ = ["read_env_ai", "shop"]
pytestmark = pytest.mark.postgres
Cli = Callable[..., tuple[int, str, str]]
POLICY = """  DATABASE_URL:
    provider: postgres
    access: read-only
    tables: ["public.orders", "public.products", "public.customers"]
"""


def _parent(shop: Shop, cli: Cli, read: Callable[[Path], dict[str, str]]) -> dict[str, str]:
    """Provision the parent; return its session environment (as ``agentauth run`` sets it)."""
    shop.write_policy(POLICY)
    env = provision_parent(cli, shop.project, shop.agent)
    assert env["DATABASE_URL"] == read(shop.project)["DATABASE_URL"]
    return env


def _delegate(
    shop: Shop, env: dict[str, str], *only: str, to: str = "reviewer"
) -> service.Delegation:
    return delegate(shop.project, env, *only, to=to)


def _reads(url: str, table: str) -> bool:
    """True when the login behind ``url`` may SELECT from ``table`` (the server decides)."""
    with psycopg.connect(url, autocommit=True) as conn:
        try:
            conn.execute(f"SELECT count(*) FROM public.{table}").fetchone()
        except psycopg.errors.InsufficientPrivilege:
            return False
    return True


def _valid_until(shop: Shop, role: str) -> object:
    with shop.su_conn("postgres") as conn:
        row = conn.execute(
            "SELECT rolvaliduntil FROM pg_roles WHERE rolname = %s", [role]
        ).fetchone()
    assert row is not None, f"role {role} does not exist"
    return row[0]


def test_the_child_role_reads_only_its_subset_and_the_parent_keeps_its_own(
    shop: Shop, cli: Cli, read_env_ai: Callable[[Path], dict[str, str]]
) -> None:
    env = _parent(shop, cli, read_env_ai)
    (parent,) = [g for g in Ledger(shop.project).grants() if g.status is GrantStatus.ACTIVE]
    made = _delegate(shop, env, "DATABASE_URL=orders,public.products")
    child_url = made.env["DATABASE_URL"]
    assert child_url != env["DATABASE_URL"]
    with psycopg.connect(child_url, autocommit=True) as conn:
        user = conn.execute("SELECT current_user").fetchone()
    role = str(user[0]) if user else ""
    assert role.startswith(f"agentauth_{shop.agent}__reviewer_"), role
    assert _reads(child_url, "orders") and _reads(child_url, "products")
    assert not _reads(child_url, "customers"), "the child must be refused a parent-only table"
    assert _reads(env["DATABASE_URL"], "customers"), "the parent still reads it"
    assert _valid_until(shop, role) <= _valid_until(shop, parent.objects["role"])  # type: ignore[operator]
    (grant,) = made.grants
    assert grant.parent == parent.id and grant.agent == f"{shop.agent}>reviewer"
    assert grant.expires is not None and parent.expires is not None
    assert grant.expires <= parent.expires and grant.objects["role"] == role
    event = [e for e in auditlog.read(shop.project) if e["event"] == "delegate"][-1]
    assert event["agent"] == f"{shop.agent}>reviewer" and event["parent"] == parent.id


def test_a_table_beyond_the_parent_is_refused_before_any_role_exists(
    shop: Shop, cli: Cli, read_env_ai: Callable[[Path], dict[str, str]]
) -> None:
    env = _parent(shop, cli, read_env_ai)
    roles, grants = shop.agent_roles(), Ledger(shop.project).grants()
    with pytest.raises(Exception, match=r"table billing\.invoices exceeds what t"):
        _delegate(shop, env, "DATABASE_URL=orders,billing.invoices")
    assert shop.agent_roles() == roles and Ledger(shop.project).grants() == grants
    first = _delegate(shop, env, "DATABASE_URL=orders")
    with pytest.raises(Exception, match=r"table public\.products exceeds"):
        _delegate(shop, {**env, **first.env}, "DATABASE_URL=products", to="linter")


def test_revoking_the_child_leaves_the_parent_and_revoking_the_parent_drops_every_child(
    shop: Shop, cli: Cli, read_env_ai: Callable[[Path], dict[str, str]]
) -> None:
    env = _parent(shop, cli, read_env_ai)
    (parent,) = [g for g in Ledger(shop.project).grants() if g.status is GrantStatus.ACTIVE]
    child = _delegate(shop, env, "DATABASE_URL=orders")
    code, out, err = cli("revoke", child.grants[0].id, "--yes", "-C", str(shop.project))
    assert code == 0, out + err
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(child.env["DATABASE_URL"]).close()
    assert _reads(env["DATABASE_URL"], "customers")
    again = _delegate(shop, env, "DATABASE_URL=orders,products")
    nested = _delegate(shop, {**env, **again.env}, "DATABASE_URL=orders", to="linter")
    assert nested.chain == f"{shop.agent}>reviewer>linter" and _reads(
        nested.env["DATABASE_URL"], "orders"
    )
    assert not _reads(nested.env["DATABASE_URL"], "products")
    code, out, err = cli("revoke", parent.id, "--yes", "-C", str(shop.project))
    assert code == 0, out + err
    statuses = {g.id: g.status for g in Ledger(shop.project).grants()}
    assert statuses[again.grants[0].id] is GrantStatus.REVOKED
    assert statuses[nested.grants[0].id] is GrantStatus.REVOKED
    assert shop.agent_roles() == [], "every descendant role is dropped with the parent"
