"""Delegating AWS: the sub-agent gets an STS session of its parent's role, narrowed by policy.

``--only AWS=s3:GetObject,arn:aws:s3:::reports/*`` lists IAM actions and resource
ARNs (items starting ``arn:``; either kind may be left out to keep the parent's). Each
must lie inside one of the parent's (:func:`agentauth.providers.subset.glob_covers`;
actions compare case-insensitively), checked before AWS is called. The child's session
is ``sts:AssumeRole`` of the parent's role (agentauth's own role, or the developer's
own for a scoped-session parent) with the session policy = the requested actions on
the requested resources under the parent's conditions, so what it may do is the
intersection of that and the role's policy. A long-lived IAM-user parent has no role
to narrow a session of, and is refused.

Revoking the child alone puts a deny on the parent's role for the child's session name
(``aws:userid`` ends with it); revoking the parent deletes its role, which ends every
child session with it. A scoped-session parent's role is the developer's own: agentauth
does not edit it, so such a child session can only be outlived (at most an hour).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from agentauth.errors import AgentAuthError, ConfigError
from agentauth.model import Applied, CredentialPolicy, Grant, GrantStatus, RevokeResult
from agentauth.providers import kit
from agentauth.providers.aws import limits
from agentauth.providers.aws import policy as ap
from agentauth.providers.aws.client import ClientHook, call, grant_connection
from agentauth.providers.aws.options import parse_options
from agentauth.providers.aws.sts import remaining, session_env
from agentauth.providers.base import ExceedsParent, ProviderContext, SubsetNarrowing
from agentauth.providers.subset import glob_covers

MODE = "delegated-session"
"""``objects["mode"]`` of a child grant: a session of the parent's role, nothing in IAM."""
# session_name keeps 64 - len("agentauth--") - 16 characters of the agent's name
NAME_ROOM = 37


def child_policy(entry: CredentialPolicy) -> dict[str, Any]:
    """The exact session policy document a child of ``entry`` (narrowed options) gets."""
    return ap.permission_policy(parse_options(entry))


def deny_policy(session: str) -> dict[str, Any]:
    """Deny everything to the role session named ``session`` (and to nobody else)."""
    statement = {
        "Sid": "AgentAuthRevokeDelegatedSession",
        "Effect": "Deny",
        "Action": "*",
        "Resource": "*",
        "Condition": {"StringLike": {"aws:userid": f"*:{session}"}},
    }
    return {"Version": ap.VERSION, "Statement": [statement]}


class AwsNarrowing(SubsetNarrowing):
    """The :class:`agentauth.providers.base.Narrowing` of AWS: a narrower session policy."""

    name_room = NAME_ROOM

    def __init__(self, hook: ClientHook | None = None) -> None:
        """``hook`` sees every boto3 client, as the provider's does (tests record calls)."""
        self._hook = hook

    def narrow(
        self, entry: CredentialPolicy, parent: Grant, rules: Sequence[str] | None
    ) -> dict[str, Any]:
        """Refuse a long-lived IAM-user parent: it has no role to take a session of."""
        if parent.objects.get("mode") == "user":
            raise ConfigError(
                f"{entry.variable}: the parent holds a long-lived IAM user key, which has no "
                "role to narrow a session of; use the default mode (sessions) to delegate"
            )
        return super().narrow(entry, parent, rules)

    def subset(
        self, entry: CredentialPolicy, parent: Grant, options: dict[str, Any], rules: Sequence[str]
    ) -> dict[str, Any]:
        """The requested actions and resources, each inside one of the parent's."""
        held = parse_options(entry)
        actions = [r for r in rules if not r.startswith("arn:") and r != "*"]
        resources = [r for r in rules if r.startswith("arn:") or r == "*"]
        over = [
            f"action {a}"
            for a in actions
            if not any(glob_covers(h, a, fold=True) for h in held.actions)
        ] + [
            f"resource {r}" for r in resources if not any(glob_covers(h, r) for h in held.resources)
        ]
        if over:
            raise ExceedsParent(over)
        options["actions"] = actions or list(held.actions)
        options["resources"] = resources or list(held.resources)
        parse_options(CredentialPolicy(entry.variable, entry.action, entry.provider,
                                       options, entry.line))  # fmt: skip
        return options

    def issue(self, entry: CredentialPolicy, parent: Grant, ctx: ProviderContext) -> Applied | None:
        """AssumeRole of the parent's role with the child's session policy; nothing in IAM."""
        role_arn = str(parent.objects.get("role_arn") or "")
        if not role_arn:
            raise ConfigError(f"{entry.variable}: the parent's grant names no role to assume")
        document = child_policy(entry)
        ap.check_size(document, ap.SESSION_POLICY_MAX_CHARS, "session policy", entry)
        conn, scrub = grant_connection(parent, ctx, self._hook)
        session = ap.session_name(ctx.policy.agent, ctx.now)
        expires = ctx.now + timedelta(seconds=ctx.policy.ttl_seconds)
        longest = limits.CHAINED_MAX_DURATION if conn.credentials.temporary else limits.MAX_DURATION
        duration = max(
            limits.MIN_DURATION, min(ctx.policy.ttl_seconds, remaining(parent, ctx.now), longest)
        )
        sts = conn.client("sts")
        answer = call("sts:AssumeRole", scrub, lambda: sts.assume_role(
            RoleArn=role_arn, RoleSessionName=session, Policy=ap.compact(document),
            DurationSeconds=duration,
        ))  # fmt: skip
        grant = kit.pending_grant(
            entry, ctx, until=expires,
            scope=f"{ap.scope_summary(parse_options(entry))} (session {session} of {role_arn})",
            objects={"mode": MODE, "role_arn": role_arn, "session_name": session,
                     "session_policy": ap.compact(document), "region": conn.region,
                     "endpoints": {k: v for k, v in conn.endpoints.items() if v},
                     "duration": duration},
        )  # fmt: skip
        env = session_env(answer["Credentials"], conn.region, conn.endpoints.get("sts"))
        return Applied(grant, env, (f"AWS session {session} expires {ap.iso(expires)}",))

    def revoke(self, grant: Grant, ctx: ProviderContext) -> RevokeResult:
        """End a child session: with its parent's role, by a deny on that role, or outlived."""
        from agentauth.state.ledger import Ledger

        parent = Ledger(ctx.project_root).get(grant.parent) if grant.parent else None
        role = str(parent.objects.get("role_name") or "") if parent else ""
        session = str(grant.objects.get("session_name", ""))
        if parent is not None and role and parent.status is GrantStatus.REVOKED:
            return RevokeResult(grant.id, True, f"ended with its parent's role {role} (deleted)")
        if parent is None or not role or not session:
            bound = min(grant.expires or ctx.now, ctx.now + timedelta(hours=1))
            return RevokeResult(
                grant.id, bound <= ctx.now, still_valid=bound > ctx.now,
                message=f"the session belongs to your own role, which agentauth does not edit; "
                f"it stays valid until it expires (at the latest {ap.iso(bound)})",
            )  # fmt: skip
        try:
            conn, scrub = grant_connection(parent, ctx, self._hook)
            iam = conn.client("iam")
            call("iam:PutRolePolicy", scrub, lambda: iam.put_role_policy(
                RoleName=role, PolicyName=f"agentauth-deny-{grant.id}",
                PolicyDocument=ap.compact(deny_policy(session)),
            ))  # fmt: skip
        except AgentAuthError as exc:
            return RevokeResult(grant.id, False, str(exc))
        return RevokeResult(grant.id, True, f"session {session} denied on role {role}")
