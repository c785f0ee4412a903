"""Preflight, per-entry errors, rollback and fresh-value reuse in the provisioning framework."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fakeprovider import FakeProvider

from agentauth.config.policy import parse_policy
from agentauth.errors import PermissionDenied, ProviderError
from agentauth.model import GrantStatus
from agentauth.service import provision as svc
from agentauth.state.ledger import Ledger

SOURCE = "A_TOKEN=tok-a-0123456789\nB_TOKEN=tok-b-0123456789\nC_TOKEN=tok-c-0123456789\n"
THREE = """agent: bot
ttl: 1h
credentials:
  A_TOKEN:
    provider: fake
{a}  B_TOKEN:
    provider: fake
{b}  C_TOKEN:
    provider: fake
"""


@pytest.fixture
def project(project: Path) -> Path:
    (project / ".env").write_text(SOURCE)
    return project


def test_a_failing_preflight_creates_nothing(project: Path, fake: FakeProvider) -> None:
    fake.fail_preflight = True
    policy = parse_policy(THREE.format(a="", b=""))
    ctx = svc.build_context(project, policy, environ={})
    with pytest.raises(svc.PlanRefused) as info:
        svc.apply(svc.plan(policy, ctx), ctx)
    assert info.value.exit_code == PermissionDenied.exit_code
    assert "apply" not in fake.calls
    assert Ledger(project).grants() == []
    assert not (project / ".env.ai").exists()


def test_the_plan_keeps_one_error_per_failing_entry(project: Path, fake: FakeProvider) -> None:
    bad = "    bad: 1\n"
    policy = parse_policy(THREE.format(a=bad, b=bad), "staging-policy.yaml")
    ctx = svc.build_context(project, policy, environ={})
    pplan = svc.plan(policy, ctx)
    assert [p.variable for p in pplan.plans] == ["C_TOKEN"]  # the good entry is still planned
    assert [e.variable for e in pplan.errors] == ["A_TOKEN", "B_TOKEN"]
    assert pplan.errors[0].message.startswith("staging-policy.yaml:6: credentials.A_TOKEN.bad")
    assert pplan.errors[1].message.startswith("staging-policy.yaml:9: credentials.B_TOKEN.bad")
    with pytest.raises(svc.PlanRefused) as info:
        svc.apply(pplan, ctx)
    assert "A_TOKEN" in str(info.value) and "B_TOKEN" in str(info.value)
    assert info.value.exit_code == 2
    assert "apply" not in fake.calls and Ledger(project).grants() == []


def test_preflight_errors_are_collected_for_every_entry(project: Path, fake: FakeProvider) -> None:
    fake.fail_preflight = True
    policy = parse_policy(THREE.format(a="", b=""))
    ctx = svc.build_context(project, policy, environ={})
    checked = svc.preflight(svc.plan(policy, ctx), ctx)
    assert [e.variable for e in checked.errors] == ["A_TOKEN", "B_TOKEN", "C_TOKEN"]
    assert all("ask a DBA" in e.message for e in checked.errors)


def test_a_failure_after_creation_rolls_back_what_this_run_created(
    project: Path, fake: FakeProvider
) -> None:
    fake.fail_apply_for = {"B_TOKEN"}
    policy = parse_policy(THREE.format(a="", b=""))
    ctx = svc.build_context(project, policy, environ={})
    with pytest.raises(ProviderError, match="exploded"):
        svc.apply(svc.plan(policy, ctx), ctx)
    by_var = {g.variable: g for g in Ledger(project).grants()}
    assert by_var["A_TOKEN"].status is GrantStatus.REVOKED  # created, then rolled back
    assert fake.revoked == [by_var["A_TOKEN"].id]
    assert by_var["B_TOKEN"].status is GrantStatus.PENDING  # the failing one, for revoke
    assert "C_TOKEN" not in by_var  # never started
    assert not (project / ".env.ai").exists()


def test_run_does_not_mint_what_env_ai_still_holds_fresh(project: Path, fake: FakeProvider) -> None:
    fake.minting = True
    policy = parse_policy("agent: bot\nttl: 2h\ncredentials:\n  A_TOKEN:\n    provider: fake\n")
    ctx = svc.build_context(project, policy, environ={})
    svc.apply(svc.plan(policy, ctx), ctx)
    [grant] = Ledger(project).grants()
    assert grant.mints_per_run and grant.expiry_variable == "FAKE_EXPIRATION"
    fake.calls.clear()
    assert svc.mint_for_run(project, policy, ctx) == {}
    assert "mint" not in fake.calls
    later = svc.build_context(project, policy, environ={}, now=ctx.now + timedelta(minutes=57))
    minted = svc.mint_for_run(project, policy, later)  # within 5 minutes of the expiry
    assert "mint" in fake.calls and "FAKE_SESSION" in minted
