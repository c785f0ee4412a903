"""The provisioning framework: policy + source env -> plan -> grants in the ledger -> ``.env.ai``.

Every provider plugs in here through :mod:`agentauth.providers.base`. This module owns
the invariants that no provider should have to remember: the grant is in the ledger
(status pending) before the provider creates anything; ``.env.ai`` is written only
after every grant is active; an unexpired grant matching the policy is kept; a changed
one rotates (new grant first, old one revoked after); every issue, pass, drop and
revoke is in the audit log under the agent's name. It never prints and never exits.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from agentauth import providers
from agentauth.config import envfile, envwrite
from agentauth.config.policy import entry_digest, format_duration
from agentauth.engine.credentials import Judge
from agentauth.errors import AgentAuthError, ConfigError, ExitCode, ProviderError, did_you_mean
from agentauth.model import (
    Action,
    Applied,
    CredentialPolicy,
    Grant,
    GrantId,
    GrantStatus,
    Plan,
    PlanStep,
    Policy,
    RevokeResult,
    Secret,
)
from agentauth.providers.base import Prompter, ProviderContext
from agentauth.providers.kit import OptionError
from agentauth.redact import Scrubber, mask
from agentauth.service.sourceenv import classify, load_source_env
from agentauth.state import auditlog
from agentauth.state.ledger import Ledger
from agentauth.state.secretstore import SecretStore

__all__ = [
    "ENV_OUTPUTS",
    "ProvisionPlan",
    "ProvisionResult",
    "apply",
    "build_context",
    "forget",
    "live_grants",
    "load_source_env",
    "mint_for_run",
    "plan",
    "preflight",
    "revoke",
    "revoke_grants",
    "select_grants",
    "withdraw_passed",
]

ENV_OUTPUTS = "env_outputs"
"""Key the framework adds to ``Grant.objects``: the ``.env.ai`` variables the grant wrote."""
_RENEW_MARGIN = timedelta(minutes=5)
Progress = Callable[[str], None]


def _noop(_message: str) -> None:
    return None


def live_grants(grants: Sequence[Grant]) -> list[Grant]:
    """Return the grants that may still hold access: everything not revoked."""
    return [g for g in grants if g.status is not GrantStatus.REVOKED]


def build_context(
    project_root: Path,
    policy: Policy,
    *,
    source_env: Mapping[str, Secret] | None = None,
    environ: Mapping[str, str] | None = None,
    now: datetime | None = None,
    prompter: Prompter | None = None,
    store: SecretStore | None = None,
    warn: Callable[[str], None] | None = None,
) -> ProviderContext:
    """Assemble what providers may read; loads the source env unless given."""
    if source_env is None:
        source_env = load_source_env(project_root, policy, store)
    return ProviderContext(
        project_root=project_root,
        policy=policy,
        source_env=source_env,
        environ=dict(os.environ) if environ is None else environ,
        now=now or datetime.now(UTC),
        existing=tuple(live_grants(Ledger(project_root).grants())),
        prompter=prompter,
        store=store,
        warn=warn or _noop,
    )


# --------------------------------------------------------------------------- planning


@dataclass(frozen=True)
class EntryError:
    """Why one policy entry (or ``.env.ai`` itself) cannot be provisioned."""

    variable: str
    provider: str
    error: AgentAuthError

    @property
    def message(self) -> str:
        """The error's one message (already free of secrets: providers scrub them)."""
        return str(self.error)

    @property
    def manual(self) -> str | None:
        """What a more privileged human can run instead (a DBA's SQL), if the error says."""
        manual = getattr(self.error, "manual", None)
        return manual if isinstance(manual, str) else None


class PlanRefused(AgentAuthError):
    """Provisioning refused before anything was created: one line per failing entry."""

    def __init__(self, errors: Sequence[EntryError]) -> None:
        """Keep every error; the exit code is the first one's (2 for policy, 1 for providers)."""
        self.errors = tuple(errors)
        self.exit_code = errors[0].error.exit_code if errors else ExitCode.USAGE
        lines = [
            f"{e.variable}: {e.message}" if not e.message.startswith(e.variable) else e.message
            for e in errors
        ]
        super().__init__("; ".join(lines) + " (nothing was created)")


