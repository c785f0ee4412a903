"""Minting: fresh short-lived values of active grants (AWS sessions, GitHub App tokens).

Asked once per ``run`` and by the credential server on refresh; a revoked grant gets
nothing, and every mint is in the audit log.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from agentauth import providers
from agentauth.clock import parse_instant
from agentauth.errors import ProviderError
from agentauth.model import Grant, GrantId, GrantStatus, Policy, Secret
from agentauth.providers.base import ProviderContext
from agentauth.service.context import ENV_OUTPUTS, RENEW_MARGIN, build_context, current_values
from agentauth.state import auditlog
from agentauth.state.ledger import Ledger

__all__ = ["MintedValues", "mint_for_run", "mint_grant"]


class MintedValues(dict[str, Secret]):
    """The values minted for one run, and when the first of them stops working.

    A dict, so that every caller that only wants the values keeps reading them as
    before; ``expires`` is what ``run`` adds to the grants' expiries, because a minted
    token can die long before its grant (``Applied.expires``).
    """

    expires: datetime | None = None


def _fresh(grant: Grant, current: Mapping[str, Secret], now: datetime) -> bool:
    """True when ``.env.ai`` already holds this grant's minted values, not near expiry."""
    if not grant.expiry_variable:
        return False
    outputs = list(grant.objects.get(ENV_OUTPUTS, []))
    if not outputs or not all(name in current for name in outputs):
        return False
    value = current.get(grant.expiry_variable)
    if value is None:
        return False
    expiry = parse_instant(value.reveal())
    return expiry is not None and expiry - RENEW_MARGIN > now


def log_mint(
    project_root: Path,
    grant: Grant,
    variables: list[str],
    *,
    reason: str | None = None,
    expires: datetime | None = None,
) -> None:
    """The one ``mint`` event: which grant got fresh values, for which variables (never values).

    Written by every path that mints (``run``, a kept grant in ``provision``, the AWS
    credential server, the broker's GitHub App tokens), so ``log`` reads one shape.
    """
    fields: dict[str, object] = {"reason": reason} if reason is not None else {}
    if expires is not None:
        fields["expires"] = expires
    auditlog.append(project_root, "mint", agent=grant.agent, grant=grant.id,
                    provider=grant.provider, variables=variables, **fields)  # fmt: skip


def mint_grant(project_root: Path, grant_id: str, *, reason: str) -> dict[str, Secret]:
    """Mint a fresh value of one active grant (the credential server's refresh); logged.

    Reads the grant from the ledger each time, so a grant revoked while the agent runs
    gets no new session: the error reaches the SDK, never a credential.
    """
    from agentauth.config.policy import load_policy
    from agentauth.project import POLICY_FILE

    grant = Ledger(project_root).get(GrantId(grant_id))
    if grant is None or grant.status is not GrantStatus.ACTIVE:
        raise ProviderError(f"grant {grant_id} is not active (revoked?); no new credentials")
    policy = load_policy(project_root / POLICY_FILE)
    ctx = build_context(project_root, policy)
    applied = providers.get(grant.provider).mint(grant, ctx)
    if applied is None:
        raise ProviderError(f"grant {grant_id} ({grant.provider}) has nothing to mint")
    log_mint(project_root, grant, list(applied.env), reason=reason)
    return dict(applied.env)


def mint_for_run(project_root: Path, policy: Policy, ctx: ProviderContext) -> MintedValues:
    """Mint fresh short-lived credentials for one run of the agent (AWS sessions, GitHub tokens).

    Only active, unexpired grants of ``policy.agent`` are asked, and not those whose
    values in ``.env.ai`` are still fresh (their ``expiry_variable`` more than five
    minutes away): one grant needing a token must not re-mint every other one.
    Providers whose credentials live in ``.env.ai`` return None from ``mint``.
    """
    current = current_values(project_root / policy.output)
    minted = MintedValues()
    for grant in Ledger(project_root).grants():
        if grant.agent != policy.agent or grant.status is not GrantStatus.ACTIVE:
            continue
        if grant.expires is not None and grant.expires <= ctx.now:
            continue
        if _fresh(grant, current, ctx.now):
            continue
        applied = providers.get(grant.provider).mint(grant, ctx)
        if applied is None:
            continue
        minted.update(applied.env)
        if applied.expires is not None:
            minted.expires = min(filter(None, (minted.expires, applied.expires)))
        log_mint(project_root, grant, list(applied.env),
                 expires=applied.expires or applied.grant.expires)  # fmt: skip
    return minted
