"""Revoking: pick grants, end them through their providers (or forget them), clean ``.env.ai``.

Every way a grant ends (revoke, rollback, rotation, forget, a ``pass`` withdrawn)
writes one ``revoke`` event built by :func:`_log_revoke`, so ``log`` reads them alike.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from pathlib import Path

from agentauth import fsutil, providers
from agentauth.config import envwrite
from agentauth.errors import AgentAuthError, ConfigError
from agentauth.model import NOT_REVOKED, Action, Grant, GrantStatus, RevokeResult
from agentauth.providers.base import ProviderContext
from agentauth.redact import Scrubber
from agentauth.service.context import ENV_OUTPUTS, current_values, live_grants, secret_values
from agentauth.state import auditlog
from agentauth.state.ledger import Ledger

__all__ = ["forget", "revoke", "revoke_grants", "select_grants", "withdraw_passed"]

_REVOKED_LINE = re.compile(r"^# Revoked (.+) on (\S+)\.$")


def select_grants(
    grants: Sequence[Grant],
    *,
    grant_ids: Sequence[str] = (),
    agent: str | None = None,
    expired: bool = False,
    everything: bool = False,
    now: datetime | None = None,
) -> list[Grant]:
    """Pick the grants a ``revoke`` invocation names; unknown ids are a ConfigError."""
    moment = now or datetime.now(UTC)
    known: dict[str, Grant] = {g.id: g for g in grants}
    unknown = [i for i in grant_ids if i not in known]
    if unknown:
        raise ConfigError(
            f"no grant with id {', '.join(unknown)} in this project; "
            "`agentauth status --all` lists them"
        )
    chosen: dict[str, Grant] = {i: known[i] for i in grant_ids}
    for g in live_grants(grants):
        if (
            everything
            or (agent is not None and g.agent == agent)
            or (expired and g.expires is not None and g.expires <= moment)
        ):
            chosen.setdefault(g.id, g)
    from agentauth.service.chain import with_descendants

    # NOTE: revoking a parent revokes every grant delegated from it (issue 12).
    return with_descendants(chosen.values(), grants)


def _strip_env_ai(ctx: ProviderContext, names: Sequence[str]) -> None:
    """Remove revoked credentials from ``.env.ai`` so the agent does not keep dead values.

    The header names every variable revoked since the file was last provisioned: each
    grant (and the ``pass`` values) is stripped in turn, and writing only the last one's
    names said "Revoked REDIS_URL" after MySQL and Redis were revoked together.
    """
    path = ctx.project_root / ctx.policy.output
    current = current_values(path)
    if not current or not any(n in current for n in names):
        return
    remaining = [(k, v) for k, v in current.items() if k not in names]
    when = ctx.now.isoformat(timespec="seconds")
    earlier = _revoked_lines(path)
    now_names = [*earlier.pop(when, []), *(n for n in names if n in current)]
    header = "\n".join(
        [
            f"Scoped credentials for agent {ctx.policy.agent!r}, written by agentauth.",
            *(f"Revoked {', '.join(n)} on {t}." for t, n in earlier.items()),
            f"Revoked {', '.join(dict.fromkeys(now_names))} on {when}.",
            "Run `agentauth provision` to issue new credentials.",
        ]
    )
    try:
        envwrite.write_env_ai(
            path,
            list(remaining),
            header,
            project_root=ctx.project_root,
            source=ctx.project_root / ctx.policy.source,
        )
    except ConfigError as exc:
        ctx.warn(f"could not remove revoked values from {ctx.policy.output}: {exc}")


def _revoked_lines(path: Path) -> dict[str, list[str]]:
    """The ``# Revoked A, B on TIME.`` lines of ``path``'s header: names by time, in order."""
    found: dict[str, list[str]] = {}
    try:  # NOTE: the safe reader: a FIFO or device in place of .env.ai is not waited on
        lines = fsutil.read_text(path, what=".env.ai").splitlines()
    except (OSError, AgentAuthError):
        return found
    for line in lines:
        if not line.startswith("#"):
            break  # NOTE: the header only; a value never starts with "#"
        said = _REVOKED_LINE.match(line)
        if said:
            found.setdefault(said.group(2), []).extend(said.group(1).split(", "))
    return found


def _log_revoke(ctx: ProviderContext, grant: Grant, result: RevokeResult, reason: str) -> None:
    """The one ``revoke`` event of a grant, whichever way it ended (revoked, failed, forgotten).

    ``result.ok`` is whether the grant is now closed; ``reason`` says why it was ended
    (``requested``, ``rollback``, ``rotated``, ``forget``).
    """
    auditlog.append(
        ctx.project_root,
        "revoke",
        agent=grant.agent,
        grant=grant.id,
        provider=grant.provider,
        variable=grant.variable,
        ok=result.ok,
        still_valid=result.still_valid,
        reason=reason,
        message=result.message,
        manual=result.manual,
    )