@dataclass(frozen=True)
class ProvisionPlan:
    """Everything ``provision`` will do, built without changing anything."""

    policy: Policy
    plans: tuple[Plan, ...]
    """One per ``provision`` entry, in policy order; ``keep`` plans change nothing."""
    env_names: tuple[str, ...]
    """The variables ``.env.ai`` will hold, in order."""
    passed: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()
    copied: tuple[str, ...] = ()
    """Unnamed variables copied because the audit says they are not credentials."""
    withheld: tuple[str, ...] = ()
    """Unnamed variables dropped because they are (or look like) credentials."""
    warnings: tuple[str, ...] = ()
    current: Mapping[str, Secret] = field(default_factory=dict, repr=False)
    """The values of the existing ``.env.ai`` (for keep and for the diff)."""
    errors: tuple[EntryError, ...] = ()
    """One per entry that cannot be provisioned (plan or preflight refused it)."""
    preflighted: bool = False
    """True once :func:`preflight` ran; :func:`apply` runs it when the caller did not."""

    def raise_errors(self) -> None:
        """Raise the errors as one AgentAuthError (exit code of the first), if there are any."""
        if len(self.errors) == 1:
            raise self.errors[0].error
        if self.errors:
            raise PlanRefused(self.errors)

    def env_diff(self) -> list[str]:
        """Return the ``.env.ai`` diff with every value masked (``+``, ``-``, ``~``, `` ``)."""
        kept = {n for p in self.plans if p.keep for n in p.outputs}
        fresh = {n for p in self.plans if not p.keep for n in p.outputs}
        lines = []
        for name in self.env_names:
            if name in fresh:
                marker = "~" if name in self.current else "+"
                lines.append(f"{marker} {name}=<new scoped credential>")
            elif name in kept:
                lines.append(f"  {name}={mask(self.current[name].reveal())} (kept)")
            elif name in self.current:
                lines.append(f"  {name}={mask(self.current[name].reveal())}")
            else:
                lines.append(f"+ {name}=***")
        lines.extend(f"- {name}" for name in self.current if name not in self.env_names)
        return lines


def _read_current(path: Path) -> dict[str, Secret]:
    if not path.exists():
        return {}
    try:
        entries = envfile.parse(envfile.read_text(path))
    except ConfigError:
        return {}
    return {k: Secret(v) for k, v in envfile.values(entries).items()}


def _matching_grant(
    entry: CredentialPolicy, digest: str, ctx: ProviderContext, current: Mapping[str, Secret]
) -> Grant | None:
    for grant in ctx.existing:
        if grant.agent != ctx.policy.agent or grant.variable != entry.variable:
            continue
        if grant.status is not GrantStatus.ACTIVE or grant.policy_digest != digest:
            continue
        if grant.expires is not None and grant.expires - _RENEW_MARGIN <= ctx.now:
            continue
        outputs = list(grant.objects.get(ENV_OUTPUTS, []))
        if outputs and all(name in current for name in outputs):
            return grant
    return None


def _previous(entry: CredentialPolicy, ctx: ProviderContext) -> list[Grant]:
    return [
        g
        for g in ctx.existing
        if g.agent == ctx.policy.agent
        and g.variable == entry.variable
        and g.status is not GrantStatus.REVOKED
    ]


