"""The IAM-user path against moto: a dedicated role, sessions minted from it, proven scoped."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from botocore.exceptions import BotoCoreError, ClientError
from tests.aws.awskit import ACCOUNT, AwsWorld, Recorder, make_ctx, make_policy

from agentauth.errors import ConfigError, PermissionDenied, ProviderError
from agentauth.model import GrantStatus
from agentauth.providers.aws import options as ao
from agentauth.providers.aws import policy as ap
from agentauth.providers.aws.provider import AwsProvider


def read_bucket(bucket: str, **extra: object) -> dict[str, object]:
    return {
        "actions": ["s3:GetObject", "s3:ListBucket"],
        "resources": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        **extra,
    }


def denied(call: object) -> str:
    """Run ``call`` and return the AWS error code; fail if it succeeds."""
    with pytest.raises(ClientError) as info:
        call()  # type: ignore[operator]
    return str(info.value.response["Error"]["Code"])


def test_role_session_reads_the_bucket_and_nothing_else(
    aws: AwsWorld, project: Path, provider: AwsProvider
) -> None:
    policy = make_policy(read_bucket(aws.bucket, duration="30m"))
    ctx = make_ctx(project, policy, aws.source_env())
    entry = provider.validate(policy.credentials[0])
    plan = provider.plan(entry, ctx)
    assert plan.grant.objects["mode"] == "role"
    assert plan.grant.status is GrantStatus.PENDING
    assert set(ap.OUTPUTS) <= set(plan.outputs)

    applied = provider.apply(plan, ctx)
    env = {k: v.reveal() for k, v in applied.env.items()}
    assert env["AWS_ACCESS_KEY_ID"].startswith("ASIA")
    assert env["AWS_REGION"] == "us-east-1"
    assert env["AWS_ENDPOINT_URL"] == aws.endpoint
    expiry = datetime.strptime(env["AWS_CREDENTIAL_EXPIRATION"], "%Y-%m-%dT%H:%M:%SZ")
    assert (
        timedelta(minutes=25)
        < expiry.replace(tzinfo=UTC) - datetime.now(UTC)
        <= timedelta(minutes=31)
    )
    assert applied.grant.status is GrantStatus.ACTIVE

    agent = (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], env["AWS_SESSION_TOKEN"])
    s3 = aws.client("s3", *agent)
    body = s3.get_object(Bucket=aws.bucket, Key="hello.txt")["Body"].read()
    assert body == f"hello from {aws.bucket}".encode()
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=aws.bucket)["Contents"]] == ["hello.txt"]

    assert denied(lambda: s3.put_object(Bucket=aws.bucket, Key="x", Body=b"x")) == "AccessDenied"
    assert denied(lambda: s3.delete_bucket(Bucket=aws.bucket)) == "AccessDenied"
    assert denied(lambda: s3.get_object(Bucket=aws.other_bucket, Key="hello.txt")) == "AccessDenied"
    assert denied(lambda: s3.list_objects_v2(Bucket=aws.other_bucket)) == "AccessDenied"
    iam = aws.client("iam", *agent)
    assert denied(lambda: iam.create_user(UserName="agent-made-me")) == "AccessDenied"
    # the developer's own access is untouched
    admin_s3 = aws.admin("s3")
    admin_s3.put_object(Bucket=aws.other_bucket, Key="still-mine", Body=b"ok")


def test_role_objects_match_the_plan(
    aws: AwsWorld, project: Path, provider: AwsProvider, recorder: Recorder
) -> None:
    policy = make_policy(read_bucket(aws.bucket, duration="2h"))
    ctx = make_ctx(project, policy, aws.source_env())
    plan = provider.plan(policy.credentials[0], ctx)
    applied = provider.apply(plan, ctx)
    name = applied.grant.objects["role_name"]
    assert name.startswith("agentauth-claude-code-")
    role = aws.admin("iam").get_role(RoleName=name)["Role"]
    assert role["MaxSessionDuration"] == 7200
    tags = {t["Key"]: t["Value"] for t in role["Tags"]}
    assert tags == {
        "agentauth": "true",
        "agentauth-agent": "claude-code",
        "agentauth-grant": plan.grant.id,
    }
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    principal = f"arn:aws:iam::{ACCOUNT}:user/{aws.admin_name}"
    assert trust == ap.trust_policy(principal, ctx.now + timedelta(hours=8))
    inline = aws.admin("iam").get_role_policy(RoleName=name, PolicyName=ap.SCOPE_POLICY_NAME)
    assert inline["PolicyDocument"] == ap.permission_policy(ao.parse_options(policy.credentials[0]))
    # the dry-run text carries both documents, exactly as sent
    details = [json.loads(step.detail) for step in plan.steps if step.detail]
    assert details == [trust, inline["PolicyDocument"]]
    assume = recorder.params("AssumeRole")[-1]
    assert assume["RoleArn"] == role["Arn"]
    assert assume["DurationSeconds"] == 7200
    assert "Policy" not in assume  # the role's own policy is the scope (moto enforces it)


def test_mint_issues_a_fresh_working_session(
    aws: AwsWorld, project: Path, provider: AwsProvider
) -> None:
    policy = make_policy(read_bucket(aws.bucket))
    ctx = make_ctx(project, policy, aws.source_env())
    applied = provider.apply(provider.plan(policy.credentials[0], ctx), ctx)
    minted = provider.mint(applied.grant, ctx)
    assert minted is not None
    env = {k: v.reveal() for k, v in minted.env.items()}
    assert env["AWS_ACCESS_KEY_ID"] != applied.env["AWS_ACCESS_KEY_ID"].reveal()
    s3 = aws.client(
        "s3", env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], env["AWS_SESSION_TOKEN"]
    )
    assert s3.get_object(Bucket=aws.bucket, Key="hello.txt")["Body"].read()
    assert denied(lambda: s3.put_object(Bucket=aws.bucket, Key="x", Body=b"x")) == "AccessDenied"


def test_mint_refuses_an_expired_grant(aws: AwsWorld, project: Path, provider: AwsProvider) -> None:
    policy = make_policy(read_bucket(aws.bucket))
    ctx = make_ctx(project, policy, aws.source_env())
    applied = provider.apply(provider.plan(policy.credentials[0], ctx), ctx)
    later = make_ctx(project, policy, aws.source_env(), now=ctx.now + timedelta(hours=9))
    with pytest.raises(ProviderError, match="expired"):
        provider.mint(applied.grant, later)


def test_revoke_denies_older_sessions_first_then_deletes(
    aws: AwsWorld, project: Path, provider: AwsProvider, recorder: Recorder
) -> None:
    policy = make_policy(read_bucket(aws.bucket))
    ctx = make_ctx(project, policy, aws.source_env())
    applied = provider.apply(provider.plan(policy.credentials[0], ctx), ctx)
    name = applied.grant.objects["role_name"]
    env = {k: v.reveal() for k, v in applied.env.items()}
    recorder.calls.clear()

    result = provider.revoke(applied.grant, ctx)
    assert result.ok, result.message
    assert result.grant_id == applied.grant.id
    iam_calls = [n for s, n, _p in recorder.calls if s == "iam"]
    assert iam_calls[0] == "ListRoleTags"  # ownership check: only our own role is touched
    changes = [n for n in iam_calls if not n.startswith(("List", "Get"))]
    assert changes[0] == "PutRolePolicy"  # the deny on older sessions comes first
    deny = recorder.params("PutRolePolicy")[0]
    assert deny["PolicyName"] == ap.REVOKE_POLICY_NAME
    assert json.loads(deny["PolicyDocument"]) == ap.revoke_older_sessions_policy(ctx.now)
    assert iam_calls[-1] == "DeleteRole"
    deleted = {p["PolicyName"] for p in recorder.params("DeleteRolePolicy")}
    assert deleted == {ap.SCOPE_POLICY_NAME, ap.REVOKE_POLICY_NAME}

    assert denied(lambda: aws.admin("iam").get_role(RoleName=name)) == "NoSuchEntity"
    roles = aws.admin("iam").list_roles()["Roles"]
    assert not [r for r in roles if r["RoleName"].startswith("agentauth-")]
    # the old session no longer reads the bucket
    s3 = aws.client(
        "s3", env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], env["AWS_SESSION_TOKEN"]
    )
    with pytest.raises((ClientError, BotoCoreError)):  # moto: 403 or 500 for a deleted role
        s3.get_object(Bucket=aws.bucket, Key="hello.txt")

    again = provider.revoke(applied.grant, ctx)
    assert again.ok
    assert "already deleted" in again.message


def test_revoke_with_attached_managed_policy(
    aws: AwsWorld, project: Path, provider: AwsProvider
) -> None:
    policy = make_policy(read_bucket(aws.bucket))
    ctx = make_ctx(project, policy, aws.source_env())
    applied = provider.apply(provider.plan(policy.credentials[0], ctx), ctx)
    name = applied.grant.objects["role_name"]
    iam = aws.admin("iam")
    arn = iam.create_policy(
        PolicyName="extra",
        PolicyDocument=json.dumps(ap.permission_policy(ao.parse_options(policy.credentials[0]))),
    )["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=name, PolicyArn=arn)
    result = provider.revoke(applied.grant, ctx)
    assert result.ok, result.message
    assert "1 attached" in result.message
    assert denied(lambda: iam.get_role(RoleName=name)) == "NoSuchEntity"


def test_revoke_fails_cleanly_without_permission(
    aws: AwsWorld, project: Path, provider: AwsProvider
) -> None:
    policy = make_policy(read_bucket(aws.bucket))
    ctx = make_ctx(project, policy, aws.source_env())
    applied = provider.apply(provider.plan(policy.credentials[0], ctx), ctx)
    _name, key_id, secret = aws.user(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}],
        }
    )
    weak = make_ctx(
        project, policy, aws.source_env(AWS_ACCESS_KEY_ID=key_id, AWS_SECRET_ACCESS_KEY=secret)
    )
    result = provider.revoke(applied.grant, weak)
    assert not result.ok
    assert "AccessDenied" in result.message
    assert secret not in result.message
    aws.admin("iam").get_role(RoleName=applied.grant.objects["role_name"])  # still there
    assert provider.revoke(applied.grant, ctx).ok


def test_first_assume_role_is_retried_while_iam_propagates(
    aws: AwsWorld, project: Path, recorder: Recorder
) -> None:
    """A new role can be refused for a few seconds on real AWS; apply retries AccessDenied."""
    refusals = {"left": 2}
    sleeps: list[float] = []

    def hook(service: str, boto_client: object) -> None:
        recorder.hook(service, boto_client)

        def refuse(**_: object) -> object:
            if refusals["left"] > 0:
                refusals["left"] -= 1
                error = {
                    "Error": {"Code": "AccessDenied", "Message": "not yet"},
                    "ResponseMetadata": {},
                }
                return (type("R", (), {"status_code": 403})(), error)
            return None

        boto_client.meta.events.register("before-call.sts.AssumeRole", refuse)  # type: ignore[attr-defined]

    provider = AwsProvider(client_hook=hook, retry_delays=(0.5, 1.0, 2.0), sleep=sleeps.append)
    policy = make_policy(read_bucket(aws.bucket))
    ctx = make_ctx(project, policy, aws.source_env())
    applied = provider.apply(provider.plan(policy.credentials[0], ctx), ctx)
    assert applied.env["AWS_SESSION_TOKEN"].reveal()
    assert sleeps == [0.5, 1.0]


def test_apply_rolls_back_when_the_role_never_becomes_assumable(
    aws: AwsWorld, project: Path
) -> None:
    def hook(service: str, boto_client: object) -> None:
        def refuse(**_: object) -> object:
            error = {"Error": {"Code": "AccessDenied", "Message": "never"}, "ResponseMetadata": {}}
            return (type("R", (), {"status_code": 403})(), error)

        boto_client.meta.events.register("before-call.sts.AssumeRole", refuse)  # type: ignore[attr-defined]

    provider = AwsProvider(client_hook=hook, retry_delays=(0.0,), sleep=lambda _s: None)
    policy = make_policy(read_bucket(aws.bucket))
    ctx = make_ctx(project, policy, aws.source_env())
    plan = provider.plan(policy.credentials[0], ctx)
    with pytest.raises(PermissionDenied, match="sts:AssumeRole"):
        provider.apply(plan, ctx)
    assert (
        denied(lambda: aws.admin("iam").get_role(RoleName=plan.grant.objects["role_name"]))
        == "NoSuchEntity"
    )


def test_plan_errors_are_translated_without_secrets(
    aws: AwsWorld, project: Path, provider: AwsProvider
) -> None:
    policy = make_policy(read_bucket(aws.bucket))
    wrong = "W" * 40
    ctx = make_ctx(project, policy, aws.source_env(AWS_SECRET_ACCESS_KEY=wrong))
    with pytest.raises(ProviderError) as info:
        provider.plan(policy.credentials[0], ctx)
    assert "SignatureDoesNotMatch" in str(info.value)
    assert "AWS_SECRET_ACCESS_KEY" in str(info.value)
    assert wrong not in str(info.value)

    missing = make_ctx(project, policy, {})
    with pytest.raises(ConfigError, match="AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"):
        provider.plan(policy.credentials[0], missing)


def test_unreachable_endpoint_is_a_provider_error(project: Path, provider: AwsProvider) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    policy = make_policy(read_bucket("b"))
    env = {
        "AWS_ACCESS_KEY_ID": "AKIAABCDEFGHIJKLMNOP",
        "AWS_SECRET_ACCESS_KEY": "s" * 40,
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
    }
    from agentauth.model import Secret

    ctx = make_ctx(project, policy, {k: Secret(v) for k, v in env.items()})
    with pytest.raises(ProviderError, match="cannot reach AWS"):
        provider.plan(policy.credentials[0], ctx)


def test_endpoint_from_the_process_environment_is_honoured(
    aws: AwsWorld, project: Path, provider: AwsProvider
) -> None:
    policy = make_policy(read_bucket(aws.bucket, region="eu-west-1"))
    source = aws.source_env()
    del source["AWS_ENDPOINT_URL"]
    ctx = make_ctx(project, policy, source)
    ctx = type(ctx)(**{**ctx.__dict__, "environ": {"AWS_ENDPOINT_URL": aws.endpoint}})
    plan = provider.plan(policy.credentials[0], ctx)
    assert plan.grant.objects["region"] == "eu-west-1"
    applied = provider.apply(plan, ctx)
    assert applied.env["AWS_REGION"].reveal() == "eu-west-1"
    assert applied.env["AWS_ENDPOINT_URL"].reveal() == aws.endpoint
    # revoke finds the endpoint in the grant even when the environment no longer has it
    bare = make_ctx(project, policy, source)
    assert provider.revoke(applied.grant, bare).ok


def test_a_named_role_that_exists_is_never_taken_over_or_deleted(
    aws: AwsWorld, project: Path, provider: AwsProvider
) -> None:
    """`name:` may collide with someone else's role: apply refuses, revoke leaves it alone."""
    iam = aws.admin("iam")
    trust = ap.trust_policy(f"arn:aws:iam::{ACCOUNT}:user/{aws.admin_name}")
    iam.create_role(RoleName="agentauth-shared", AssumeRolePolicyDocument=json.dumps(trust))
    policy = make_policy(read_bucket(aws.bucket, name="agentauth-shared"))
    ctx = make_ctx(project, policy, aws.source_env())
    plan = provider.plan(policy.credentials[0], ctx)
    assert plan.grant.objects["role_name"] == "agentauth-shared"
    with pytest.raises(ProviderError, match="already exists in IAM"):
        provider.apply(plan, ctx)
    iam.get_role(RoleName="agentauth-shared")
    # the pending grant is in the ledger; revoking it must not delete the foreign role
    result = provider.revoke(plan.grant, ctx)
    assert result.ok
    assert "not created by grant" in result.message
    role = iam.get_role(RoleName="agentauth-shared")["Role"]
    assert role["RoleName"] == "agentauth-shared"
    assert iam.list_role_policies(RoleName="agentauth-shared")["PolicyNames"] == []
