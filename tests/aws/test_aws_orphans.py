"""``revoke --scan`` against moto: an IAM role left by a lost ledger is found and deleted.

Only roles that start with ``agentauth-`` and carry agentauth's tags for this agent
count: an untagged look-alike and another agent's role stay.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from tests.aws.awskit import AwsWorld
from tests.aws.test_aws_cli import cli, env_ai, setup_project

from agentauth.state.ledger import BACKUP_FILE, Ledger

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
     "Action": "sts:AssumeRole"}]})  # fmt: skip


def test_scan_deletes_the_orphaned_role_and_nothing_else(aws: AwsWorld, project: Path) -> None:
    setup_project(project, aws)
    done = cli(project, "provision", "--yes")
    assert done.returncode == 0, done.stderr
    iam = aws.admin("iam")
    [role] = [r["RoleName"] for r in iam.list_roles()["Roles"]]
    values = env_ai(project)
    ledger = Ledger(project)
    ledger.path.unlink()
    ledger.path.with_name(BACKUP_FILE).unlink(missing_ok=True)
    iam.create_role(RoleName="agentauth-claude-code-mine", AssumeRolePolicyDocument=TRUST)
    iam.create_role(RoleName="agentauth-other-agent-1", AssumeRolePolicyDocument=TRUST,
                    Tags=[{"Key": "agentauth", "Value": "true"},
                          {"Key": "agentauth-agent", "Value": "other-agent"},
                          {"Key": "agentauth-grant", "Value": "aws-feedbeef"}])  # fmt: skip

    dry = cli(project, "revoke", "--scan", "--dry-run", "--format", "json")
    assert dry.returncode == 0, dry.stderr
    assert [(o["kind"], o["name"]) for o in json.loads(dry.stdout)["orphans"]] == [
        ("IAM role", role)
    ]
    gone = cli(project, "revoke", "--scan", "--yes", "--format", "json")
    assert gone.returncode == 0, gone.stderr
    doc = json.loads(gone.stdout)
    assert [o["name"] for o in doc["orphans"]] == [role]
    assert [(r["status"], r["ok"]) for r in doc["removed"]] == [("revoked", True)]
    assert f"role {role}" in doc["removed"][0]["message"]
    with pytest.raises(ClientError, match="NoSuchEntity"):
        iam.get_role(RoleName=role)
    names = sorted(r["RoleName"] for r in iam.list_roles()["Roles"])
    assert names == ["agentauth-claude-code-mine", "agentauth-other-agent-1"]
    s3 = aws.client("s3", values["AWS_ACCESS_KEY_ID"], values["AWS_SECRET_ACCESS_KEY"],
                    values["AWS_SESSION_TOKEN"])  # fmt: skip
    with pytest.raises(ClientError):
        s3.get_object(Bucket=aws.bucket, Key="hello.txt")
    for secret in (aws.admin_secret, values["AWS_SECRET_ACCESS_KEY"]):
        assert secret not in dry.stdout + dry.stderr + gone.stdout + gone.stderr
