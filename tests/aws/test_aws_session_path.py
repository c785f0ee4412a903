"""The assumed-role/SSO path: session policies, asserted as the exact request boto3 sends.

moto stores but never evaluates session policies (and has no GetScopedCredentials),
so these tests pin the request itself: the Policy JSON and DurationSeconds.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber
from tests.aws.awskit import ACCOUNT, ADMIN_POLICY, AwsWorld, Recorder, make_ctx, make_policy

from agentauth.errors import ConfigError, PermissionDenied
from agentauth.model import Secret
from agentauth.providers.aws import options as ao
from agentauth.providers.aws import policy as ap
from agentauth.providers.aws.provider import AwsProvider

OPTIONS = {
    "actions": ["s3:GetObject", "s3:ListBucket"],
    "resources": ["arn:aws:s3:::dev-assets", "arn:aws:s3:::dev-assets/*"],
    "duration": "45m",
}
EXPECTED_POLICY = (
    '{"Version":"2012-10-17","Statement":[{"Sid":"AgentAuthScope","Effect":"Allow",'
    '"Action":["s3:GetObject","s3:ListBucket"],'
    '"Resource":["arn:aws:s3:::dev-assets","arn:aws:s3:::dev-assets/*"]}]}'
)


def assumed_role_env(aws: AwsWorld) -> tuple[dict[str, Secret], str]:
    """Make an admin role (trusting the admin user and itself), assume it; return its env."""
    iam = aws.admin("iam")
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/dev-admin"
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                # moto matches the caller's exact ARN (real AWS accepts the role ARN for
                # its sessions), so the session ARN is listed too.
                "Principal": {
                    "AWS": [
                        f"arn:aws:iam::{ACCOUNT}:user/{aws.admin_name}",
                        role_arn,
                        f"arn:aws:sts::{ACCOUNT}:assumed-role/dev-admin/sso-dev",
                    ]
                },
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.create_role(RoleName="dev-admin", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(
        RoleName="dev-admin", PolicyName="all", PolicyDocument=json.dumps(ADMIN_POLICY)
    )
    creds = aws.admin("sts").assume_role(RoleArn=role_arn, RoleSessionName="sso-dev")["Credentials"]
    env = aws.source_env(
        AWS_ACCESS_KEY_ID=creds["AccessKeyId"],
        AWS_SECRET_ACCESS_KEY=creds["SecretAccessKey"],
        AWS_SESSION_TOKEN=creds["SessionToken"],
    )
    return env, role_arn


def test_exact_parameters_validate_against_the_botocore_model() -> None:
    """The session policy is the compact JSON, within the 2,048-character limit."""
    options = ao.parse_options(make_policy(OPTIONS).credentials[0])
    assert ap.compact(ap.permission_policy(options)) == EXPECTED_POLICY
    assert len(EXPECTED_POLICY) <= ap.SESSION_POLICY_MAX_CHARS


def test_get_scoped_credentials_request_is_exact(project: Path) -> None:
    """Offline, with botocore's Stubber: the request must match to the character."""
    stubs: dict[str, Stubber] = {}
    expiry = datetime.now(UTC) + timedelta(minutes=45)

    def hook(service: str, client: Any) -> None:
        stub = Stubber(client)
        if service == "sts":
            stub.add_response(
                "get_caller_identity",
                {
                    "Arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/dev-admin/me@example.com",
                    "Account": ACCOUNT,
                    "UserId": "AROAEXAMPLE:me",
                },
                {},
            )
        elif service == "iam":
            stub.add_client_error("get_role", "AccessDenied", http_status_code=403)
        stub.activate()
        stubs[service] = stub

    provider = AwsProvider(client_hook=hook)
    policy = make_policy(OPTIONS)
    env = {
        "AWS_ACCESS_KEY_ID": Secret("ASIAABCDEFGHIJKLMNOP"),
        "AWS_SECRET_ACCESS_KEY": Secret("s" * 40),
        "AWS_SESSION_TOKEN": Secret("t" * 64),
        "AWS_REGION": Secret("eu-central-1"),
    }
    ctx = make_ctx(project, policy, env)
    plan = provider.plan(policy.credentials[0], ctx)
    assert plan.grant.objects["mode"] == "scoped-session"
    assert plan.grant.objects["session_policy"] == EXPECTED_POLICY
    assert json.loads(plan.steps[0].detail) == json.loads(EXPECTED_POLICY)
    assert "AWS_ENDPOINT_URL" not in plan.outputs

    def apply_hook(service: str, client: Any) -> None:
        stub = Stubber(client)
        stub.add_response(
            "get_scoped_credentials",
            {
                "Credentials": {
                    "AccessKeyId": "ASIASCOPEDSCOPEDSCOP",
                    "SecretAccessKey": "k" * 40,
                    "SessionToken": "scoped-token-" + "z" * 40,
                    "Expiration": expiry,
                }
            },
            {
                "Policy": EXPECTED_POLICY,
                "DurationSeconds": 2700,
                "ScopedSessionDescription": "agentauth agent claude-code",
            },
        )
        stub.activate()
        stubs["apply"] = stub

    applier = AwsProvider(client_hook=apply_hook)
    applied = applier.apply(plan, ctx)
    stubs["apply"].assert_no_pending_responses()
    assert applied.env["AWS_ACCESS_KEY_ID"].reveal() == "ASIASCOPEDSCOPEDSCOP"
    assert applied.env["AWS_REGION"].reveal() == "eu-central-1"
    assert applied.env["AWS_CREDENTIAL_EXPIRATION"].reveal() == ap.iso(expiry)
    assert set(applied.env) == set(ap.OUTPUTS)


