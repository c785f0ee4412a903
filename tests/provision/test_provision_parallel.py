"""Parallel provision runs serialise; rotation revokes only what the plan replaced."""

from __future__ import annotations

import dataclasses
import threading
import time
from datetime import timedelta
from pathlib import Path

from fakeprovider import FakeProvider

from agentauth.config.policy import parse_policy
from agentauth.model import GrantId, GrantStatus
from agentauth.service import provision as svc
from agentauth.state.ledger import Ledger, project_lock

POLICY = "agent: bot\nttl: 1h\ncredentials:\n  API_TOKEN:\n    provider: fake\n    level: low\n"


def _setup(project: Path) -> None:
    (project / ".env").write_text("API_TOKEN=tok_live_0123456789abcdef\n")


def _provision(project: Path) -> svc.ProvisionResult:
    policy = parse_policy(POLICY)
    ctx = svc.build_context(project, policy, environ={})
    return svc.apply(svc.plan(policy, ctx), ctx)


def test_project_lock_serialises(project: Path) -> None:
    order: list[str] = []

    def second() -> None:
        with project_lock(project):
            order.append("second")

    with project_lock(project):
        worker = threading.Thread(target=second)
        worker.start()
        time.sleep(0.3)
        order.append("first")
    worker.join(10)
    assert order == ["first", "second"]


def test_a_grant_made_after_the_plan_is_not_revoked(project: Path, fake: FakeProvider) -> None:
    _setup(project)
    policy = parse_policy(POLICY)
    ctx = svc.build_context(project, policy, environ={})
    pplan = svc.plan(policy, ctx)
    other = _provision(project)  # another run, finishing between our plan and apply
    svc.apply(pplan, ctx)
    (theirs,) = other.created
    assert Ledger(project).get(theirs.id).status is GrantStatus.ACTIVE  # type: ignore[union-attr]
    assert theirs.id not in fake.revoked


def test_after_a_killed_rotation_the_next_run_revokes_the_leftover(
    project: Path, fake: FakeProvider
) -> None:
    _setup(project)
    (kept,) = _provision(project).created
    ledger = Ledger(project)
    leftover = dataclasses.replace(
        kept, id=GrantId("fa-leftover1"), created=kept.created - timedelta(minutes=5),
        policy_digest="older",
    )  # fmt: skip
    ledger.put(leftover)  # a rotation killed before it revoked the old grant
    result = _provision(project)
    assert [g.id for g in result.kept] == [kept.id]
    assert fake.revoked == ["fa-leftover1"]
    assert ledger.get("fa-leftover1").status is GrantStatus.REVOKED  # type: ignore[union-attr]
