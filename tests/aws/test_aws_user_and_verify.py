"""The long-lived IAM-user path (on request only) and ``audit --verify`` of AWS keys, on moto."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from tests.aws.awskit import AwsWorld, Recorder, make_ctx, make_policy
from tests.findingkit import verify_finding

from agentauth.model import Finding, Secret, Severity
from agentauth.providers.aws import policy as ap
from agentauth.providers.aws.provider import AwsProvider
from agentauth.providers.base import VerifyContext

READ = {"actions": ["s3:GetObject", "s3:ListBucket"]}


def test_user_mode_is_long_lived_and_fully_revoked(
    aws: AwsWorld, project: Path, provider: AwsProvider
) -> None:
    options = {
        **READ,
        "resources": [f"arn:aws:s3:::{aws.bucket}", f"arn:aws:s3:::{aws.bucket}/*"],
        "mode": "user",
    }
    policy = make_policy(options)
    ctx = make_ctx(project, policy, aws.source_env())
    plan = provider.plan(policy.credentials[0], ctx)
    assert plan.grant.long_lived
    assert plan.grant.expires is None
    assert plan.grant.scope.startswith("LONG-LIVED")
    assert any("LONG-LIVED" in w for w in plan.warnings)
    assert any("LONG-LIVED" in s.summary for s in plan.steps)
    assert "AWS_SESSION_TOKEN" not in plan.outputs
    applied = provider.apply(plan, ctx)
    assert applied.grant.long_lived
    key_id = applied.env["AWS_ACCESS_KEY_ID"].reveal()
    secret = applied.env["AWS_SECRET_ACCESS_KEY"].reveal()
    assert key_id.startswith("AKIA")
    s3 = aws.client("s3", key_id, secret)
    assert s3.get_object(Bucket=aws.bucket, Key="hello.txt")["Body"].read()
    with pytest.raises(ClientError, match="AccessDenied"):
        s3.put_object(Bucket=aws.bucket, Key="x", Body=b"x")
    with pytest.raises(ClientError, match="AccessDenied"):
        s3.get_object(Bucket=aws.other_bucket, Key="hello.txt")
    assert provider.mint(applied.grant, ctx) is None  # nothing to mint: the key is the credential

    name = applied.grant.objects["user_name"]
    result = provider.revoke(applied.grant, ctx)
    assert result.ok, result.message
    assert "1 access key" in result.message
    iam = aws.admin("iam")
    with pytest.raises(ClientError, match="NoSuchEntity"):
        iam.get_user(UserName=name)
    with pytest.raises(ClientError):
        aws.client("s3", key_id, secret).get_object(Bucket=aws.bucket, Key="hello.txt")
    assert provider.revoke(applied.grant, ctx).ok


def finding(value: str, variable: str) -> Finding:
    """A minimal classified AWS finding (as the audit engine would produce)."""
    return verify_finding("aws", "aws-access-key-id", variable, value)


def verify_ctx(aws: AwsWorld, **values: str) -> VerifyContext:
    related = {k: Secret(v) for k, v in values.items()}
    related["AWS_ENDPOINT_URL"] = Secret(aws.endpoint)
    return VerifyContext(related=related, environ={})


def test_verify_admin_keys_is_critical(aws: AwsWorld, provider: AwsProvider) -> None:
    result = provider.verify(
        finding(aws.admin_key_id, "AWS_ACCESS_KEY_ID"),
        verify_ctx(aws, AWS_SECRET_ACCESS_KEY=aws.admin_secret),
    )
    assert result.status == "valid"
    assert result.severity is Severity.CRITICAL
    assert "cloud-admin" in result.capabilities
    assert aws.admin_name in result.summary
    assert aws.admin_secret not in repr(result)


def test_verify_from_the_secret_side_pairs_the_key_id(aws: AwsWorld, provider: AwsProvider) -> None:
    result = provider.verify(
        finding(aws.admin_secret, "AWS_SECRET_ACCESS_KEY"),
        verify_ctx(aws, AWS_ACCESS_KEY_ID=aws.admin_key_id),
    )
    assert result.severity is Severity.CRITICAL


def test_verify_read_only_user_is_not_critical(aws: AwsWorld, provider: AwsProvider) -> None:
    _name, key_id, secret = aws.user(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["s3:GetObject", "s3:ListBucket"],
                    "Resource": [f"arn:aws:s3:::{aws.bucket}", f"arn:aws:s3:::{aws.bucket}/*"],
                },
                {
                    "Effect": "Allow",
                    "Action": [
                        "iam:ListAttachedUserPolicies",
                        "iam:ListUserPolicies",
                        "iam:GetUserPolicy",
                        "iam:ListGroupsForUser",
                    ],
                    "Resource": "*",
                },
            ],
        }
    )
    result = provider.verify(
        finding(key_id, "AWS_ACCESS_KEY_ID"), verify_ctx(aws, AWS_SECRET_ACCESS_KEY=secret)
    )
    assert result.status == "valid"
    assert result.severity is Severity.LOW
    assert result.capabilities == ("read-cloud-data",)
    assert "read-only" in result.summary


def test_verify_wildcard_s3_is_high(aws: AwsWorld, provider: AwsProvider) -> None:
    _name, key_id, secret = aws.user(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                {"Effect": "Allow", "Action": "iam:List*", "Resource": "*"},
                {"Effect": "Allow", "Action": "iam:GetUserPolicy", "Resource": "*"},
            ],
        }
    )
    result = provider.verify(
        finding(key_id, "AWS_ACCESS_KEY_ID"), verify_ctx(aws, AWS_SECRET_ACCESS_KEY=secret)
    )
    assert result.severity is Severity.HIGH
    assert "s3:*" in result.summary


def test_verify_without_iam_read_is_unknown_scope(aws: AwsWorld, provider: AwsProvider) -> None:
    _name, key_id, secret = aws.user(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}],
        }
    )
    result = provider.verify(
        finding(key_id, "AWS_ACCESS_KEY_ID"), verify_ctx(aws, AWS_SECRET_ACCESS_KEY=secret)
    )
    assert result.status == "valid"
    assert result.severity is None
    assert "unknown: no IAM read permission" in result.summary


def test_verify_wrong_secret_is_invalid(aws: AwsWorld, provider: AwsProvider) -> None:
    wrong = "Q" * 40
    result = provider.verify(
        finding(aws.admin_key_id, "AWS_ACCESS_KEY_ID"), verify_ctx(aws, AWS_SECRET_ACCESS_KEY=wrong)
    )
    assert result.status == "invalid"
    assert "SignatureDoesNotMatch" in result.summary
    assert wrong not in result.summary


def test_verify_asia_without_token_is_a_note(provider: AwsProvider) -> None:
    ctx = VerifyContext(related={"AWS_SECRET_ACCESS_KEY": Secret("a" * 40)}, environ={})
    result = provider.verify(finding("ASIAABCDEFGHIJKLMNOP", "AWS_ACCESS_KEY_ID"), ctx)
    assert result.status == "unknown"
    assert "session token" in result.summary.lower() or "SESSION_TOKEN" in result.summary


def test_verify_without_partner_is_unknown(provider: AwsProvider) -> None:
    ctx = VerifyContext(related={}, environ={})
    result = provider.verify(finding("AKIAABCDEFGHIJKLMNOP", "AWS_ACCESS_KEY_ID"), ctx)
    assert result.status == "unknown"


def test_verify_ignores_a_remote_endpoint_from_the_scanned_file(
    aws: AwsWorld, recorder: Recorder
) -> None:
    """A repository must not redirect --verify to its own server; loopback is allowed."""
    seen: list[str] = []

    def hook(service: str, client: object) -> None:
        seen.append(client.meta.endpoint_url)  # type: ignore[attr-defined]
        client.meta.events.register(  # type: ignore[attr-defined]
            "before-call",
            lambda **_: (
                type("R", (), {"status_code": 403})(),
                {"Error": {"Code": "InvalidClientTokenId", "Message": "x"}, "ResponseMetadata": {}},
            ),
        )

    provider = AwsProvider(client_hook=hook)
    ctx = VerifyContext(
        related={
            "AWS_SECRET_ACCESS_KEY": Secret("a" * 40),
            "AWS_ENDPOINT_URL": Secret("https://collector.example.net"),
        },
        environ={},
    )
    result = provider.verify(finding("AKIAABCDEFGHIJKLMNOP", "AWS_ACCESS_KEY_ID"), ctx)
    assert seen and all("example.net" not in url for url in seen)
    assert result.status == "invalid"


def test_plan_never_puts_secrets_in_plan_grant_or_steps(
    aws: AwsWorld, project: Path, provider: AwsProvider
) -> None:
    options = {
        **READ,
        "resources": [f"arn:aws:s3:::{aws.bucket}/*"],
    }
    policy = make_policy(options)
    ctx = make_ctx(project, policy, aws.source_env())
    plan = provider.plan(policy.credentials[0], ctx)
    applied = provider.apply(plan, ctx)
    text = json.dumps(
        {
            "plan": repr(plan),
            "steps": [(s.summary, s.detail) for s in plan.steps],
            "grant": repr(applied.grant),
            "objects": applied.grant.objects,
            "notes": applied.notes,
        },
        default=str,
    )
    for value in [
        aws.admin_secret,
        *(v.reveal() for k, v in applied.env.items() if "SECRET" in k or "TOKEN" in k),
    ]:
        assert value not in text
    assert provider.revoke(applied.grant, ctx).ok
    assert ap.SCOPE_POLICY_NAME in text
