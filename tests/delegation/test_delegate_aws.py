"""Delegated AWS sessions against moto (server mode): the exact session policy sent.

The parent is provisioned the ordinary way (its own role, GetObject + ListBucket on one
bucket); the child asks for GetObject on the bucket's objects and gets AssumeRole of the
parent's role with exactly that session policy. Asking for an action or a resource the
parent lacks is refused before any call to AWS. (moto enforces role and user policies
but not session policies, so the document AWS would enforce is what is asserted.)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.aws.awskit import AwsWorld, Recorder
from tests.aws.conftest import aws, moto_endpoint, provider, recorder
from tests.delegation.kit import delegate, provision_parent

from agentauth.model import GrantStatus
from agentauth.providers.aws import provider as aws_module
from agentauth.providers.aws.provider import AwsProvider
from agentauth.service import delegate as service
from agentauth.state.ledger import Ledger

__all__ = ["aws", "moto_endpoint", "provider", "recorder"]
Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def session(aws: AwsWorld, project: Path, provider: AwsProvider, cli: Cli,
            monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:  # fmt: skip
    """Provision the parent through the CLI (recorded provider); return its session env."""
    monkeypatch.setattr(aws_module, "PROVIDER", provider)
    (project / ".env").write_text(
        f"AWS_ACCESS_KEY_ID={aws.admin_key_id}\nAWS_SECRET_ACCESS_KEY={aws.admin_secret}\n"
        f"AWS_REGION=us-east-1\nAWS_ENDPOINT_URL={aws.endpoint}\n"
    )
    (project / "agentauth.yaml").write_text(
        "version: 1\nagent: claude-code\nttl: 8h\ncredentials:\n  AWS:\n    provider: aws\n"
        '    actions: ["s3:GetObject", "s3:ListBucket"]\n'
        f'    resources: ["arn:aws:s3:::{aws.bucket}", "arn:aws:s3:::{aws.bucket}/*"]\n'
        "    duration: 1h\n"
    )
    return provision_parent(cli, project)


def _delegate(project: Path, env: dict[str, str], *only: str) -> service.Delegation:
    return delegate(project, env, *only, minutes=20)


def _creds(env: dict[str, str]) -> tuple[str, str, str]:
    return env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], env["AWS_SESSION_TOKEN"]


def test_the_child_session_carries_exactly_the_requested_subset(
    aws: AwsWorld, project: Path, session: dict[str, str], recorder: Recorder
) -> None:
    (parent,) = Ledger(project).grants()
    made = _delegate(project, session, f"AWS=s3:GetObject,arn:aws:s3:::{aws.bucket}/*")
    call = recorder.params("AssumeRole")[-1]
    assert call["RoleArn"] == parent.objects["role_arn"]
    assert call["RoleSessionName"].startswith("agentauth-claude_code__reviewer-")
    assert json.loads(call["Policy"]) == {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "AgentAuthScope", "Effect": "Allow", "Action": ["s3:GetObject"],
                       "Resource": [f"arn:aws:s3:::{aws.bucket}/*"]}],
    }  # fmt: skip
    assert call["DurationSeconds"] <= 3600
    child = made.env
    assert child["AWS_ACCESS_KEY_ID"] != session["AWS_ACCESS_KEY_ID"]
    s3 = aws.client("s3", *_creds(child))
    assert s3.get_object(Bucket=aws.bucket, Key="hello.txt")["Body"].read().startswith(b"hello")
    (grant,) = made.grants
    assert grant.parent == parent.id and grant.objects["mode"] == "delegated-session"
    assert grant.expires is not None and parent.expires is not None
    assert grant.expires <= parent.expires


def test_an_action_or_resource_beyond_the_parent_is_refused_before_aws_is_called(
    aws: AwsWorld, project: Path, session: dict[str, str], recorder: Recorder
) -> None:
    calls = len(recorder.calls)
    with pytest.raises(Exception, match=r"action s3:PutObject exceeds what claude-code holds"):
        _delegate(project, session, "AWS=s3:GetObject,s3:PutObject")
    with pytest.raises(Exception, match=rf"resource arn:aws:s3:::{aws.other_bucket}/\* exceeds"):
        _delegate(project, session, f"AWS=arn:aws:s3:::{aws.other_bucket}/*")
    with pytest.raises(Exception, match=r"action s3:\* exceeds"):
        _delegate(project, session, "AWS=s3:*")
    assert len(recorder.calls) == calls, "nothing may reach AWS for a refused request"
    assert len(Ledger(project).grants()) == 1


def test_revoking_the_child_denies_its_session_on_the_parent_role_and_keeps_the_parent(
    aws: AwsWorld, project: Path, session: dict[str, str], recorder: Recorder, cli: Cli
) -> None:
    (parent,) = Ledger(project).grants()
    made = _delegate(project, session, "AWS=s3:GetObject")
    code, out, err = cli("revoke", made.grants[0].id, "--yes", "-C", str(project))
    assert code == 0, out + err
    (put,) = [p for p in recorder.params("PutRolePolicy") if "deny" in p["PolicyName"]]
    assert put["RoleName"] == parent.objects["role_name"]
    deny = json.loads(put["PolicyDocument"])["Statement"][0]
    assert deny["Effect"] == "Deny"
    name = made.grants[0].objects["session_name"]
    assert deny["Condition"] == {"StringLike": {"aws:userid": f"*:{name}"}}
    assert Ledger(project).get(parent.id).status is GrantStatus.ACTIVE  # type: ignore[union-attr]
    again = _delegate(project, session, "AWS=s3:GetObject")
    code, out, err = cli("revoke", parent.id, "--yes", "-C", str(project))
    assert code == 0, out + err
    assert Ledger(project).get(again.grants[0].id).status is GrantStatus.REVOKED  # type: ignore[union-attr]
    roles = [r["RoleName"] for r in aws.admin("iam").list_roles()["Roles"]]
    assert parent.objects["role_name"] not in roles