def revoke_grants(
    ctx: ProviderContext,
    grants: Sequence[Grant],
    *,
    event_reason: str = "requested",
    protect: Collection[str] = (),
    strip: bool = True,
) -> list[RevokeResult]:
    """Revoke each grant through its provider; one result per grant, failures kept to retry.

    The revoked values are also removed from ``.env.ai``, except the names in
    ``protect`` (a rotation's new grant wrote the same variable).
    """
    ledger = Ledger(ctx.project_root)
    scrub = Scrubber(secret_values(ctx))
    results: list[RevokeResult] = []
    for grant in grants:
        if grant.status is GrantStatus.REVOKED:
            results.append(RevokeResult(grant.id, True, "already revoked"))
            continue
        try:
            if grant.objects.get("kind") == "capability":
                # a delegated capability: nothing upstream, the broker refuses its ids
                result = RevokeResult(grant.id, True, "delegated capability revoked")
            else:
                result = providers.get(grant.provider).revoke(grant, ctx)
        except AgentAuthError as exc:
            result = RevokeResult(grant.id, False, scrub(str(exc)))
        except Exception as exc:
            result = RevokeResult(
                grant.id, False, scrub(f"{type(exc).__name__}: {exc}; try again with --debug")
            )
        revoked = result.ok and not result.still_valid
        status = GrantStatus.REVOKED if revoked else GrantStatus.FAILED
        error = (
            None if revoked else (f"{NOT_REVOKED}: " if result.still_valid else "") + result.message
        )
        ledger.put(dataclasses.replace(grant, status=status, error=error))
        _log_revoke(ctx, grant, dataclasses.replace(result, ok=revoked), event_reason)
        if (result.ok or result.still_valid) and strip:
            # NOTE: even a credential no API could end leaves .env.ai: later runs stop
            # handing it to the agent while the human deletes it by hand.
            names = [n for n in grant.objects.get(ENV_OUTPUTS, []) if n not in protect]
            _strip_env_ai(ctx, names)
        results.append(result)
    return results


def forget(ctx: ProviderContext, grant_ids: Sequence[str]) -> list[RevokeResult]:
    """Close grants whose objects a human removed by hand (a DBA dropped the role).

    No provider is called: the ledger records them revoked, the audit log says who
    forgot what, and their values leave ``.env.ai``. Unknown ids are a ConfigError.
    """
    ledger = Ledger(ctx.project_root)
    chosen = select_grants(ledger.grants(), grant_ids=grant_ids, now=ctx.now)
    results: list[RevokeResult] = []
    for grant in chosen:
        ledger.put(dataclasses.replace(grant, status=GrantStatus.REVOKED, error=None))
        result = RevokeResult(
            grant.id, True, "forgotten: closed in the ledger, provider not called"
        )
        _log_revoke(ctx, grant, result, "forget")
        _strip_env_ai(ctx, list(grant.objects.get(ENV_OUTPUTS, [])))
        results.append(result)
    return results


def withdraw_passed(ctx: ProviderContext, agent: str | None) -> list[str]:
    """Remove the policy's ``pass`` values from ``.env.ai`` when the agent's access is revoked.

    ``pass`` copies a credential as is (no grant exists for it), so revoking the
    agent's grants alone would leave a live key in ``.env.ai`` that every later run
    hands over. ``agent`` None means every agent (``revoke --all``).
    """
    if agent is not None and agent != ctx.policy.agent:
        return []
    names = [e.variable for e in ctx.policy.credentials if e.action is Action.PASS]
    current = current_values(ctx.project_root / ctx.policy.output)
    present = [n for n in names if n in current]
    if not present:
        return []
    _strip_env_ai(ctx, present)
    for name in present:
        auditlog.append(
            ctx.project_root,
            "revoke",
            agent=ctx.policy.agent,
            variable=name,
            ok=True,
            reason="pass withdrawn",
        )
    return present


def revoke(
    ctx: ProviderContext,
    *,
    grant_ids: Sequence[str] = (),
    agent: str | None = None,
    expired: bool = False,
    everything: bool = False,
) -> list[RevokeResult]:
    """Select grants like :func:`select_grants` and revoke them; idempotent."""
    chosen = select_grants(
        Ledger(ctx.project_root).grants(),
        grant_ids=grant_ids,
        agent=agent,
        expired=expired,
        everything=everything,
        now=ctx.now,
    )
    results = revoke_grants(ctx, chosen)
    if agent is not None or everything:
        withdraw_passed(ctx, None if everything else agent)
    return results
