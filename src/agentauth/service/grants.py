"""The read side of provisioning, and revocation, as the CLI asks for them: one home for each.

``status``, ``revoke`` and ``log`` used to read the ledger and the audit log and
build provider contexts in the CLI; they are use cases, so they live here. Every
function takes the project root (found by the one project-root rule) and returns
model objects; the CLI renders them (``report/grants`` for JSON).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from agentauth.model import Grant, GrantStatus, Policy, RevokeResult
from agentauth.providers.base import Prompter, ProviderContext
from agentauth.secret import Secret
from agentauth.state.auditlog import CHAIN_FIELDS
from agentauth.state.secretstore import SecretStore

if TYPE_CHECKING:
    from agentauth.state.ledger import ProjectGrants

__all__ = ["CHAIN_FIELDS", "events", "every_project", "grants", "load", "policy_path",
           "provision_context", "revoke", "select", "visible"]  # fmt: skip


def policy_path(root: Path, policy: Path | None) -> Path:
    """The policy file a command uses: ``--policy`` as given, else the project's."""
    from agentauth.project import POLICY_FILE

    return policy if policy is not None else root / POLICY_FILE


def load(root: Path, policy: Path | None) -> Policy:
    """Load the policy a command uses (ConfigError names the file actually read)."""
    from agentauth.config.policy import load_policy

    return load_policy(policy_path(root, policy))


def visible(found: Sequence[Grant], *, include_revoked: bool = False) -> list[Grant]:
    """The grants ``status`` shows: all of them with ``--all``, else the unrevoked ones."""
    if include_revoked:
        return list(found)
    return [g for g in found if g.status is not GrantStatus.REVOKED]


def grants(root: Path, *, include_revoked: bool = False) -> list[Grant]:
    """The project's grants from the ledger (revoked ones only when asked)."""
    from agentauth.state.ledger import Ledger

    return visible(Ledger(root).grants(), include_revoked=include_revoked)


def every_project() -> list[ProjectGrants]:
    """Every project's grants on this machine (``status --all-projects``)."""
    from agentauth.state.ledger import every_project as every

    return every()


def events(
    root: Path, *, agent: str | None = None, event: str | None = None, limit: int = 0
) -> list[dict[str, Any]]:
    """The audit log's events, oldest first: one agent's, one kind, the last ``limit`` (0 = all)."""
    from agentauth.state import auditlog

    found = auditlog.read(root)
    if agent:
        found = [e for e in found if e.get("agent") == agent]
    if event:
        found = [e for e in found if e.get("event") == event]
    return found[-limit:] if limit else found


def provision_context(
    root: Path, policy: Policy, *, prompter: Prompter | None, store: SecretStore | None,
    warn: Callable[[str], None],
) -> ProviderContext:  # fmt: skip
    """The providers' context for ``provision`` (the source env loaded through the store)."""
    from agentauth.service.provision import build_context

    return build_context(root, policy, prompter=prompter, store=store, warn=warn)


def select(
    root: Path, *, grant_ids: Sequence[str], agent: str | None, expired: bool, everything: bool
) -> list[Grant]:
    """The grants one ``revoke`` invocation names (unknown ids are a ConfigError)."""
    from agentauth.service.provision import select_grants
    from agentauth.state.ledger import Ledger

    return select_grants(Ledger(root).grants(), grant_ids=grant_ids, agent=agent,
                         expired=expired, everything=everything)  # fmt: skip


def _fallback_policy() -> Policy:
    """A policy with defaults, for revoking in a project whose policy file is gone."""
    return Policy(agent="-", source=".env", output=".env.ai", ttl_seconds=3600, credentials=())


class RevokeOutcome(NamedTuple):
    """What one ``revoke`` did: per-grant results, ``pass`` values withdrawn, the env file."""

    results: list[RevokeResult]
    withdrawn: list[str]
    env_file: str


def revoke(
    root: Path, policy_file: Path | None, chosen: Sequence[Grant], *,
    store: SecretStore | None, warn: Callable[[str], None],
    learn: Callable[[Secret], None] = lambda _s: None,
    forget_ids: Sequence[str] | None = None, withdraw: bool = False, agent: str | None = None,
) -> RevokeOutcome:  # fmt: skip
    """Revoke ``chosen`` (or, with ``forget_ids``, close them without calling the provider).

    With ``withdraw``, the ``pass`` values of ``agent`` (every agent when None) leave
    ``.env.ai`` too. The project's policy is used when there is one (revoke must
    always work); ``learn`` is told every secret value the context loaded
    (:func:`~agentauth.service.context.secret_values`), so the caller can scrub them
    from any message it prints.
    """
    from agentauth.config.policy import load_policy
    from agentauth.service.context import secret_values
    from agentauth.service.provision import build_context, forget, revoke_grants, withdraw_passed

    path = policy_path(root, policy_file)
    policy = load_policy(path) if path.exists() else _fallback_policy()
    source_env: dict[str, Secret] | None = None if (root / policy.source).exists() else {}
    ctx = build_context(root, policy, source_env=source_env, store=store, warn=warn)
    for value in secret_values(ctx):
        learn(value)
    results = forget(ctx, forget_ids) if forget_ids is not None else revoke_grants(ctx, chosen)
    withdrawn = withdraw_passed(ctx, agent) if withdraw else []
    return RevokeOutcome(list(results), list(withdrawn), ctx.policy.output)
