"""Keep or rotate: the digest holds the admin credential's endpoint and database (issue 15 Low).

Pointing the admin URL at another server or database must rotate (the kept grant lives
on the old server); a new password for the same place must keep. libpq's ``key=value``
DSNs are held to the same rule as URLs.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fakeprovider import FakeProvider

from agentauth.config.policy import parse_policy
from agentauth.service import provision as svc

POLICY = "agent: bot\nttl: 1h\ncredentials:\n  DATABASE_URL:\n    provider: fake\n"


def _run(project: Path, admin: str) -> svc.ProvisionResult:
    (project / ".env").write_text(f"DATABASE_URL={admin}\n", encoding="utf-8")
    policy = parse_policy(POLICY)
    ctx = svc.build_context(project, policy, environ={})
    return svc.apply(svc.plan(policy, ctx), ctx)


@pytest.mark.parametrize(
    ("first", "same_place", "elsewhere"),
    [
        (
            "postgres://app:pw1@db1.internal:5432/shop",
            "postgres://app:pw2@DB1.internal:5432/shop",
            ["postgres://app:pw1@db2.internal:5432/shop",
             "postgres://app:pw1@db1.internal:5433/shop",
             "postgres://app:pw1@db1.internal:5432/other"],
        ),
        (
            "postgresql:///shop?host=/run/pg&port=5432",
            "postgresql:///shop?port=5432&host=/run/pg&sslmode=disable",
            ["postgresql:///shop?host=/run/other&port=5432"],
        ),
        (
            "'host=db1.internal port=5432 dbname=shop user=app password=pw1'",
            "'user=app password=\\'p w2\\' dbname = shop host=db1.internal port=5432'",
            ["'host=db2.internal port=5432 dbname=shop user=app password=pw1'",
             "'host=db1.internal port=5432 dbname=other user=app password=pw1'",
             "'host=db1.internal port=6432 dbname=shop user=app password=pw1'",
             "'hostaddr=10.0.0.9 port=5432 dbname=shop user=app password=pw1'"],
        ),
    ],
)  # fmt: skip
def test_same_place_keeps_another_server_or_database_rotates(
    project: Path, fake: FakeProvider, first: str, same_place: str, elsewhere: list[str]
) -> None:
    grant = _run(project, first).created[0]
    kept = _run(project, same_place)
    assert kept.created == () and [g.id for g in kept.kept] == [grant.id]
    previous = grant
    for admin in elsewhere:
        moved = _run(project, admin)
        assert len(moved.created) == 1, admin
        assert [r.grant_id for r in moved.rotated] == [previous.id], admin
        previous = moved.created[0]


def test_a_value_naming_no_endpoint_keeps_on_any_change_of_its_value(
    project: Path, fake: FakeProvider
) -> None:
    grant = _run(project, "tok_live_0123456789abcdef").created[0]
    assert [g.id for g in _run(project, "tok_live_fedcba9876543210").kept] == [grant.id]