def plan(policy: Policy, ctx: ProviderContext) -> ProvisionPlan:
    """Validate every entry and ask each provider for its plan; changes nothing.

    A failing entry does not stop the others: its error is kept in
    :attr:`ProvisionPlan.errors` (option errors located in ``policy.path``), so
    ``--dry-run`` shows the whole plan with one error per failing entry, and
    :func:`apply` refuses to start while any is left. The output path is checked
    first, so a destructive ``output:`` is refused before any provider creates
    anything (and by ``--dry-run`` too).
    """
    root = ctx.project_root
    envwrite.check_output(root / policy.output, root, source=root / policy.source)
    current = _read_current(ctx.project_root / policy.output)
    named = {e.variable: e for e in policy.credentials}
    warnings: list[str] = []
    plans: list[Plan] = []
    errors: list[EntryError] = []
    for entry in policy.credentials:
        if entry.action is not Action.PROVISION or entry.provider is None:
            if entry.action is Action.PASS and entry.variable not in ctx.source_env:
                warnings.append(
                    f"{entry.variable}: the policy says pass, but {policy.source} has no such "
                    f"variable{did_you_mean(entry.variable, ctx.source_env)}"
                )
            continue
        try:
            made = _plan_entry(entry, policy, ctx, current)
        except AgentAuthError as exc:
            errors.append(_entry_error(entry.variable, entry.provider, exc, policy))
            continue
        plans.append(made)
        warnings.extend(f"{entry.variable}: {w}" for w in made.warnings)

    judge = Judge(policy.source)
    order: dict[str, None] = {}
    passed, dropped, copied, withheld = [], [], [], []
    outputs_by_var = {p.variable: p.outputs for p in plans}
    for name, value in ctx.source_env.items():
        entry_for = named.get(name)
        if entry_for is None:
            if classify(judge, name, value).credential:
                withheld.append(name)
            else:
                copied.append(name)
                order[name] = None
        elif entry_for.action is Action.PASS:
            passed.append(name)
            order[name] = None
        elif entry_for.action is Action.DROP:
            dropped.append(name)
        else:
            order.update(dict.fromkeys(outputs_by_var.get(name, ())))
    for p in plans:
        order.update(dict.fromkeys(p.outputs))
    return ProvisionPlan(
        policy=policy,
        plans=tuple(plans),
        env_names=tuple(order),
        passed=tuple(passed),
        dropped=tuple(dropped),
        copied=tuple(copied),
        withheld=tuple(withheld),
        warnings=tuple(warnings),
        current=current,
        errors=tuple(errors),
    )


def _with_endpoint(digest: str, admin: Secret | None) -> str:
    """Fold the admin URL's host, port and database (never its user or password) into the digest.

    Pointing the admin URL at another server or database must rotate the grant, not keep
    the one that lives on the old server (issue 15).
    """
    from urllib.parse import urlsplit

    if admin is None or "://" not in admin.reveal():
        return digest
    try:
        parts = urlsplit(admin.reveal().strip())
        where = f"{parts.scheme}|{(parts.hostname or '').lower()}|{parts.port}|{parts.path}"
    except ValueError:
        return digest
    return hashlib.sha256(f"{digest}|{where}".encode()).hexdigest()[:24]


def _plan_entry(
    entry: CredentialPolicy, policy: Policy, ctx: ProviderContext, current: Mapping[str, Secret]
) -> Plan:
    """Plan one entry; the framework alone stamps the digest, the status and what it replaces."""
    assert entry.provider is not None
    provider = providers.get(entry.provider)
    checked = provider.validate(entry)
    digest = _with_endpoint(entry_digest(checked, policy), ctx.source_env.get(entry.variable))
    kept = _matching_grant(checked, digest, ctx, current)
    if kept is not None:
        return _keep_plan(kept)
    made = provider.plan(checked, ctx)
    previous = _previous(checked, ctx)
    grant = dataclasses.replace(made.grant, status=GrantStatus.PENDING, policy_digest=digest)
    return dataclasses.replace(made, grant=grant, replaces=previous[-1].id if previous else None)


def _entry_error(variable: str, provider: str, exc: AgentAuthError, policy: Policy) -> EntryError:
    if isinstance(exc, OptionError):
        exc = exc.located(policy.path)
    return EntryError(variable, provider, exc)


