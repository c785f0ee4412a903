"""The GitHub provider: tokens that can do only the agent's job, on only its repositories.

Two paths behind one policy entry: ``mode: app`` mints one-hour GitHub App
installation tokens restricted to repositories and permissions (``github_app``);
``mode: pat`` guides the human through a pre-filled fine-grained token and keeps
the pasted token in the keyring (``github_pat``). ``verify`` lives in ``github_verify``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from typing import ClassVar

from agentauth.model import (
    Applied,
    CredentialPolicy,
    Finding,
    Grant,
    GrantStatus,
    Plan,
    RevokeResult,
    Verification,
)
from agentauth.providers import http as brokered
from agentauth.providers import kit
from agentauth.providers.base import Provider, ProviderContext, VerifyContext
from agentauth.providers.github import app as github_app
from agentauth.providers.github import pat as github_pat
from agentauth.providers.github import verify as github_verify
from agentauth.providers.github.delegate import NARROWING, GitHubNarrowing
from agentauth.providers.github.options import (
    PRESETS,
    GitHubOptions,
    brokered_app,
    normalise,
    parse,
    pat_days,
)

__all__ = ["PROVIDER", "GitHubProvider"]


def _options(plan: Plan) -> GitHubOptions:
    opts = plan.private.get("options")
    if not isinstance(opts, GitHubOptions):
        raise TypeError("a GitHub plan must come from GitHubProvider.plan")
    return opts


class GitHubProvider:
    """The :class:`agentauth.providers.base.Provider` for ``provider: github``."""

    name: ClassVar[str] = "github"
    presets: ClassVar[Mapping[str, Mapping[str, object]]] = PRESETS
    narrowing: ClassVar[GitHubNarrowing] = NARROWING
    """A sub-agent's own installation token on a subset (``agentauth delegate``)."""

    def validate(self, entry: CredentialPolicy) -> CredentialPolicy:
        """Check repositories, permissions and the mode's keys; store the canonical options."""
        if entry.options.get("mode") == "broker":  # the key stays in the broker
            brokered_app(entry)  # an App named here must be complete: the broker mints with it
            return brokered.validate_brokered(entry)
        return replace(entry, options=normalise(parse(entry)))

    def verify(self, finding: Finding, ctx: VerifyContext) -> Verification:
        """Ask GitHub what a found token can do (scopes, probes); "unknown" on failure."""
        return github_verify.verify(finding, ctx)

    def plan(self, entry: CredentialPolicy, ctx: ProviderContext) -> Plan:
        """Show the permissions and repositories requested; no network, nothing created."""
        if entry.options.get("mode") == "broker":
            return brokered.plan_brokered(entry, ctx, pasted=brokered_app(entry) is None)
        opts = parse(entry)
        grant_id = kit.new_grant_id(self.name)
        if opts.mode == "app":
            steps, warnings = github_app.plan_steps(opts, ctx)
            objects = github_app.objects(opts)
            until = None
            manual = None
        else:
            steps, warnings, manual = github_pat.plan_steps(opts, ctx, entry.variable)
            objects = github_pat.objects(opts, ctx, grant_id, entry.variable)
            until = ctx.now + timedelta(days=pat_days(opts, ctx.policy.ttl_seconds))
        grant = kit.pending_grant(
            entry,
            ctx,
            scope=opts.scope(),
            objects=objects,
            # NOTE: a pasted PAT is revoked through POST /credentials/revoke, as an App token
            # through DELETE /installation/token: both are revocable by agentauth.
            revocable=True,
            until=until,
            grant_id=grant_id,
        )
        return Plan(
            variable=entry.variable,
            provider=self.name,
            grant=grant,
            steps=tuple(steps),
            outputs=(entry.variable,),
            warnings=tuple(warnings),
            manual=manual,
            private={"options": opts},
        )

    def preflight(self, plan: Plan, ctx: ProviderContext) -> None:
        """App: the private key resolves and the keyring answers; PAT: a prompt and a keyring."""
        if plan.grant.objects.get("brokered"):
            return
        opts = _options(plan)
        if opts.mode == "app":
            github_app.preflight(plan, opts, ctx)
        else:
            github_pat.preflight(plan, ctx)

    def apply(self, plan: Plan, ctx: ProviderContext) -> Applied:
        """Mint the installation token (app) or read and check the pasted token (pat)."""
        if plan.grant.objects.get("brokered"):
            return brokered.apply_brokered(plan)
        opts = _options(plan)
        if opts.mode == "app":
            return github_app.apply(plan, opts, ctx)
        return github_pat.apply(plan, opts, ctx)

    def mint(self, grant: Grant, ctx: ProviderContext) -> Applied | None:
        """Mint a fresh one-hour token for ``agentauth run`` (app grants); None for a PAT."""
        if grant.objects.get("brokered"):
            return None
        if grant.objects.get("mode") != "app" or grant.status is not GrantStatus.ACTIVE:
            return None
        return github_app.mint(grant, ctx)

    def revoke(self, grant: Grant, ctx: ProviderContext) -> RevokeResult:
        """Delete the kept installation tokens (app), or forget the PAT and say where to delete."""
        if grant.objects.get("brokered"):
            return brokered.revoke_brokered(grant)
        if grant.objects.get("mode") == "app":
            return github_app.revoke(grant, ctx)
        return github_pat.revoke(grant, ctx)


PROVIDER: Provider = GitHubProvider()
