"""Planning for the AWS provider: who the source credential is, and what will be created.

Why a module of its own: the plan is the contract ``--dry-run`` shows (the exact
trust and permission JSON), and it is the only step that reads IAM before anything
exists; ``apply`` then follows it without deciding anything again.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from agentauth.errors import ConfigError
from agentauth.model import CredentialPolicy, Plan, PlanStep
from agentauth.providers import kit
from agentauth.providers.aws import policy as ap
from agentauth.providers.aws.client import (
    ClientHook,
    Connection,
    call,
    connect,
    endpoint_for,
    error_code,
    is_sdk_error,
    region_for,
    source_credentials,
)
from agentauth.providers.aws.options import parse_options, session_duration
from agentauth.providers.base import ProviderContext
from agentauth.providers.kit import OptionError


def build_plan(entry: CredentialPolicy, ctx: ProviderContext, hook: ClientHook | None) -> Plan:
    """Identify the source credential (GetCallerIdentity) and lay out what will be created."""
    options = parse_options(entry)
    creds = source_credentials(ctx.source_env, ctx.policy.source)
    region = region_for(options.region, ctx.source_env, ctx.environ)
    conn = connect(creds, region, (ctx.source_env, ctx.environ), hook=hook)
    scrub = creds.scrubber()
    identity = call(
        "sts:GetCallerIdentity", scrub, lambda: conn.client("sts").get_caller_identity()
    )
    caller = ap.parse_caller(str(identity["Arn"]))
    mode = resolve_mode(options.mode, caller, entry)
    chained = caller.temporary and mode in ("role", "scoped-session")
    duration, note = session_duration(options, ctx.policy.ttl_seconds, chained=chained)
    warnings = ap.wildcard_warnings(options) + ([note] if note else [])
    permissions = ap.permission_policy(options)
    expires = ctx.now + timedelta(seconds=ctx.policy.ttl_seconds)
    grant_id = kit.new_grant_id("aws")
    suffix = grant_id.split("-", 1)[1]
    objects: dict[str, Any] = {
        "mode": mode,
        "account": caller.account,
        "region": region,
        "endpoints": {k: v for k, v in conn.endpoints.items() if v},
        "source_arn": caller.arn,
        "duration": duration,
    }
    scope = ap.scope_summary(options)
    outputs = list(ap.OUTPUTS)
    if endpoint_for("sts", ctx.source_env, ctx.environ):
        outputs.append("AWS_ENDPOINT_URL")
    long_lived = False
    trust: dict[str, Any] | None = None
    steps: list[PlanStep]
    if mode == "role":
        ap.check_size(permissions, ap.ROLE_POLICY_MAX_CHARS, "role policy", entry)
        principal = _principal(caller, conn, warnings)
        name = options.name or ap.identity_name(ctx.policy.agent, suffix)
        role_arn = f"arn:{caller.partition}:iam::{caller.account}:role/{name}"
        trust = ap.trust_policy(principal, expires)
        objects |= {"role_name": name, "role_arn": role_arn, "principal": principal}
        objects["policies"] = [ap.SCOPE_POLICY_NAME]
        scope = f"{scope} via role {name} ({duration // 60}m sessions)"
        steps = [
            PlanStep(
                f"iam:CreateRole {name}: only {principal} may assume it, until "
                f"{ap.iso(expires)}; sessions of at most {max(duration, 3600) // 60}m "
                "(trust policy below)",
                ap.pretty(trust),
            ),
            PlanStep(
                f"iam:PutRolePolicy {name}/{ap.SCOPE_POLICY_NAME}: the role's only "
                "permissions (permission policy below)",
                ap.pretty(permissions),
            ),
            PlanStep(
                f"sts:AssumeRole {role_arn} for {duration // 60}m -> AWS_* in "
                f"{ctx.policy.output}; `agentauth run` serves fresh sessions while it runs"
            ),
        ]
    elif mode == "user":
        ap.check_size(permissions, ap.ROLE_POLICY_MAX_CHARS, "user policy", entry)
        name = options.name or ap.identity_name(ctx.policy.agent, suffix)
        user_arn = f"arn:{caller.partition}:iam::{caller.account}:user/{name}"
        objects |= {"user_name": name, "user_arn": user_arn}
        objects["policies"] = [ap.SCOPE_POLICY_NAME]
        long_lived = True
        outputs = [*ap.USER_OUTPUTS, *outputs[len(ap.OUTPUTS) :]]
        scope = f"LONG-LIVED access key of IAM user {name}: {scope}"
        warnings.append(
            "mode: user issues a LONG-LIVED access key (no expiry); prefer the default "
            "short-lived sessions unless the tool cannot refresh credentials"
        )
        steps = [
            PlanStep(f"iam:CreateUser {name} (tagged agentauth=true)"),
            PlanStep(
                f"iam:PutUserPolicy {name}/{ap.SCOPE_POLICY_NAME} (permission policy below)",
                ap.pretty(permissions),
            ),
            PlanStep(
                f"iam:CreateAccessKey {name} -> a LONG-LIVED key in {ctx.policy.output} "
                "(until `agentauth revoke`)"
            ),
        ]
    else:
        ap.check_size(permissions, ap.SESSION_POLICY_MAX_CHARS, "session policy", entry)
        role_arn = _own_role_arn(caller, conn)
        objects |= {"session_policy": ap.compact(permissions), "role_arn": role_arn}
        scope = f"{scope} (scoped session of {caller.arn}, {duration // 60}m)"
        steps = [
            PlanStep(
                f"sts:GetScopedCredentials for {duration // 60}m with this session policy "
                f"(fallback: sts:AssumeRole {role_arn} with it); nothing is created in IAM",
                ap.pretty(permissions),
            )
        ]
    grant = kit.pending_grant(
        entry,
        ctx,
        scope=scope,
        objects=objects,
        long_lived=long_lived,
        expires=not long_lived,  # a user's key has no expiry
        grant_id=grant_id,
    )
    return Plan(
        variable=entry.variable,
        provider="aws",
        grant=grant,
        steps=tuple(steps),
        outputs=tuple(outputs),
        warnings=tuple(warnings),
        private={"permissions": permissions, "trust": trust},
    )


def _principal(caller: ap.Caller, conn: Connection, warnings: list[str]) -> str:
    """Return the ARN the trust policy names: the user, or the role behind a session."""
    if caller.kind == "user":
        return caller.arn
    if caller.kind != "assumed-role":
        raise ConfigError(
            f"mode: role needs an IAM user or an assumed role as the source; {caller.arn} "
            "is neither; use mode: scoped-session"
        )
    try:
        role = conn.client("iam").get_role(RoleName=caller.name)
        return str(role["Role"]["Arn"])
    except Exception as exc:
        if not is_sdk_error(exc):
            raise
        warnings.append(
            f"could not read role {caller.name} ({error_code(exc) or type(exc).__name__}); "
            f"the trust policy names {caller.role_arn}, which is wrong if the role has a path"
        )
        return caller.role_arn


def _own_role_arn(caller: ap.Caller, conn: Connection) -> str:
    if caller.kind != "assumed-role":
        return ""
    try:
        return str(conn.client("iam").get_role(RoleName=caller.name)["Role"]["Arn"])
    except Exception as exc:
        if not is_sdk_error(exc):
            raise
        return caller.role_arn


def resolve_mode(mode: str, caller: ap.Caller, entry: CredentialPolicy) -> str:
    """Return the concrete mode for ``mode: auto``; refuse what AWS would refuse."""
    if caller.kind == "root" and mode != "user":
        raise OptionError(
            entry,
            None,
            "the source keys belong to the account's root user, which AWS does not "
            "allow to assume roles; use an IAM user's keys (root keys should not be in a .env "
            "at all), or set mode: user for a long-lived IAM user",
        )
    if mode == "auto":
        return "role" if caller.kind == "user" else "scoped-session"
    if mode == "scoped-session" and not caller.temporary:
        raise OptionError(
            entry,
            "mode",
            f"scoped-session needs temporary source credentials (an assumed role "
            f"or SSO session); {caller.arn} is a long-term key; use mode: role (the default)",
        )
    return mode