def test_fallback_assume_role_sends_the_session_policy(
    aws: AwsWorld, project: Path, provider: AwsProvider, recorder: Recorder
) -> None:
    """moto has no GetScopedCredentials: the fallback AssumeRole carries Policy + duration."""
    env, role_arn = assumed_role_env(aws)
    policy = make_policy({**OPTIONS, "duration": "2h"})
    ctx = make_ctx(project, policy, env)
    plan = provider.plan(policy.credentials[0], ctx)
    assert plan.grant.objects["mode"] == "scoped-session"
    assert plan.grant.objects["role_arn"] == role_arn
    assert any("capped at 1h" in w for w in plan.warnings)
    applied = provider.apply(plan, ctx)
    assert applied.env["AWS_SESSION_TOKEN"].reveal()
    names = recorder.names()
    assert "GetScopedCredentials" in names
    assume = recorder.params("AssumeRole")[-1]
    assert assume["RoleArn"] == role_arn
    assert assume["Policy"] == EXPECTED_POLICY
    assert assume["DurationSeconds"] == 3600
    assert assume["RoleSessionName"].startswith("agentauth-claude-code-")
    assert recorder.params("GetScopedCredentials")[-1]["Policy"] == EXPECTED_POLICY
    # nothing was created in IAM, so revoke has nothing to delete and says what remains
    assert [r["RoleName"] for r in aws.admin("iam").list_roles()["Roles"]] == ["dev-admin"]
    result = provider.revoke(applied.grant, ctx)
    # a scoped session keeps the caller's identity: AWS cannot end it alone, so "not revoked"
    assert not result.ok and result.still_valid
    assert "expire" in result.message
    later = replace(ctx, now=ctx.now + timedelta(hours=9))  # past the grant and a session
    assert provider.revoke(applied.grant, later).ok


def test_role_mode_from_an_assumed_role_trusts_the_role_and_caps_at_1h(
    aws: AwsWorld, project: Path, provider: AwsProvider, recorder: Recorder
) -> None:
    env, role_arn = assumed_role_env(aws)
    policy = make_policy({**OPTIONS, "mode": "role", "duration": "3h"})
    ctx = make_ctx(project, policy, env)
    plan = provider.plan(policy.credentials[0], ctx)
    assert plan.grant.objects["principal"] == role_arn
    assert plan.grant.objects["duration"] == 3600
    assert any("role chaining" in w for w in plan.warnings)
    # moto only trusts the exact session ARN (real AWS accepts the role ARN for its
    # sessions), so the AssumeRole is refused here; the requests are what we check.
    with pytest.raises(PermissionDenied):
        provider.apply(plan, ctx)
    trust = json.loads(recorder.params("CreateRole")[-1]["AssumeRolePolicyDocument"])
    assert trust["Statement"][0]["Principal"] == {"AWS": role_arn}
    assert recorder.params("CreateRole")[-1]["MaxSessionDuration"] == 3600
    assert recorder.params("AssumeRole")[-1]["DurationSeconds"] == 3600
    # the failed apply removed the role it had created
    names = [r["RoleName"] for r in aws.admin("iam").list_roles()["Roles"]]
    assert names == ["dev-admin"]


def test_scoped_session_mode_refuses_long_term_keys(
    aws: AwsWorld, project: Path, provider: AwsProvider
) -> None:
    policy = make_policy({**OPTIONS, "mode": "scoped-session"})
    ctx = make_ctx(project, policy, aws.source_env())
    with pytest.raises(ConfigError, match="mode: role"):
        provider.plan(policy.credentials[0], ctx)


def test_session_policy_too_large_is_refused_before_any_call(
    aws: AwsWorld, project: Path, provider: AwsProvider, recorder: Recorder
) -> None:
    env, _role = assumed_role_env(aws)
    resources = [f"arn:aws:s3:::bucket-number-{i:04d}/*" for i in range(80)]
    policy = make_policy({"actions": ["s3:GetObject"], "resources": resources})
    ctx = make_ctx(project, policy, env)
    with pytest.raises(ConfigError, match="AWS allows 2048"):
        provider.plan(policy.credentials[0], ctx)
    assert "AssumeRole" not in recorder.names()
