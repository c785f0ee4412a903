"""``provider: http``: any HTTP API whose key the broker injects; the agent gets a phantom.

Nothing is created at the provider (such keys cannot be scoped there: OpenAI,
Anthropic, Slack...), so provisioning only records a grant: its id is in every
``request`` event, ``status`` lists it, and revoking it makes the broker refuse the
phantom. The scope is what the broker enforces: the entry's hosts and allow rules.
The same functions serve ``mode: broker`` of the stripe and github providers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import ClassVar

from agentauth.config.brokerpolicy import entry_from_policy, summary
from agentauth.errors import ConfigError
from agentauth.model import (
    Applied,
    CredentialPolicy,
    Finding,
    Grant,
    GrantStatus,
    Plan,
    PlanStep,
    RevokeResult,
    Verification,
)
from agentauth.providers import kit as grantkit
from agentauth.providers.base import Provider, ProviderContext, VerifyContext
from agentauth.providers.kit import OptionError


def validate_brokered(entry: CredentialPolicy) -> CredentialPolicy:
    """Check hosts, auth, allow rules and upstream; raise OptionError naming the key.

    The framework adds the policy file that was read (``kit.OptionError``), so the
    file name is not guessed here.
    """
    try:
        entry_from_policy(entry, {}, "")
    except ConfigError as exc:
        text = str(exc)
        prefix = f"credentials.{entry.variable}"
        rest = text[text.find(prefix) + len(prefix) :] if prefix in text else f": {text}"
        if rest.startswith("."):
            key, _, problem = rest[1:].partition(": ")
            raise OptionError(entry, key, problem) from None
        raise OptionError(entry, None, rest.removeprefix(": ")) from None
    return entry


def plan_brokered(entry: CredentialPolicy, ctx: ProviderContext, *, pasted: bool = True) -> Plan:
    """Plan a grant that only the broker's enforcement backs (nothing to create upstream).

    ``pasted`` False: the broker mints the value itself (a GitHub App), none is read.
    """
    if pasted:
        grantkit.admin_secret(entry.variable, ctx, "API key (the broker injects it)")
    brokered = entry_from_policy(entry, {}, ctx.policy.path)
    scope = summary(brokered)
    grant = grantkit.pending_grant(
        entry, ctx, scope=scope, objects={"brokered": True, "hosts": list(brokered.hosts)}
    )
    return Plan(
        variable=entry.variable,
        provider=str(entry.provider),
        grant=grant,
        steps=(PlanStep(f"record grant for {entry.variable}: {scope}"),),
        outputs=(),
        warnings=(),
    )


def apply_brokered(plan: Plan) -> Applied:
    """Activate the grant; nothing goes to ``.env.ai`` (``run`` gives the agent a phantom)."""
    return Applied(
        grant=replace(plan.grant, status=GrantStatus.ACTIVE),
        env={},
        notes=(
            f"{plan.variable} stays with the broker; `agentauth run` gives the agent a phantom",
        ),
    )


def revoke_brokered(grant: Grant) -> RevokeResult:
    """Nothing exists upstream; the ledger's revoked status makes the broker refuse it."""
    return RevokeResult(grant_id=grant.id, ok=True, message="the broker refuses it from now on")


class HttpProvider:
    """Brokered HTTP API keys."""

    name: ClassVar[str] = "http"
    presets: ClassVar[Mapping[str, Mapping[str, object]]] = {}

    def validate(self, entry: CredentialPolicy) -> CredentialPolicy:
        """Check the brokered keys."""
        return validate_brokered(entry)

    def verify(self, finding: Finding, ctx: VerifyContext) -> Verification:
        """No generic read-only probe exists for an arbitrary API."""
        return Verification(status="unknown", summary="generic HTTP API: not verified")

    def plan(self, entry: CredentialPolicy, ctx: ProviderContext) -> Plan:
        """See :func:`plan_brokered`."""
        return plan_brokered(entry, ctx)

    def preflight(self, plan: Plan, ctx: ProviderContext) -> None:
        """Nothing is created upstream; ``plan`` already found the key the broker injects."""
        return None

    def apply(self, plan: Plan, ctx: ProviderContext) -> Applied:
        """See :func:`apply_brokered`."""
        return apply_brokered(plan)

    def mint(self, grant: Grant, ctx: ProviderContext) -> Applied | None:
        """Phantoms are made by ``run``, not minted by the provider."""
        return None

    def revoke(self, grant: Grant, ctx: ProviderContext) -> RevokeResult:
        """See :func:`revoke_brokered`."""
        return revoke_brokered(grant)


PROVIDER: Provider = HttpProvider()
