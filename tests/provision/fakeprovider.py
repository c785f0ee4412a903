"""A fake provider registered for the framework tests: records calls, fails on request."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import ClassVar

import pytest

from agentauth import providers
from agentauth.errors import PermissionDenied, ProviderError
from agentauth.model import (
    Applied,
    CredentialPolicy,
    Finding,
    Grant,
    GrantStatus,
    Plan,
    PlanStep,
    RevokeResult,
    Secret,
    Verification,
)
from agentauth.providers import kit
from agentauth.providers.base import ProviderContext, VerifyContext
from agentauth.state.ledger import Ledger


@dataclass
class FakeProvider:
    """Issues ``fake-<n>`` values; can fail in apply; remembers what the ledger held when called."""

    name: ClassVar[str] = "fake"
    presets: ClassVar[dict[str, dict[str, object]]] = {}
    fail_apply: bool = False
    fail_preflight: bool = False
    fail_apply_for: set[str] = field(default_factory=set)
    """Variables whose apply fails (the others succeed), for rollback tests."""
    revoke_outcome: str = "ok"
    """``ok``, ``failed`` (retry later) or ``still-valid`` (no API can end it)."""
    minting: bool = False
    """Grants mint per run, with their expiry in FAKE_EXPIRATION (like AWS sessions)."""
    calls: list[str] = field(default_factory=list)
    ledger_at_apply: list[GrantStatus] = field(default_factory=list)
    revoked: list[str] = field(default_factory=list)
    counter: int = 0

    def validate(self, entry: CredentialPolicy) -> CredentialPolicy:
        self.calls.append("validate")
        if "bad" in entry.options:
            raise kit.OptionError(entry, "bad", "is not a fake option")
        return entry

    def verify(self, finding: Finding, ctx: VerifyContext) -> Verification:
        return Verification("unknown", "fake")

    def plan(self, entry: CredentialPolicy, ctx: ProviderContext) -> Plan:
        self.calls.append("plan")
        grant = kit.pending_grant(
            entry,
            ctx,
            scope=f"fake scope {dict(entry.options)}",
            objects={"thing": entry.variable.lower()},
        )
        outputs = (entry.variable, "FAKE_EXPIRATION") if self.minting else (entry.variable,)
        return Plan(entry.variable, "fake", grant, (PlanStep("make a fake thing"),), outputs)

    def preflight(self, plan: Plan, ctx: ProviderContext) -> None:
        self.calls.append("preflight")
        if self.fail_preflight:
            raise PermissionDenied("fake admin may not create things; ask a DBA")

    def apply(self, plan: Plan, ctx: ProviderContext) -> Applied:
        self.calls.append("apply")
        recorded = Ledger(ctx.project_root).get(plan.grant.id)
        self.ledger_at_apply.append(recorded.status if recorded else GrantStatus.REVOKED)
        if self.fail_apply or plan.variable in self.fail_apply_for:
            raise ProviderError("fake provider exploded; try again")
        self.counter += 1
        value = Secret(f"fake-secret-{self.counter}-0123456789")
        if not self.minting:
            return Applied(replace(plan.grant, status=GrantStatus.ACTIVE), {plan.variable: value})
        until = (ctx.now + timedelta(hours=1)).isoformat()
        grant = replace(
            plan.grant,
            status=GrantStatus.ACTIVE,
            mints_per_run=True,
            expiry_variable="FAKE_EXPIRATION",
        )
        return Applied(grant, {plan.variable: value, "FAKE_EXPIRATION": Secret(until)})

    def mint(self, grant: Grant, ctx: ProviderContext) -> Applied | None:
        self.calls.append("mint")
        return Applied(grant, {"FAKE_SESSION": Secret("minted-session-value-42")})

    def revoke(self, grant: Grant, ctx: ProviderContext) -> RevokeResult:
        self.revoked.append(grant.id)
        if self.revoke_outcome == "failed":
            return RevokeResult(grant.id, False, "fake admin gone; try again")
        if self.revoke_outcome == "still-valid":
            return RevokeResult(
                grant.id, False, "no API ends it", manual="delete it by hand", still_valid=True
            )
        return RevokeResult(grant.id, True, "fake removed")


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeProvider]:
    """Register a FakeProvider as provider ``fake``."""
    provider = FakeProvider()
    module = types.ModuleType("agentauth_test_fake_provider")
    module.PROVIDER = provider  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setitem(providers.PROVIDERS, "fake", module.__name__)
    yield provider
