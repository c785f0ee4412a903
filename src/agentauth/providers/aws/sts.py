"""Minting STS sessions for the AWS provider: AssumeRole on the agent's role, or scoped sessions.

Why a module of its own: ``apply`` (first session) and ``mint`` (one per ``agentauth
run``) must build exactly the same request and the same five ``.env.ai`` variables.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from agentauth.errors import ProviderError
from agentauth.model import Grant, Secret
from agentauth.providers.aws import limits
from agentauth.providers.aws import policy as ap
from agentauth.providers.aws.client import (
    Connection,
    call,
    error_code,
    is_sdk_error,
    translate,
    with_retry,
)


def session_env(
    credentials: Mapping[str, Any], region: str, endpoint: str | None
) -> dict[str, Secret]:
    """Return the ``.env.ai`` variables of one STS session (all wrapped, secret or not)."""
    expiration = credentials["Expiration"]
    env = {
        "AWS_ACCESS_KEY_ID": Secret(str(credentials["AccessKeyId"])),
        "AWS_SECRET_ACCESS_KEY": Secret(str(credentials["SecretAccessKey"])),
        "AWS_SESSION_TOKEN": Secret(str(credentials["SessionToken"])),
        "AWS_REGION": Secret(region),
        "AWS_DEFAULT_REGION": Secret(region),
        "AWS_CREDENTIAL_EXPIRATION": Secret(ap.iso(expiration)),
    }
    if endpoint:
        env["AWS_ENDPOINT_URL"] = Secret(endpoint)
    return env


def assume(
    grant: Grant,
    conn: Connection,
    now: datetime,
    *,
    delays: Sequence[float] = (),
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[dict[str, Secret], str]:
    """AssumeRole on the grant's role; return the session's env and its expiry text.

    ``delays`` > () retries AccessDenied while a new role propagates (apply only).
    """
    sts = conn.client("sts")
    duration = remaining(grant, now)
    params = {
        "RoleArn": str(grant.objects["role_arn"]),
        "RoleSessionName": ap.session_name(grant.agent, now),
        "DurationSeconds": duration,
    }
    try:
        answer = with_retry(lambda: sts.assume_role(**params), delays=delays, sleep=sleep)
    except Exception as exc:
        if is_sdk_error(exc):
            raise translate(exc, "sts:AssumeRole", conn.credentials.scrubber()) from None
        raise
    env = session_env(answer["Credentials"], conn.region, conn.endpoints.get("sts"))
    return env, env["AWS_CREDENTIAL_EXPIRATION"].reveal()


def scoped_session(grant: Grant, conn: Connection, now: datetime) -> tuple[dict[str, Secret], str]:
    """GetScopedCredentials where the SDK and endpoint have it, else AssumeRole + Policy."""
    sts = conn.client("sts")
    policy = str(grant.objects["session_policy"])
    duration = remaining(grant, now)
    scrub = conn.credentials.scrubber()
    answer: Mapping[str, Any] | None = None
    if hasattr(sts, "get_scoped_credentials"):
        try:
            answer = sts.get_scoped_credentials(
                Policy=policy,
                DurationSeconds=duration,
                ScopedSessionDescription=f"agentauth agent {grant.agent}",
            )
        except Exception as exc:
            if not is_sdk_error(exc) or not unsupported(exc):
                if is_sdk_error(exc):
                    raise translate(exc, "sts:GetScopedCredentials", scrub) from None
                raise
    if answer is None:
        role_arn = str(grant.objects.get("role_arn") or "")
        if not role_arn:
            raise ProviderError(
                "this AWS endpoint has no GetScopedCredentials and the source credential "
                "is not an assumed role; set mode: role in agentauth.yaml"
            )
        answer = call(
            "sts:AssumeRole",
            scrub,
            lambda: sts.assume_role(
                RoleArn=role_arn,
                RoleSessionName=ap.session_name(grant.agent, now),
                Policy=policy,
                DurationSeconds=min(duration, limits.CHAINED_MAX_DURATION),
            ),
        )
    env = session_env(answer["Credentials"], conn.region, conn.endpoints.get("sts"))
    return env, env["AWS_CREDENTIAL_EXPIRATION"].reveal()


def remaining(grant: Grant, now: datetime) -> int:
    """The session length: the planned duration, but not past the grant's expiry (min 15m)."""
    duration = int(grant.objects.get("duration", 3600))
    if grant.expires is not None:
        left = int((grant.expires - now).total_seconds())
        duration = min(duration, max(left, limits.MIN_DURATION))
    return duration


def unsupported(exc: BaseException) -> bool:
    """True when the endpoint does not implement GetScopedCredentials (moto, LocalStack)."""
    code = error_code(exc)
    if code in {"InvalidAction", "UnknownOperation", "NotImplemented", "InternalFailure"}:
        return True
    status = getattr(exc, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code is None or status == 500 or status == 501