def preflight(pplan: ProvisionPlan, ctx: ProviderContext) -> ProvisionPlan:
    """Check every precondition before anything is created; return the plan with its errors.

    The framework's own check (git must not track ``.env.ai``) and each provider's
    :meth:`~agentauth.providers.base.Provider.preflight` (admin rights, a usable
    keyring, a prompt for pasted tokens) run for every plan that changes something;
    ``--dry-run`` runs exactly these, and :func:`apply` refuses while any failed.
    """
    errors = list(pplan.errors)
    policy = pplan.policy
    changing = [p for p in pplan.plans if not p.keep]
    if changing or pplan.env_names:
        try:
            envwrite.refuse_tracked(ctx.project_root / policy.output, ctx.project_root)
        except AgentAuthError as exc:
            errors.append(EntryError(policy.output, "agentauth", exc))
    for p in changing:
        try:
            providers.get(p.provider).preflight(p, ctx)
        except AgentAuthError as exc:
            errors.append(_entry_error(p.variable, p.provider, exc, policy))
    return dataclasses.replace(pplan, errors=tuple(errors), preflighted=True)


def _keep_plan(grant: Grant) -> Plan:
    expires = grant.expires.isoformat(timespec="seconds") if grant.expires else "never"
    return Plan(
        variable=grant.variable,
        provider=grant.provider,
        grant=grant,
        steps=(PlanStep(f"keep grant {grant.id}: {grant.scope} (expires {expires})"),),
        outputs=tuple(grant.objects.get(ENV_OUTPUTS, ())),
        keep=True,
    )


# --------------------------------------------------------------------------- applying


@dataclass(frozen=True)
class ProvisionResult:
    """What ``apply`` did: grants created and kept, rotations, the file written."""

    created: tuple[Grant, ...]
    kept: tuple[Grant, ...]
    rotated: tuple[RevokeResult, ...]
    env_path: Path
    written: tuple[str, ...]
    notes: tuple[str, ...] = ()


def _header(policy: Policy, grants: Sequence[Grant], now: datetime) -> str:
    expiries = [g.expires for g in grants if g.expires is not None]
    expires = min(expiries).isoformat(timespec="seconds") if expiries else "-"
    return "\n".join(
        [
            f"Scoped credentials for agent {policy.agent!r}, written by agentauth.",
            "Do not commit or edit this file; it is regenerated by `agentauth provision`.",
            f"created: {now.isoformat(timespec='seconds')}  expires: {expires}"
            f"  (ttl {format_duration(policy.ttl_seconds)})",
            f"source: {policy.source} (never modified)  policy: {policy.path}",
            f"revoke: agentauth revoke --agent {policy.agent}",
        ]
    )


