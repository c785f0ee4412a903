"""Fixtures for the AWS tests: moto in server mode on loopback, an admin user, two buckets.

moto runs in this process (ThreadedMotoServer) on 127.0.0.1 and a random port; IAM
enforcement is switched on after the setup calls and always switched off again.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator

import pytest
from tests.aws.awskit import ADMIN_POLICY, AwsWorld, Recorder, client, post

from agentauth.providers.aws.provider import AwsProvider


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """Start moto on 127.0.0.1 with a random port for the whole test session."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        yield endpoint
    finally:
        post(endpoint, "/moto-api/reset-auth", b"inf")
        server.stop()


@pytest.fixture
def aws(moto_endpoint: str) -> Iterator[AwsWorld]:
    """A fresh moto state: admin user with keys, two buckets with one object each; auth on."""
    post(moto_endpoint, "/moto-api/reset-auth", b"inf")
    post(moto_endpoint, "/moto-api/reset")
    try:
        boot = client("iam", moto_endpoint, "AKIAIOSFODNN7EXAMPLE", "x" * 40)
        admin = f"admin-{secrets.token_hex(4)}"
        boot.create_user(UserName=admin)
        boot.put_user_policy(
            UserName=admin, PolicyName="everything", PolicyDocument=json.dumps(ADMIN_POLICY)
        )
        key = boot.create_access_key(UserName=admin)["AccessKey"]
        s3 = client("s3", moto_endpoint, "AKIAIOSFODNN7EXAMPLE", "x" * 40)
        bucket, other = f"dev-assets-{secrets.token_hex(4)}", f"prod-data-{secrets.token_hex(4)}"
        for name in (bucket, other):
            s3.create_bucket(Bucket=name)
            s3.put_object(Bucket=name, Key="hello.txt", Body=f"hello from {name}".encode())
        post(moto_endpoint, "/moto-api/reset-auth", b"0")
        yield AwsWorld(
            moto_endpoint, admin, key["AccessKeyId"], key["SecretAccessKey"], bucket, other
        )
    finally:
        post(moto_endpoint, "/moto-api/reset-auth", b"inf")


@pytest.fixture
def recorder() -> Recorder:
    """A fresh call recorder."""
    return Recorder()


@pytest.fixture
def provider(recorder: Recorder) -> AwsProvider:
    """An AwsProvider that records its calls and never sleeps."""
    return AwsProvider(client_hook=recorder.hook, retry_delays=(0.0, 0.0), sleep=lambda _s: None)
