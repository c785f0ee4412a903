"""The GitHub provider: tokens that can do only the agent's job, on only its repositories.

Two paths behind one policy entry: ``mode: app`` mints one-hour GitHub App
installation tokens restricted to repositories and permissions (``github_app``);
``mode: pat`` guides the human through a pre-filled fine-grained token and keeps
the pasted token in the keyring (``github_pat``). ``verify`` lives in ``github_verify``.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import timedelta
from typing import ClassVar

from agentauth.model import (
    Applied,
    CredentialPolicy,
    Finding,
    Grant,
    GrantId,
    GrantStatus,
    Plan,
    RevokeResult,
    Verification,
)
from agentauth.providers.base import ProviderContext, VerifyContext
from agentauth.providers.github import app as github_app
from agentauth.providers.github import pat as github_pat
from agentauth.providers.github import verify as github_verify
from agentauth.providers.github.options import PRESETS as PRESETS
from agentauth.providers.github.options import GitHubOptions, normalise, parse, pat_days

__all__ = ["PRESETS", "PROVIDER", "GitHubProvider"]


def _digest(entry: CredentialPolicy, ctx: ProviderContext) -> str:
    from agentauth.config.policy import entry_digest

    return entry_digest(entry, ctx.policy)


class GitHubProvider:
    """The :class:`agentauth.providers.base.Provider` for ``provider: github``."""

    name: ClassVar[str] = "github"

    def validate(self, entry: CredentialPolicy) -> CredentialPolicy:
        """Check repositories, permissions and the mode's keys; store the canonical options."""
        return replace(entry, options=normalise(parse(entry)))

    def verify(self, finding: Finding, ctx: VerifyContext) -> Verification:
        """Ask GitHub what a found token can do (scopes, probes); "unknown" on failure."""
        return github_verify.verify(finding, ctx)

    def plan(self, entry: CredentialPolicy, ctx: ProviderContext) -> Plan:
        """Show the permissions and repositories requested; no network, nothing created."""
        opts = parse(entry)
        digest = _digest(entry, ctx)
        # NOTE(F): keeping an unchanged, unexpired grant is the framework's decision
        # (service.provision); here we only name the grant a new one replaces.
        current = [
            g
            for g in ctx.existing
            if g.provider == self.name
            and g.variable == entry.variable
            and g.status is not GrantStatus.REVOKED
        ]
        grant_id = GrantId(f"github-{secrets.token_hex(4)}")
        if opts.mode == "app":
            steps, warnings = github_app.plan_steps(opts, ctx)
            objects = github_app.objects(opts)
            expires = ctx.now + timedelta(seconds=ctx.policy.ttl_seconds)
            manual = None
        else:
            steps, warnings, manual = github_pat.plan_steps(opts, ctx, entry.variable)
            objects = github_pat.objects(opts, ctx, grant_id, entry.variable)
            expires = ctx.now + timedelta(days=pat_days(opts, ctx.policy.ttl_seconds))
        grant = Grant(
            id=grant_id,
            agent=ctx.policy.agent,
            provider=self.name,
            variable=entry.variable,
            created=ctx.now,
            expires=expires,
            status=GrantStatus.PENDING,
            scope=opts.scope(),
            objects=objects,
            revocable=opts.mode == "app",
            policy_digest=digest,
        )
        return Plan(
            variable=entry.variable,
            provider=self.name,
            grant=grant,
            steps=tuple(steps),
            outputs=(entry.variable,),
            warnings=tuple(warnings),
            replaces=current[-1].id if current else None,
            manual=manual,
            private={"options": opts},
        )

    def apply(self, plan: Plan, ctx: ProviderContext) -> Applied:
        """Mint the installation token (app) or read and check the pasted token (pat)."""
        opts = plan.private.get("options")
        if not isinstance(opts, GitHubOptions):
            raise TypeError("a GitHub plan must come from GitHubProvider.plan")
        if opts.mode == "app":
            return github_app.apply(plan, opts, ctx)
        return github_pat.apply(plan, opts, ctx)

    def mint(self, grant: Grant, ctx: ProviderContext) -> Applied | None:
        """Mint a fresh one-hour token for ``agentauth run`` (app grants); None for a PAT."""
        if grant.objects.get("mode") != "app" or grant.status is not GrantStatus.ACTIVE:
            return None
        return github_app.mint(grant, ctx)

    def revoke(self, grant: Grant, ctx: ProviderContext) -> RevokeResult:
        """Delete the kept installation tokens (app), or forget the PAT and say where to delete."""
        if grant.objects.get("mode") == "app":
            return github_app.revoke(grant, ctx)
        return github_pat.revoke(grant, ctx)


PROVIDER = GitHubProvider()
