"""Provider subsets, offline: whatever a child's login may touch, its parent's may too.

Properties (hypothesis) over generated parents and requests: a narrowing either
refuses, naming each excess, or returns options whose every table / key / name is
within the parent's. The servers themselves are exercised in the test_delegate_* files.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentauth.model import Action, CredentialPolicy, Grant, GrantId, GrantStatus
from agentauth.providers.base import ExceedsParent
from agentauth.providers.mysql.delegate import NARROWING as MYSQL
from agentauth.providers.postgres.delegate import NARROWING as POSTGRES
from agentauth.providers.postgres.delegate import may_read
from agentauth.providers.redis.delegate import NARROWING as REDIS
from agentauth.providers.subset import glob_covers

NOW = datetime(2026, 1, 1, tzinfo=UTC)
PARENT = Grant(GrantId("x-parent"), "a", "x", "V", NOW, None, GrantStatus.ACTIVE, "s")
ALPHABET = "ab:*?"


def _entry(provider: str, **options: object) -> CredentialPolicy:
    return CredentialPolicy(variable="V", action=Action.PROVISION, provider=provider,
                            options=options, line=1)  # fmt: skip


def _matches(pattern: str, name: str) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, name) is not None


def _instances(pattern: str, fill: str) -> list[str]:
    """Names ``pattern`` matches: each wildcard replaced by '', one char, or ``fill``."""
    out = [""]
    for c in pattern:
        options = ["", "a", fill] if c == "*" else ["a", ":"] if c == "?" else [c]
        out = [o + x for o in out for x in options][:64]
    return out


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(ALPHABET, min_size=1, max_size=6), st.text(ALPHABET, min_size=1, max_size=6),
       st.text("ab:", max_size=3))  # fmt: skip
def test_a_covered_glob_matches_nothing_its_parent_does_not(
    parent: str, child: str, fill: str
) -> None:
    if not glob_covers(parent, child):
        return
    for name in _instances(child, fill):
        assert _matches(parent, name), (parent, child, name)


NAMES = st.sampled_from(["orders", "products", "customers", "invoices"])
SCHEMAS = st.sampled_from(["public", "billing"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(SCHEMAS, NAMES), max_size=4), st.lists(SCHEMAS, min_size=1, max_size=2),
       st.lists(st.tuples(SCHEMAS, NAMES), min_size=1, max_size=4))  # fmt: skip
def test_postgres_child_tables_are_parent_tables(
    tables: list[tuple[str, str]], schemas: list[str], wanted: list[tuple[str, str]]
) -> None:
    parent = {"schemas": schemas, "tables": [list(t) for t in tables], "columns": {}}
    try:
        child = POSTGRES.narrow(
            _entry("postgres", **parent), PARENT, [f"{s}.{t}" for s, t in wanted]
        )
    except ExceedsParent as exc:
        assert any(not may_read(parent, s, t) for s, t in wanted)
        assert all(item.startswith("table ") for item in exc.items)
        return
    assert child["tables"] and all(may_read(parent, s, t) for s, t in child["tables"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["shop.orders", "shop.users", "shop.*", "crm.leads"]), min_size=1),
       st.lists(st.sampled_from(["shop.orders", "shop.users", "shop.*", "crm.leads", "crm.*"]),
                min_size=1))  # fmt: skip
def test_mysql_child_tables_are_parent_tables(held: list[str], wanted: list[str]) -> None:
    try:
        child = MYSQL.narrow(_entry("mysql", tables=held), PARENT, wanted)
    except ExceedsParent:
        assert any(w not in held and f"{w.split('.')[0]}.*" not in held for w in wanted)
        return
    for label in child["tables"]:
        db = label.split(".")[0]
        assert label in held or f"{db}.*" in held


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(ALPHABET, min_size=1, max_size=5), min_size=1, max_size=3),
       st.lists(st.text(ALPHABET, min_size=1, max_size=5), min_size=1, max_size=3))  # fmt: skip
def test_redis_child_patterns_are_inside_parent_patterns(
    held: list[str], wanted: list[str]
) -> None:
    entry = _entry("redis", access="read-only", keys=held, channels=["news"])
    try:
        child = REDIS.narrow(entry, PARENT, wanted)
    except ExceedsParent:
        return
    assert child["channels"] == [] and child["access"] == "read-only"
    assert all(any(glob_covers(h, k) for h in held) for k in child["keys"])


def test_refusals_name_what_exceeds_the_parent() -> None:
    with pytest.raises(ExceedsParent) as info:
        POSTGRES.narrow(_entry("postgres", schemas=["public"], tables=[["public", "orders"]]),
                        PARENT, ["orders", "billing.invoices", "customers"])  # fmt: skip
    assert info.value.items == ("table billing.invoices", "table public.customers")
    with pytest.raises(ExceedsParent, match="key pattern cache"):
        REDIS.narrow(_entry("redis", access="read-only", keys=["cache:*"]), PARENT, ["cache"])
    assert glob_covers("cache:*", "cache:users:*") and not glob_covers("cache:u*", "cache:*")
    assert glob_covers("s3:Get*", "s3:getobject", fold=True) and not glob_covers("s3:Get*", "s3:*")
