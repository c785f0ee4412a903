"""Provider credentials for a sub-agent: a login (role, user, session, token) of its own.

``agentauth delegate --only VAR=RULE,...`` on a provider variable (Postgres, MySQL,
Redis, AWS, GitHub) goes through two phases, so that a request exceeding the parent
is refused before anything exists anywhere:

1. :func:`check` (offline, for every ``--only`` first): find the parent's live grant,
   take the parent's options (a delegated parent's own narrowed ones, else the policy
   entry's), and let the provider's :class:`~agentauth.providers.base.Narrowing` compute
   the child's subset or raise ``ExceedsParent`` naming the table, key pattern, action,
   repository or permission;
2. :func:`issue`: create the child's credential (the provider's own plan, preflight and
   apply with the narrowed entry, or the narrowing's ``issue``), recorded in the ledger
   with ``parent`` set (pending first, so ``revoke`` can clean up a half-made one), the
   chain as its agent and an expiry no later than the parent's.

Revoking the parent revokes the child through the ledger (``with_descendants``); the
child's grant names only its own login, so revoking it leaves the parent's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from agentauth import providers
from agentauth.errors import ConfigError
from agentauth.model import Applied, CredentialPolicy, Grant, GrantId, GrantStatus, Policy
from agentauth.providers.base import ExceedsParent, Narrowing, narrowing_of
from agentauth.service.chain import sanitised

DELEGATED = "delegated"
"""Key of a child grant's ``objects``: the narrowed options (a grandchild's parent's)."""


@dataclass(frozen=True)
class LoginStep:
    """A checked provider delegation: the narrowed entry, the parent grant, the expiry."""

    entry: CredentialPolicy
    parent: Grant
    expires: datetime


def find_parent_grant(grants: Sequence[Grant], chain: str, variable: str, now: datetime) -> Grant:
    """The parent's newest live grant of ``variable``: what a child may be given a part of."""
    for g in reversed(grants):
        live = g.status is GrantStatus.ACTIVE and (g.expires is None or g.expires > now)
        if live and g.agent == chain and g.variable == variable:
            return g
    raise ConfigError(f"the parent {chain!r} holds no live grant for {variable}: nothing to give")


def _narrowing(entry: CredentialPolicy) -> Narrowing:
    found = narrowing_of(providers.get(entry.provider or ""))
    if found is None:
        raise ConfigError(
            f"{entry.variable}: the {entry.provider} provider cannot make a narrower login "
            "for a sub-agent; broker it (mode: broker) to delegate a subset of its rules"
        )
    return found


def parent_options(entry: CredentialPolicy, parent: Grant) -> dict[str, Any]:
    """What the parent holds: a delegated grant's narrowed options, else the policy entry's."""
    held = parent.objects.get(DELEGATED)
    if isinstance(held, Mapping):
        return dict(held)
    return dict(providers.get(entry.provider or "").validate(entry).options)


def check(
    entry: CredentialPolicy,
    parent: Grant,
    rules: Sequence[str] | None,
    deadline: datetime,
) -> LoginStep:
    """Decide the child's subset offline; ExceedsParent/ConfigError before anything is made."""
    narrowing = _narrowing(entry)
    held = replace(entry, options=parent_options(entry, parent))
    child = narrowing.narrow(held, parent, rules)
    ends = [d for d in (deadline, parent.expires) if d is not None]
    return LoginStep(replace(entry, options=child), parent, min(ends))


def exceeds_text(variable: str, exc: ExceedsParent, parent_chain: str) -> str:
    """The refusal line of one variable: each thing the parent does not hold, named."""
    return f"{variable}: {', '.join(exc.items)} exceeds what {parent_chain} holds"


def issue(
    step: LoginStep,
    chain: str,
    project_root: Path,
    policy: Policy,
    environ: Mapping[str, str],
    now: datetime,
) -> Applied:
    """Create the child's login and record it as a child grant; undo-safe like provision."""
    from agentauth.service.context import build_context
    from agentauth.state.ledger import Ledger

    provider = providers.get(step.entry.provider or "")
    narrowing = _narrowing(step.entry)
    seconds = max(60, int((step.expires - now).total_seconds()))
    name = sanitised(chain, limit=narrowing.name_room)
    ctx = build_context(
        project_root, replace(policy, agent=name, ttl_seconds=seconds), environ=environ, now=now
    )
    ledger = Ledger(project_root)

    origin = f"delegated from {step.parent.id}: "

    def stamp(grant: Grant, status: GrantStatus) -> Grant:
        expires = min(grant.expires or step.expires, step.expires)
        return replace(
            grant, agent=chain, parent=GrantId(step.parent.id), expires=expires, status=status,
            scope=origin + grant.scope.removeprefix(origin),
            objects={**grant.objects, DELEGATED: dict(step.entry.options)},
        )  # fmt: skip

    applied = narrowing.issue(step.entry, step.parent, ctx)
    if applied is None:
        plan = provider.plan(step.entry, ctx)
        provider.preflight(plan, ctx)
        pending = stamp(plan.grant, GrantStatus.PENDING)
        ledger.put(pending)
        try:
            applied = provider.apply(replace(plan, grant=pending), ctx)
        except BaseException:
            ledger.put(replace(pending, status=GrantStatus.FAILED))
            raise
    grant = stamp(applied.grant, GrantStatus.ACTIVE)
    ledger.put(grant)
    return replace(applied, grant=grant)


def step_for(
    variable: str,
    rules: Sequence[str] | None,
    credentials: Mapping[str, CredentialPolicy],
    grants: Sequence[Grant],
    parent_chain: str,
    deadline: datetime,
    now: datetime,
) -> LoginStep | str:
    """A provider variable's checked step, or the reason it is refused (nothing made yet)."""
    cred = credentials.get(variable)
    if cred is None:
        return f"{variable}: not a credential of agentauth.yaml, so there is nothing to give"
    try:
        held = find_parent_grant(grants, parent_chain, variable, now)
        return check(cred, held, rules, deadline)
    except ExceedsParent as exc:
        return exceeds_text(variable, exc, parent_chain)
    except ConfigError as exc:
        return str(exc)


def issue_all(
    project_root: Path,
    policy: Policy,
    environ: Mapping[str, str],
    chain: str,
    logins: Sequence[LoginStep],
    env: dict[str, str],
    now: datetime,
) -> list[Grant]:
    """Create each provider login; a failure revokes the logins already made, then raises."""
    from agentauth.service.context import build_context
    from agentauth.service.revoke import revoke_grants
    from agentauth.state import auditlog

    made: list[Grant] = []
    try:
        for step in logins:
            applied = issue(step, chain, project_root, policy, environ, now)
            made.append(applied.grant)
            env.update({name: value.reveal() for name, value in applied.env.items()})
            auditlog.append(project_root, "delegate", agent=chain, grant=applied.grant.id,
                            parent=step.parent.id, variable=applied.grant.variable,
                            scope=applied.grant.scope, expires=applied.grant.expires)  # fmt: skip
    except BaseException:
        if made:
            ctx = build_context(project_root, policy, environ=environ, now=now)
            revoke_grants(ctx, made, event_reason="rollback", strip=False)
        raise
    return made


def outputs(grants: Sequence[Grant]) -> set[str]:
    """Every variable a grant of this project wrote (the parent's AWS session, say)."""
    from agentauth.service.context import ENV_OUTPUTS

    return {str(n) for g in grants for n in g.objects.get(ENV_OUTPUTS, []) or []}
