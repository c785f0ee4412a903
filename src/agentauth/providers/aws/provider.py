"""The AWS provider: scoped, short-lived STS sessions for the agent instead of the developer's keys.

How the substitute is made depends on the source credential (``mode: auto``):
an assumed-role or SSO session gets ``sts:GetScopedCredentials`` (or AssumeRole of
its own role with an inline session policy); an IAM user's keys get a dedicated
role ``agentauth-<agent>-…`` whose own policy is the scope and whose trust policy
names only that user, then AssumeRole sessions, minted afresh for every
``agentauth run``. ``mode: user`` (an IAM user and access key, long-lived) exists
only for tools that cannot refresh credentials. The policy documents are built in
:mod:`agentauth.providers.aws.policy`; boto3 plumbing is in ``aws_client``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any, ClassVar

from agentauth.errors import AgentAuthError, ProviderError
from agentauth.model import (
    Applied,
    CredentialPolicy,
    Finding,
    Grant,
    GrantStatus,
    Plan,
    RevokeResult,
    Secret,
    Verification,
)
from agentauth.providers.aws import policy as ap
from agentauth.providers.aws.client import (
    ClientHook,
    Connection,
    call,
    error_code,
    grant_connection,
    is_sdk_error,
    translate,
)
from agentauth.providers.aws.delegate import MODE as DELEGATED
from agentauth.providers.aws.delegate import AwsNarrowing
from agentauth.providers.aws.iam import delete_role, delete_user
from agentauth.providers.aws.options import PRESETS, parse_options
from agentauth.providers.aws.plan import build_plan
from agentauth.providers.aws.sts import assume, scoped_session
from agentauth.providers.base import Provider, ProviderContext, VerifyContext

__all__ = ["PROVIDER", "AwsProvider"]


_SESSIONS: dict[str, Any] = {"mints_per_run": True, "expiry_variable": ap.EXPIRY_VARIABLE}
"""What a session grant tells ``run``: mint per run, the expiry is in AWS_CREDENTIAL_EXPIRATION."""


class AwsProvider:
    """Implements :class:`agentauth.providers.base.Provider` for AWS IAM and STS.

    ``client_hook`` sees every boto3 client (tests attach Stubbers and event hooks);
    ``retry_delays`` bounds the wait for a new role to become assumable.
    """

    name: ClassVar[str] = "aws"
    presets: ClassVar[Mapping[str, Mapping[str, object]]] = PRESETS

    def __init__(
        self,
        *,
        client_hook: ClientHook | None = None,
        retry_delays: Sequence[float] = (1.0, 2.0, 3.0, 5.0, 8.0),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Keep the injectable pieces; the module-level PROVIDER uses the defaults."""
        self._hook = client_hook
        self._delays = tuple(retry_delays)
        self._sleep = sleep
        self.narrowing = AwsNarrowing(client_hook)
        """A sub-agent's session of the parent's role, narrowed (``agentauth delegate``)."""

    # ------------------------------------------------------------------ protocol

    def validate(self, entry: CredentialPolicy) -> CredentialPolicy:
        """Check the entry's AWS options; the entry is returned as written (stable digest)."""
        parse_options(entry)
        return entry

    def verify(self, finding: Finding, ctx: VerifyContext) -> Verification:
        """Ask STS and IAM what the key can do; see :mod:`agentauth.providers.aws.verify`."""
        from agentauth.providers.aws.verify import verify

        return verify(finding, ctx, hook=self._hook)

    def plan(self, entry: CredentialPolicy, ctx: ProviderContext) -> Plan:
        """Identify the source credential and lay out what will be created (aws/plan.py)."""
        return build_plan(entry, ctx, self._hook)

    def preflight(self, plan: Plan, ctx: ProviderContext) -> None:
        """Nothing beyond the plan: it already asked STS who the source credential is.

        IAM has no cheap, side-effect-free "may I CreateRole?" (SimulatePrincipalPolicy
        needs IAM read rights of its own); a refused CreateRole creates nothing, and a
        refusal after it is rolled back by :meth:`apply`.
        """
        return None

    def apply(self, plan: Plan, ctx: ProviderContext) -> Applied:
        """Create the role (or user), attach the scope, and return the first credentials."""
        conn, scrub = self._connect(plan.grant, ctx)
        objects = plan.grant.objects
        mode = str(objects["mode"])
        if mode == "scoped-session":
            env, expiry = scoped_session(plan.grant, conn, ctx.now)
            grant = _replace(plan.grant, status=GrantStatus.ACTIVE, **_SESSIONS)
            return Applied(grant, env, (f"session expires {expiry}",))
        iam = conn.client("iam")
        permissions = plan.private.get("permissions")
        if not isinstance(permissions, Mapping):
            raise ProviderError("the AWS plan lost its policy document; run provision again")
        tags = [
            {"Key": "agentauth", "Value": "true"},
            {"Key": "agentauth-agent", "Value": plan.grant.agent},
            {"Key": "agentauth-grant", "Value": plan.grant.id},
        ]
        if mode == "user":
            return self._apply_user(plan, conn, iam, permissions, tags, scrub)
        trust = plan.private.get("trust")
        name = str(objects["role_name"])
        created = _create(
            "iam:CreateRole",
            f"role {name}",
            scrub,
            lambda: iam.create_role(
                RoleName=name,
                AssumeRolePolicyDocument=ap.compact(trust or {}),
                Description=f"agentauth: scoped role for agent {plan.grant.agent}",
                MaxSessionDuration=max(int(objects["duration"]), 3600),
                Tags=tags,
            ),
        )
        role_arn = str(created["Role"]["Arn"])
        try:
            call(
                "iam:PutRolePolicy",
                scrub,
                lambda: iam.put_role_policy(
                    RoleName=name,
                    PolicyName=ap.SCOPE_POLICY_NAME,
                    PolicyDocument=ap.compact(permissions),
                ),
            )
            grant = _replace(
                plan.grant,
                status=GrantStatus.ACTIVE,
                objects={**objects, "role_arn": role_arn},
                **_SESSIONS,
            )
            env, expiry = assume(grant, conn, ctx.now, delays=self._delays, sleep=self._sleep)
        except AgentAuthError:
            # Only what this apply created is removed; the pending grant stays in the
            # ledger, so `agentauth revoke` retries if the rollback fails too.
            with contextlib.suppress(AgentAuthError):
                delete_role(name, conn, scrub, None, plan.grant.id)
            raise
        return Applied(
            grant,
            env,
            (f"role {name} created; session expires {expiry}; `agentauth run` mints new ones",),
        )

    def mint(self, grant: Grant, ctx: ProviderContext) -> Applied | None:
        """Return a fresh session for ``agentauth run``; None for the long-lived user mode."""
        mode = grant.objects.get("mode")
        if mode == "user":
            return None
        if grant.expires is not None and grant.expires <= ctx.now:
            raise ProviderError(
                f"AWS grant {grant.id} expired at {ap.iso(grant.expires)}; run `agentauth "
                "provision` to issue a new one"
            )
        conn, _scrub = self._connect(grant, ctx)
        if mode == "scoped-session":
            env, expiry = scoped_session(grant, conn, ctx.now)
        else:
            env, expiry = assume(grant, conn, ctx.now)
        return Applied(grant, env, (f"AWS session expires {expiry}",))

    def revoke(self, grant: Grant, ctx: ProviderContext) -> RevokeResult:
        """Deny older sessions, then delete the role or user and its policies; idempotent."""
        mode = grant.objects.get("mode")
        if mode == DELEGATED:
            return self.narrowing.revoke(grant, ctx)
        if mode == "scoped-session":
            # NOTE: a scoped session keeps the caller's own identity, so no policy can deny
            # it without denying the developer's sessions too: it can only be outlived.
            duration = int(grant.objects.get("duration", 3600))
            bound = min(grant.expires or ctx.now, ctx.now) + timedelta(seconds=duration)
            return RevokeResult(
                grant.id,
                bound <= ctx.now,
                "nothing was created in IAM; sessions already minted stay valid until they "
                f"expire (at the latest {ap.iso(bound)}); AWS cannot end a scoped session "
                "without ending your own",
                manual="Wait for the sessions to expire, or revoke your own role's sessions "
                "in the IAM console (this also ends yours)",
                still_valid=bound > ctx.now,
            )
        try:
            conn, scrub = self._connect(grant, ctx)
            if mode == "user":
                message = delete_user(str(grant.objects["user_name"]), conn, scrub, grant.id)
            else:
                message = delete_role(
                    str(grant.objects["role_name"]), conn, scrub, ctx.now, grant.id
                )
        except AgentAuthError as exc:
            return RevokeResult(grant.id, False, str(exc))
        except KeyError as exc:
            return RevokeResult(
                grant.id, False, f"the ledger record lacks {exc}; delete the object in IAM by hand"
            )
        return RevokeResult(grant.id, True, message)

    # ------------------------------------------------------------------ helpers

    def _connect(self, grant: Grant, ctx: ProviderContext) -> tuple[Connection, Any]:
        return grant_connection(grant, ctx, self._hook)

    def _apply_user(
        self,
        plan: Plan,
        conn: Connection,
        iam: Any,
        permissions: Mapping[str, Any],
        tags: list[dict[str, str]],
        scrub: Any,
    ) -> Applied:
        name = str(plan.grant.objects["user_name"])
        _create(
            "iam:CreateUser",
            f"IAM user {name}",
            scrub,
            lambda: iam.create_user(UserName=name, Tags=tags),
        )
        try:
            call(
                "iam:PutUserPolicy",
                scrub,
                lambda: iam.put_user_policy(
                    UserName=name,
                    PolicyName=ap.SCOPE_POLICY_NAME,
                    PolicyDocument=ap.compact(permissions),
                ),
            )
            key = call("iam:CreateAccessKey", scrub, lambda: iam.create_access_key(UserName=name))[
                "AccessKey"
            ]
        except AgentAuthError:
            with contextlib.suppress(AgentAuthError):
                delete_user(name, conn, scrub, plan.grant.id)
            raise
        env = {
            "AWS_ACCESS_KEY_ID": Secret(str(key["AccessKeyId"])),
            "AWS_SECRET_ACCESS_KEY": Secret(str(key["SecretAccessKey"])),
            "AWS_REGION": Secret(conn.region),
            "AWS_DEFAULT_REGION": Secret(conn.region),
        }
        endpoint = conn.endpoints.get("sts")
        if endpoint:
            env["AWS_ENDPOINT_URL"] = Secret(endpoint)
        grant = _replace(plan.grant, status=GrantStatus.ACTIVE)
        return Applied(grant, env, (f"LONG-LIVED access key of IAM user {name} issued",))


def _create(action: str, what: str, scrub: Any, fn: Callable[[], Any]) -> Any:
    """Run a Create* call; a name that is already taken gets its own remedy."""
    try:
        return fn()
    except Exception as exc:
        if is_sdk_error(exc) and error_code(exc) == "EntityAlreadyExists":
            raise ProviderError(
                f"{what} already exists in IAM and agentauth will not take it over; remove "
                "`name:` from the policy entry (agentauth picks a fresh one) or choose another"
            ) from None
        if is_sdk_error(exc):
            raise translate(exc, action, scrub) from None
        raise


def _replace(grant: Grant, **changes: Any) -> Grant:
    import dataclasses

    return dataclasses.replace(grant, **changes)


PROVIDER: Provider = AwsProvider()
