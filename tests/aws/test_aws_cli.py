"""AWS through the real CLI against moto: dry-run JSON, provision, status, run, revoke; no leaks."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.aws.awskit import ACCOUNT, AwsWorld
from tests.support.cli import run_cli

from agentauth.providers.aws import policy as ap


def cli(project: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=cwd or project, full_env=True)


def setup_project(project: Path, aws: AwsWorld) -> None:
    (project / ".env").write_text(
        f"AWS_ACCESS_KEY_ID={aws.admin_key_id}\n"
        f"AWS_SECRET_ACCESS_KEY={aws.admin_secret}\n"
        "AWS_REGION=us-east-1\n"
        f"AWS_ENDPOINT_URL={aws.endpoint}\n"
        "APP_NAME=shop\n"
    )
    (project / "agentauth.yaml").write_text(
        "version: 1\n"
        "agent: claude-code\n"
        "ttl: 8h\n"
        "credentials:\n"
        "  AWS:\n"
        "    provider: aws\n"
        '    actions: ["s3:GetObject", "s3:ListBucket"]\n'
        f'    resources: ["arn:aws:s3:::{aws.bucket}", "arn:aws:s3:::{aws.bucket}/*"]\n'
        "    duration: 1h\n"
    )


def env_ai(project: Path) -> dict[str, str]:
    values = {}
    for line in (project / ".env.ai").read_text().splitlines():
        match = re.match(r"^([A-Z_]+)=(.*)$", line)
        if match:
            values[match.group(1)] = match.group(2).strip("'\"")
    return values


def state_text() -> str:
    home = Path(os.environ["AGENTAUTH_HOME"])
    return "".join(p.read_text(errors="replace") for p in home.rglob("*") if p.is_file())


def json_blocks(text: str) -> list[Any]:
    """Every top-level JSON object printed (indented) in ``text``."""
    blocks, current, depth = [], [], 0
    for line in text.splitlines():
        stripped = line.strip()
        if depth == 0 and stripped == "{":
            current = [stripped]
            depth = 1
            continue
        if depth:
            current.append(stripped)
            depth += stripped.count("{") - stripped.count("}")
            if depth == 0:
                blocks.append(json.loads("\n".join(current)))
    return blocks


def test_provision_status_run_revoke_through_the_cli(aws: AwsWorld, project: Path) -> None:
    setup_project(project, aws)
    outputs: list[str] = []

    dry = cli(project, "provision", "--dry-run")
    outputs += [dry.stdout, dry.stderr]
    assert dry.returncode == 0, dry.stderr
    trust, permissions = json_blocks(dry.stdout)
    principal = f"arn:aws:iam::{ACCOUNT}:user/{aws.admin_name}"
    assert trust["Statement"][0]["Principal"] == {"AWS": principal}
    assert trust["Statement"][0]["Action"] == "sts:AssumeRole"
    assert permissions["Statement"][0]["Action"] == ["s3:GetObject", "s3:ListBucket"]
    assert permissions["Statement"][0]["Resource"] == [
        f"arn:aws:s3:::{aws.bucket}",
        f"arn:aws:s3:::{aws.bucket}/*",
    ]
    assert not (project / ".env.ai").exists()
    assert aws.admin("iam").list_roles()["Roles"] == []

    as_json = cli(project, "provision", "--dry-run", "--format", "json")
    assert as_json.returncode == 0, as_json.stderr
    plan = json.loads(as_json.stdout)["plans"][0]
    assert plan["provider"] == "aws"
    details = [json.loads(s["detail"]) for s in plan["steps"] if s["detail"]]
    assert details[1] == permissions
    assert details[0]["Statement"][0]["Principal"] == trust["Statement"][0]["Principal"]
    assert "aws:CurrentTime" in details[0]["Statement"][0]["Condition"]["DateLessThan"]

    done = cli(project, "provision", "--yes")
    outputs += [done.stdout, done.stderr]
    assert done.returncode == 0, done.stderr
    values = env_ai(project)
    for name in ap.OUTPUTS:
        assert values.get(name), name
    assert values["AWS_ACCESS_KEY_ID"].startswith("ASIA")
    assert values["AWS_ACCESS_KEY_ID"] != aws.admin_key_id
    assert aws.admin_secret not in (project / ".env.ai").read_text()
    s3 = aws.client(
        "s3",
        values["AWS_ACCESS_KEY_ID"],
        values["AWS_SECRET_ACCESS_KEY"],
        values["AWS_SESSION_TOKEN"],
    )
    assert s3.get_object(Bucket=aws.bucket, Key="hello.txt")["Body"].read()
    with pytest.raises(ClientError, match="AccessDenied"):
        s3.put_object(Bucket=aws.bucket, Key="x", Body=b"x")
    with pytest.raises(ClientError, match="AccessDenied"):
        s3.get_object(Bucket=aws.other_bucket, Key="hello.txt")

    status = cli(project, "status", "--format", "json")
    outputs += [status.stdout, status.stderr]
    assert status.returncode == 0, status.stderr
    grants = json.loads(status.stdout)["grants"]
    assert [g["provider"] for g in grants] == ["aws"]
    assert grants[0]["state"] == "active"
    assert aws.bucket in grants[0]["scope"]
    role_name = grants[0]["objects"]["role_name"]
    aws.admin("iam").get_role(RoleName=role_name)
    table = cli(project, "status")
    assert role_name in table.stdout

    revoked = cli(project, "revoke", "--all", "--yes")
    outputs += [revoked.stdout, revoked.stderr]
    assert revoked.returncode == 0, revoked.stderr
    assert "revoked" in revoked.stdout
    with pytest.raises(ClientError, match="NoSuchEntity"):
        aws.admin("iam").get_role(RoleName=role_name)
    assert "AWS_SESSION_TOKEN" not in env_ai(project)
    again = cli(project, "revoke", "--all", "--yes")
    assert again.returncode == 0, again.stderr

    log = cli(project, "log", "--format", "json")
    outputs += [log.stdout, log.stderr]
    events = [e["event"] for e in json.loads(log.stdout)]
    assert "provision" in events and "revoke" in events

    everything = "\n".join([*outputs, state_text()])
    for secret in (
        aws.admin_secret,
        values["AWS_SECRET_ACCESS_KEY"],
        values["AWS_SESSION_TOKEN"],
    ):
        assert secret not in everything


def test_run_gives_the_agent_a_working_scoped_session(aws: AwsWorld, project: Path) -> None:
    setup_project(project, aws)
    done = cli(project, "provision", "--yes")
    assert done.returncode == 0, done.stderr
    # The agent: a Python process that uses only what `agentauth run` gives it.
    script = (
        "import os, boto3\n"
        "from botocore.config import Config\n"
        # run serves refreshable sessions: the endpoint, never static keys (issue 14)
        "assert 'AWS_SECRET_ACCESS_KEY' not in os.environ\n"
        "assert os.environ['AWS_CONTAINER_CREDENTIALS_FULL_URI'].startswith('http://127.0.0.1:')\n"
        "s3 = boto3.client('s3', config=Config(s3={'addressing_style': 'path'}))\n"
        f"print(s3.get_object(Bucket='{aws.bucket}', Key='hello.txt')['Body'].read().decode())\n"
        "try:\n"
        f"    s3.put_object(Bucket='{aws.bucket}', Key='x', Body=b'x')\n"
        "    print('WRITE ALLOWED')\n"
        "except Exception as exc:\n"
        "    print('write refused:', type(exc).__name__)\n"
    )
    ran = cli(project, "run", "--", sys.executable, "-c", script)
    assert ran.returncode == 0, ran.stderr
    assert f"hello from {aws.bucket}" in ran.stdout
    assert "write refused: AccessDenied" in ran.stdout
    assert aws.admin_secret not in ran.stdout + ran.stderr
    assert cli(project, "revoke", "--all", "--yes").returncode == 0


def test_bad_policy_entry_exits_2_naming_the_line(aws: AwsWorld, project: Path) -> None:
    setup_project(project, aws)
    text = (project / "agentauth.yaml").read_text().replace("s3:ListBucket", "s3 ListBucket")
    (project / "agentauth.yaml").write_text(text)
    result = cli(project, "provision", "--dry-run")
    assert result.returncode == 2
    assert "credentials.AWS.actions" in result.stderr
    assert "agentauth.yaml:7: credentials.AWS.actions" in result.stderr  # the key's own line
    assert aws.admin_secret not in result.stdout + result.stderr


def test_audit_verify_rates_admin_keys_critical(aws: AwsWorld, project: Path) -> None:
    setup_project(project, aws)
    result = cli(project, "audit", "--verify", "--format", "json")
    assert result.returncode in (0, 1), result.stderr
    findings = json.loads(result.stdout)["findings"]
    verified = [f for f in findings if f["provider"] == "aws" and f.get("verification")]
    assert verified, findings
    for item in verified:
        assert item["verification"]["status"] == "valid"
        assert item["verification"]["severity"] == "critical"
        assert item["severity"] == "critical"
        assert aws.admin_name in item["verification"]["summary"]
    assert aws.admin_secret not in result.stdout + result.stderr


def test_run_serves_every_aws_grant_as_a_refreshable_profile(aws: AwsWorld, project: Path) -> None:
    """Two AWS grants: the first on the default chain, each one as a profile (issue 14)."""
    setup_project(project, aws)
    policy = (project / "agentauth.yaml").read_text()
    policy += (
        "  AWS_PROD:\n"
        "    provider: aws\n"
        '    actions: ["s3:GetObject"]\n'
        f'    resources: ["arn:aws:s3:::{aws.other_bucket}/*"]\n'
        "    duration: 1h\n"
    )
    (project / "agentauth.yaml").write_text(policy)
    done = cli(project, "provision", "--yes")
    assert done.returncode == 0, done.stderr
    script = (
        "import os, boto3\n"
        "from botocore.config import Config\n"
        "cfg = Config(s3={'addressing_style': 'path'})\n"
        "def get(session, bucket):\n"
        "    try:\n"
        "        s3 = session.client('s3', config=cfg)\n"
        "        return s3.get_object(Bucket=bucket, Key='hello.txt')['Body'].read().decode()\n"
        "    except Exception as exc:\n"
        "        return 'refused: ' + type(exc).__name__\n"
        f"B, P = {aws.bucket!r}, {aws.other_bucket!r}\n"
        "print('default', get(boto3.Session(), B), '|', get(boto3.Session(), P))\n"
        "for name in ('aws', 'aws_prod'):\n"
        "    s = boto3.Session(profile_name=name)\n"
        "    print(name, get(s, B), '|', get(s, P))\n"
        "config = os.environ['AWS_CONFIG_FILE']\n"
        "print('config', config, open(config).read().count('credential_process'))\n"
    )
    ran = cli(project, "run", "--", sys.executable, "-c", script)
    assert ran.returncode == 0, ran.stderr
    lines = dict(line.split(" ", 1) for line in ran.stdout.splitlines())
    assert lines["aws"] == f"hello from {aws.bucket} | refused: AccessDenied"
    assert lines["aws_prod"] == f"refused: AccessDenied | hello from {aws.other_bucket}"
    assert lines["default"] == lines["aws"]  # the first grant is the default chain's
    config, count = lines["config"].split(" ")
    assert count == "2" and not Path(config).exists()  # one profile per grant; removed at exit
    assert aws.admin_secret not in ran.stdout + ran.stderr
    assert cli(project, "revoke", "--all", "--yes").returncode == 0
