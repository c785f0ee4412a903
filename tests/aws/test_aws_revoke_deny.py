"""AWS revoke ends minted sessions at once (issue 14, "Revocation that means it").

The IAM console's "Revoke active sessions" puts an inline deny on every session whose
``aws:TokenIssueTime`` is before now. agentauth does that *first*, so even when a later
step of the revocation fails (here: DeleteRolePolicy refused), the sessions the agent
already holds are refused from that moment. moto enforces the role's own policies
(not the date condition, which it ignores: the deny then covers every session, which
is the part this test needs).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from awskit import AwsWorld, Recorder, make_ctx, make_policy
from botocore.exceptions import ClientError

from agentauth.providers.aws import policy as ap
from agentauth.providers.aws.provider import AwsProvider


def _read_bucket(bucket: str) -> dict[str, object]:
    return {
        "actions": ["s3:GetObject", "s3:ListBucket"],
        "resources": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
    }


def test_sessions_are_refused_once_revoke_starts_even_if_deletion_fails(
    aws: AwsWorld, project: Path, recorder: Recorder
) -> None:
    fail_deletes = {"on": False}

    def hook(service: str, client: Any) -> None:
        recorder.hook(service, client)

        def refuse(**_kwargs: Any) -> None:
            if fail_deletes["on"]:
                raise ClientError(
                    {"Error": {"Code": "ServiceFailure", "Message": "injected"}},
                    "DeleteRolePolicy",
                )

        client.meta.events.register("before-call.iam.DeleteRolePolicy", refuse)

    provider = AwsProvider(client_hook=hook, retry_delays=(0.0, 0.0), sleep=lambda _s: None)
    policy = make_policy(_read_bucket(aws.bucket))
    ctx = make_ctx(project, policy, aws.source_env())
    applied = provider.apply(provider.plan(policy.credentials[0], ctx), ctx)
    env = {k: v.reveal() for k, v in applied.env.items()}
    s3 = aws.client(
        "s3", env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], env["AWS_SESSION_TOKEN"]
    )
    assert s3.get_object(Bucket=aws.bucket, Key="hello.txt")["Body"].read()  # works before

    fail_deletes["on"] = True
    result = provider.revoke(applied.grant, ctx)
    assert not result.ok  # the role could not be deleted: the grant stays to retry
    name = applied.grant.objects["role_name"]
    inline = aws.admin("iam").list_role_policies(RoleName=name)["PolicyNames"]
    assert ap.REVOKE_POLICY_NAME in inline  # the deny went on before the failure
    document = aws.admin("iam").get_role_policy(RoleName=name, PolicyName=ap.REVOKE_POLICY_NAME)
    body = document["PolicyDocument"]
    statement = (json.loads(body) if isinstance(body, str) else body)["Statement"][0]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"DateLessThan": {"aws:TokenIssueTime": ap.iso(ctx.now)}}
    with pytest.raises(ClientError) as info:  # the agent's session is refused at once
        s3.get_object(Bucket=aws.bucket, Key="hello.txt")
    assert info.value.response["Error"]["Code"] == "AccessDenied"

    fail_deletes["on"] = False
    assert provider.revoke(applied.grant, ctx).ok  # the retry finishes the job