def _apply_plans(
    pplan: ProvisionPlan,
    ctx: ProviderContext,
    say: Progress,
    created: list[Grant],
    kept: list[Grant],
) -> dict[str, Secret]:
    """Apply each plan, ledger first; fill ``created``/``kept`` as it goes (for rollback)."""
    policy = pplan.policy
    root = ctx.project_root
    ledger = Ledger(root)
    scrub = Scrubber(ctx.source_env.values())
    env: dict[str, Secret] = {}
    for p in pplan.plans:
        provider = providers.get(p.provider)
        if p.keep:
            kept.append(p.grant)
            env.update({n: pplan.current[n] for n in p.outputs})
            # NOTE: a kept grant of a provider that mints (AWS sessions, GitHub App tokens)
            # may have short-lived values in .env.ai that expired long ago: refresh them.
            refreshed = provider.mint(p.grant, ctx)
            if refreshed is not None:
                env.update(refreshed.env)
                say(f"{p.variable}: minted fresh short-lived credentials (grant {p.grant.id})")
                auditlog.append(
                    root,
                    "mint",
                    agent=policy.agent,
                    grant=p.grant.id,
                    provider=p.provider,
                    variable=p.variable,
                    outputs=list(refreshed.env),
                    reason="provision: kept grant",
                )
            continue
        ledger.put(p.grant)
        say(f"{p.variable}: applying {p.provider} plan (grant {p.grant.id})")
        try:
            applied: Applied = provider.apply(p, ctx)
        except Exception as exc:
            message = scrub(str(exc))
            ledger.put(dataclasses.replace(p.grant, error=message))
            auditlog.append(
                root,
                "provision",
                agent=policy.agent,
                grant=p.grant.id,
                provider=p.provider,
                variable=p.variable,
                objects=p.grant.objects,  # names only (never secrets): what may exist now
                ok=False,
                error=message,
            )
            if isinstance(exc, AgentAuthError):
                raise
            raise ProviderError(
                f"{p.variable}: {p.provider} failed while applying ({type(exc).__name__}: "
                f"{message}); grant {p.grant.id} is in the ledger: run `agentauth revoke "
                f"{p.grant.id}` to clean up"
            ) from exc
        grant = dataclasses.replace(
            applied.grant,
            status=GrantStatus.ACTIVE,
            objects={**applied.grant.objects, ENV_OUTPUTS: list(applied.env)},
            error=None,
        )
        ledger.put(grant)
        created.append(grant)
        env.update(applied.env)
        auditlog.append(
            root,
            "provision",
            agent=policy.agent,
            grant=grant.id,
            provider=grant.provider,
            variable=grant.variable,
            scope=grant.scope,
            expires=grant.expires,
            outputs=list(applied.env),
            replaces=p.replaces,
            # NOTE: the created object names (role, user, server; never secrets), so the log
            # alone can find what a lost ledger no longer lists (issue 15).
            objects={k: v for k, v in grant.objects.items() if k != ENV_OUTPUTS},
            ok=True,
        )
    return env


def apply(
    pplan: ProvisionPlan, ctx: ProviderContext, *, progress: Progress | None = None
) -> ProvisionResult:
    """Preflight, apply every plan (ledger first), write ``.env.ai``, revoke what rotated.

    Nothing is created unless every preflight passed. A failure after something was
    created revokes the grants this run created (the agent never received them); the
    failing provider undoes its own partial work, and its grant stays in the ledger
    (pending, with the error) so that ``agentauth revoke`` can finish if that failed
    too. ``.env.ai`` is then not written and the error is re-raised.
    """
    say = progress or _noop
    if not pplan.preflighted:
        pplan = preflight(pplan, ctx)
    pplan.raise_errors()
    policy = pplan.policy
    root = ctx.project_root
    ledger = Ledger(root)
    created: list[Grant] = []
    kept: list[Grant] = []
    try:
        env = _apply_plans(pplan, ctx, say, created, kept)
        values: list[tuple[str, str | Secret]] = []
        for name in pplan.env_names:
            if name in env:
                values.append((name, env[name]))
            elif name in ctx.source_env:
                values.append((name, ctx.source_env[name]))
        out = root / policy.output
        say(f"writing {policy.output} ({len(values)} variables)")
        envwrite.write_env_ai(
            out,
            values,
            _header(policy, [*created, *kept], ctx.now),
            project_root=root,
            source=root / policy.source,
        )
    except BaseException:
        if created:
            # NOTE: nothing may outlive a refused run: what this run created is revoked
            # (the agent never received it), and the old .env.ai is left as it was.
            say(f"rolling back {len(created)} grant(s) created by this run")
            revoke_grants(ctx, created, event_reason="rollback", strip=False)
        raise
    for name in pplan.passed:
        auditlog.append(root, "pass", agent=policy.agent, variable=name, reason="policy: pass")
    for name in pplan.dropped:
        auditlog.append(root, "drop", agent=policy.agent, variable=name, reason="policy: drop")
    for name in pplan.withheld:
        auditlog.append(
            root, "drop", agent=policy.agent, variable=name, reason="not in policy; a credential"
        )
    rotated: list[RevokeResult] = []
    new_ids = {g.id for g in created} | {g.id for g in kept}
    # NOTE: only grants that existed when the plan was made are replaced: one made
    # since by another run is not ours to revoke. Kept plans are swept too: after a
    # killed rotation both grants stayed active, and only the kept one may remain.
    planned = {g.id for g in ctx.existing}
    for p in pplan.plans:
        stale = [
            g
            for g in live_grants(ledger.grants())
            if g.agent == policy.agent
            and g.variable == p.variable
            and g.id not in new_ids
            and g.id in planned
        ]
        if stale:
            say(f"{p.variable}: revoking {len(stale)} replaced grant(s)")
            rotated.extend(
                revoke_grants(ctx, stale, event_reason="rotated", protect=set(pplan.env_names))
            )
    return ProvisionResult(
        created=tuple(created),
        kept=tuple(kept),
        rotated=tuple(rotated),
        env_path=out,
        written=tuple(name for name, _ in values),
    )


