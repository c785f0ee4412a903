"""Planning: policy + source env -> one provider plan per entry, checked before anything exists.

:func:`plan` validates every entry and asks its provider for a plan (or keeps a
matching grant); :func:`preflight` runs every precondition. Neither changes anything,
so ``provision --dry-run`` is exactly these two.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from agentauth import providers
from agentauth.config import envwrite
from agentauth.config.policy import entry_digest
from agentauth.engine.credentials import Judge
from agentauth.errors import AgentAuthError, ConfigError, ExitCode, did_you_mean
from agentauth.model import (
    Action,
    CredentialPolicy,
    Grant,
    GrantStatus,
    Plan,
    PlanStep,
    Policy,
    Secret,
)
from agentauth.providers.base import ProviderContext
from agentauth.providers.kit import OptionError
from agentauth.redact import mask
from agentauth.service.context import ENV_OUTPUTS, RENEW_MARGIN, current_values
from agentauth.service.sourceenv import classify

__all__ = ["EntryError", "PlanRefused", "ProvisionPlan", "plan", "preflight"]


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

    @property
    def in_policy(self) -> bool:
        """True for a mistake in the configuration (an unknown option), not in the world.

        Why: ``--dry-run`` shows the plan beside an unreachable database's error, but a
        policy that does not parse has no plan to show (it printed an empty one).
        """
        return isinstance(self.error, ConfigError)


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
                # NOTE: a setting a provider also writes (AWS_REGION) is listed as copied:
                # calling it a credential here contradicted that line.
                copied = name in self.copied
                what = "*** (copied, not a credential)" if copied else "<new scoped credential>"
                lines.append(f"{marker} {name}={what}")
            elif name in kept:
                lines.append(f"  {name}={mask(self.current[name].reveal())} (kept)")
            elif name in self.current:
                lines.append(f"  {name}={mask(self.current[name].reveal())}")
            else:
                lines.append(f"+ {name}=***")
        lines.extend(f"- {name}" for name in self.current if name not in self.env_names)
        return lines


def _matching_grant(
    entry: CredentialPolicy, digest: str, ctx: ProviderContext, current: Mapping[str, Secret]
) -> Grant | None:
    for grant in ctx.existing:
        if grant.agent != ctx.policy.agent or grant.variable != entry.variable:
            continue
        if grant.status is not GrantStatus.ACTIVE or grant.policy_digest != digest:
            continue
        if grant.expires is not None and grant.expires - RENEW_MARGIN <= ctx.now:
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
    current = current_values(ctx.project_root / policy.output)
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


_ENDPOINT_KEYS = ("host", "hostaddr", "port", "dbname")
"""The connection parameters that say where (never who): libpq's names, in URLs' queries too."""
_PAIR = re.compile(r"\s*(\w+)\s*=\s*('(?:[^'\\]|\\.)*'|(?:[^\s'\\]|\\.)+)\s*")


def _conninfo_pairs(text: str) -> dict[str, str]:
    """libpq's ``key=value`` form as a dict (quotes and backslashes undone); {} if it is not one."""
    pairs: dict[str, str] = {}
    at = 0
    while at < len(text):
        match = _PAIR.match(text, at)
        if match is None:
            return {}
        raw = match.group(2)
        raw = raw[1:-1] if raw.startswith("'") else raw
        pairs[match.group(1).lower()] = re.sub(r"\\(.)", r"\1", raw)
        at = match.end()
    return pairs


def _where(admin: str) -> str | None:
    """Host, port and database of an admin URL or ``key=value`` DSN; None when it names none."""
    from urllib.parse import parse_qsl, urlsplit

    text = admin.strip()
    if "://" in text:
        try:
            parts = urlsplit(text)
            where = f"{parts.scheme}|{(parts.hostname or '').lower()}|{parts.port}|{parts.path}"
        except ValueError:
            return None
        query = dict(parse_qsl(parts.query))
        # NOTE: appended only when present, so the digest of a plain URL is unchanged.
        extra = [f"{k}={query[k]}" for k in _ENDPOINT_KEYS if k in query]
        return "|".join([where, *extra])
    pairs = _conninfo_pairs(text)
    if not any(k in pairs for k in _ENDPOINT_KEYS):
        return None
    return "kv|" + "|".join(f"{k}={pairs.get(k, '').lower()}" for k in _ENDPOINT_KEYS)


def _with_endpoint(digest: str, admin: Secret | None) -> str:
    """Fold the admin credential's host, port and database (never its user or password) in.

    Pointing the admin URL (or a libpq ``host=... dbname=...`` DSN) at another server or
    database must rotate the grant, not keep the one that lives on the old server
    (issue 15). A value that names no endpoint (an API key) leaves the digest as it is.
    """
    where = None if admin is None else _where(admin.reveal())
    if where is None:
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
