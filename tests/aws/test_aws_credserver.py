"""The run's container-credentials endpoint, through real boto3 against moto (issue 14).

An agent that works for hours outlives one STS session: the SDKs ask the endpoint in
``AWS_CONTAINER_CREDENTIALS_FULL_URI`` again before each session expires, and the
server mints a fresh one only then. Wrong or missing tokens are refused.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from awskit import AwsWorld, make_ctx, make_policy

from agentauth.model import Secret
from agentauth.providers.aws.provider import AwsProvider
from agentauth.service.credserver import AUTH_TOKEN, FULL_URI, STATIC, CredentialServer, child_env


def _read_bucket(bucket: str) -> dict[str, object]:
    return {
        "actions": ["s3:GetObject", "s3:ListBucket"],
        "resources": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
    }


_AGENT = """
import sys, boto3
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1")
if sys.argv[3] == "get":
    print(s3.get_object(Bucket=sys.argv[2], Key="hello.txt")["Body"].read().decode().strip())
else:
    s3.put_object(Bucket=sys.argv[2], Key="x", Body=b"x")
"""


def _agent(env: Mapping[str, str], endpoint: str, bucket: str, what: str) -> Any:
    """Run boto3 in a child process that has only ``env`` (as the agent would)."""
    base = {
        k: os.environ[k]
        for k in (
            "PATH",
            "HOME",
            "AWS_CONFIG_FILE",
            "AWS_SHARED_CREDENTIALS_FILE",
            "AWS_EC2_METADATA_DISABLED",
        )
        if k in os.environ
    }
    return subprocess.run(
        [sys.executable, "-c", _AGENT, endpoint, bucket, what],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_boto3_reads_refreshable_sessions_from_the_endpoint(
    aws: AwsWorld, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = AwsProvider(retry_delays=(0.0,), sleep=lambda _s: None)
    policy = make_policy(_read_bucket(aws.bucket))
    ctx = make_ctx(project, policy, aws.source_env())
    applied = provider.apply(provider.plan(policy.credentials[0], ctx), ctx)

    def mint() -> Mapping[str, Secret]:
        fresh = provider.mint(applied.grant, ctx)
        assert fresh is not None
        return fresh.env

    clock = {"now": datetime.now(UTC)}
    server = CredentialServer(mint, initial=applied.env, clock=lambda: clock["now"])
    with server as endpoint:
        child = child_env({k: v.reveal() for k, v in applied.env.items()}, endpoint)
        assert not set(STATIC) & set(child)  # static keys would win over the endpoint
        assert child[FULL_URI].startswith("http://127.0.0.1:")
        first = _agent(child, aws.endpoint, aws.bucket, "get")
        assert first.returncode == 0, first.stderr
        assert "hello" in first.stdout
        assert server.mints == 0  # the session .env.ai held was still fresh
        clock["now"] += timedelta(minutes=58)  # within 5 minutes of its expiry
        again = _agent(child, aws.endpoint, aws.bucket, "get")
        assert again.returncode == 0, again.stderr
        assert server.mints == 1  # one fresh session, minted only when needed
        denied = _agent(child, aws.endpoint, aws.bucket, "put")
        assert denied.returncode != 0 and "AccessDenied" in denied.stderr  # still scoped


def _get(url: str, token: str | None) -> tuple[int, dict[str, Any]]:
    assert url.startswith("http://127.0.0.1:")
    request = urllib.request.Request(url, headers={"Authorization": token} if token else {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _session(expires: datetime) -> dict[str, Secret]:
    return {
        "AWS_ACCESS_KEY_ID": Secret("ASIAEXAMPLE"),
        "AWS_SECRET_ACCESS_KEY": Secret("secret-value-0123456789"),
        "AWS_SESSION_TOKEN": Secret("token-value-0123456789"),
        "AWS_CREDENTIAL_EXPIRATION": Secret(expires.strftime("%Y-%m-%dT%H:%M:%SZ")),
    }


def test_the_endpoint_refuses_a_missing_or_wrong_token_and_binds_loopback() -> None:
    calls: list[int] = []

    def mint() -> Mapping[str, Secret]:
        calls.append(1)
        return _session(datetime.now(UTC) + timedelta(hours=1))

    server = CredentialServer(mint)
    with server as endpoint:
        assert _get(endpoint.url, None)[0] == 401
        assert _get(endpoint.url, "not-the-token")[0] == 401
        assert server.refused == 2 and calls == []  # nothing minted for a refused caller
        status, body = _get(endpoint.url, endpoint.token.reveal())
        assert status == 200 and body["AccessKeyId"] == "ASIAEXAMPLE"
        assert set(body) == {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}
        assert (
            _get(endpoint.url.replace("/credentials", "/other"), endpoint.token.reveal())[0] == 404
        )
        assert endpoint.env() == {FULL_URI: endpoint.url, AUTH_TOKEN: endpoint.token.reveal()}
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(endpoint.url, timeout=2)  # noqa: S310 - stopped: port closed


def test_a_failing_refresh_is_an_error_answer_without_secrets() -> None:
    def mint() -> Mapping[str, Secret]:
        raise RuntimeError("grant aws-1234 is not active (revoked?)")

    with CredentialServer(mint) as endpoint:
        status, body = _get(endpoint.url, endpoint.token.reveal())
    assert status == 500 and "not active" in body["message"]
