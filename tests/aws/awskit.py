"""Helpers for the AWS tests (moto client factory, world record, policy and context builders)."""

from __future__ import annotations

import json
import secrets
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from tests.support.contexts import make_ctx as make_ctx

from agentauth.model import Action, CredentialPolicy, Policy, Secret

ACCOUNT = "123456789012"
ADMIN_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def post(endpoint: str, path: str, body: bytes = b"") -> None:
    """POST to moto's control API (reset, reset-auth)."""
    request = urllib.request.Request(  # noqa: S310
        endpoint + path, data=body, method="POST", headers={"Content-Type": "text/plain"}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 (loopback only)
        answer.read()


def client(service: str, endpoint: str, key_id: str, secret: str, token: str | None = None) -> Any:
    """A boto3 client for ``service`` on moto, with path-style S3 and no retries."""
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        aws_session_token=token,
        region_name="us-east-1",
    )
    config = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1})
    return session.client(service, endpoint_url=endpoint, config=config)


@dataclass
class AwsWorld:
    """What the ``aws`` fixture created; names are random per test."""

    endpoint: str
    admin_name: str
    admin_key_id: str
    admin_secret: str
    bucket: str
    other_bucket: str
    users: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Extra IAM users created by :meth:`user` (name -> key id, secret)."""

    def client(self, service: str, key_id: str, secret: str, token: str | None = None) -> Any:
        """A client as the given credentials."""
        return client(service, self.endpoint, key_id, secret, token)

    def admin(self, service: str) -> Any:
        """A client as the admin user (enforcement is on: the admin policy allows all)."""
        return self.client(service, self.admin_key_id, self.admin_secret)

    def source_env(self, **extra: str) -> dict[str, Secret]:
        """The developer's .env: admin keys and the moto endpoint."""
        values = {
            "AWS_ACCESS_KEY_ID": self.admin_key_id,
            "AWS_SECRET_ACCESS_KEY": self.admin_secret,
            "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": self.endpoint,
            **extra,
        }
        return {k: Secret(v) for k, v in values.items()}

    def user(self, policy: dict[str, Any]) -> tuple[str, str, str]:
        """Create an IAM user with ``policy`` inline; return (name, key id, secret)."""
        iam = self.admin("iam")
        name = f"u-{secrets.token_hex(4)}"
        iam.create_user(UserName=name)
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        self.users[name] = (key["AccessKeyId"], key["SecretAccessKey"])
        return name, key["AccessKeyId"], key["SecretAccessKey"]


def make_policy(
    options: dict[str, Any], *, agent: str = "claude-code", ttl: int = 8 * 3600
) -> Policy:
    """A Policy holding one AWS entry with ``options``."""
    entry = CredentialPolicy("AWS", Action.PROVISION, "aws", options, line=7)
    return Policy(
        agent=agent, source=".env", output=".env.ai", ttl_seconds=ttl, credentials=(entry,)
    )


@dataclass
class Recorder:
    """Collects every AWS API call the provider makes: (service, operation, params)."""

    calls: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def hook(self, service: str, boto_client: Any) -> None:
        """Attach to a client (AwsProvider's client_hook)."""

        def record(params: dict[str, Any], model: Any, **_: Any) -> None:
            self.calls.append((service, model.name, dict(params)))

        boto_client.meta.events.register("provide-client-params", record)

    def names(self) -> list[str]:
        """The operation names in call order."""
        return [name for _s, name, _p in self.calls]

    def params(self, operation: str) -> list[dict[str, Any]]:
        """The parameters of every call of ``operation``."""
        return [p for _s, name, p in self.calls if name == operation]
