"""The provisioning framework: policy + source env -> plan -> grants in the ledger -> ``.env.ai``.

Every provider plugs in here through :mod:`agentauth.providers.base`. These modules own
the invariants that no provider should have to remember: the grant is in the ledger
(status pending) before the provider creates anything; ``.env.ai`` is written only
after every grant is active; an unexpired grant matching the policy is kept; a changed
one rotates (new grant first, old one revoked after); every issue, pass, drop and
revoke is in the audit log under the agent's name. They never print and never exit.

This module is the one import for them: planning is :mod:`~agentauth.service.plan`,
applying :mod:`~agentauth.service.apply`, revoking :mod:`~agentauth.service.revoke`,
minting :mod:`~agentauth.service.mint`, and what they share
:mod:`~agentauth.service.context` (split by job so each stays small; callers need not know).
"""

from __future__ import annotations

from agentauth.service.apply import ProvisionResult, apply
from agentauth.service.context import ENV_OUTPUTS, build_context, live_grants
from agentauth.service.mint import mint_for_run, mint_grant
from agentauth.service.plan import EntryError, PlanRefused, ProvisionPlan, plan, preflight
from agentauth.service.revoke import forget, revoke, revoke_grants, select_grants, withdraw_passed
from agentauth.service.sourceenv import load_source_env

__all__ = [
    "ENV_OUTPUTS",
    "EntryError",
    "PlanRefused",
    "ProvisionPlan",
    "ProvisionResult",
    "apply",
    "build_context",
    "forget",
    "live_grants",
    "load_source_env",
    "mint_for_run",
    "mint_grant",
    "plan",
    "preflight",
    "revoke",
    "revoke_grants",
    "select_grants",
    "withdraw_passed",
]