# --------------------------------------------------------------------------- revoking


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
    from agentauth.service.delegate import with_descendants

    # NOTE: revoking a parent revokes every grant delegated from it (issue 12).
    return with_descendants(chosen.values(), grants)


def _strip_env_ai(ctx: ProviderContext, names: Sequence[str]) -> None:
    """Remove revoked credentials from ``.env.ai`` so the agent does not keep dead values."""
    path = ctx.project_root / ctx.policy.output
    current = _read_current(path)
    if not current or not any(n in current for n in names):
        return
    remaining = [(k, v) for k, v in current.items() if k not in names]
    header = "\n".join(
        [
            f"Scoped credentials for agent {ctx.policy.agent!r}, written by agentauth.",
            f"Revoked {', '.join(n for n in names if n in current)} on "
            f"{ctx.now.isoformat(timespec='seconds')}.",
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
    scrub = Scrubber(ctx.source_env.values())
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
            None if revoked else ("not revoked: " if result.still_valid else "") + result.message
        )
        ledger.put(dataclasses.replace(grant, status=status, error=error))
        auditlog.append(
            ctx.project_root,
            "revoke",
            agent=grant.agent,
            grant=grant.id,
            provider=grant.provider,
            variable=grant.variable,
            ok=revoked,
            still_valid=result.still_valid,
            reason=event_reason,
            message=result.message,
            manual=result.manual,
        )
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
        auditlog.append(
            ctx.project_root,
            "revoke",
            agent=grant.agent,
            grant=grant.id,
            provider=grant.provider,
            variable=grant.variable,
            ok=True,
            reason="forget",
            message="closed by hand: the provider was not called",
        )
        _strip_env_ai(ctx, list(grant.objects.get(ENV_OUTPUTS, [])))
        results.append(
            RevokeResult(grant.id, True, "forgotten: closed in the ledger, provider not called")
        )
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
    current = _read_current(ctx.project_root / ctx.policy.output)
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


# --------------------------------------------------------------------------- minting


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
    try:
        expiry = datetime.fromisoformat(value.reveal().strip().replace("Z", "+00:00"))
    except ValueError:
        return False
    if expiry.tzinfo is None:
        expiry = expiry.replace(tzinfo=UTC)
    return expiry - _RENEW_MARGIN > now


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
    auditlog.append(
        project_root,
        "mint",
        agent=grant.agent,
        grant=grant.id,
        provider=grant.provider,
        variables=list(applied.env),
        reason=reason,
    )
    return dict(applied.env)


def mint_for_run(project_root: Path, policy: Policy, ctx: ProviderContext) -> dict[str, Secret]:
    """Mint fresh short-lived credentials for one run of the agent (AWS sessions, GitHub tokens).

    Only active, unexpired grants of ``policy.agent`` are asked, and not those whose
    values in ``.env.ai`` are still fresh (their ``expiry_variable`` more than five
    minutes away): one grant needing a token must not re-mint every other one.
    Providers whose credentials live in ``.env.ai`` return None from ``mint``.
    """
    current = _read_current(project_root / policy.output)
    minted: dict[str, Secret] = {}
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
        auditlog.append(
            project_root,
            "mint",
            agent=policy.agent,
            grant=grant.id,
            provider=grant.provider,
            variables=list(applied.env),
            expires=applied.grant.expires,
        )
    return minted
