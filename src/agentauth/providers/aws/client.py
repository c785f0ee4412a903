"""boto3 plumbing for the AWS provider: isolated sessions, endpoints, regions, error translation.

Why a module of its own: every AWS call agentauth makes must use exactly the
credentials it was given (never ``~/.aws`` or a profile), honour
``AWS_ENDPOINT_URL`` the way boto3 does, and turn botocore's exceptions into
messages with a remedy that never echo a key. boto3 is imported inside functions.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from agentauth.errors import AgentAuthError, ConfigError, PermissionDenied, ProviderError
from agentauth.model import Grant, Secret
from agentauth.providers.base import ProviderContext
from agentauth.redact import Scrubber

ClientHook = Callable[[str, Any], None]
"""Called with (service name, client) for every client created; tests attach stubs here."""

T = TypeVar("T")

DEFAULT_REGION = "us-east-1"
_DENIED = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedAccess",
    "AuthorizationError",
}
_REJECTED = {"InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException"}
_EXPIRED = {"ExpiredToken", "ExpiredTokenException", "RequestExpired"}
NOT_FOUND = {"NoSuchEntity", "NoSuchEntityException"}


@dataclass(frozen=True)
class Credentials:
    """An AWS key pair (and session token); the secret parts stay wrapped."""

    access_key_id: str
    secret_access_key: Secret
    session_token: Secret | None = None

    @property
    def temporary(self) -> bool:
        """True for STS keys (``ASIA…``), which need their session token."""
        return self.access_key_id.startswith("ASIA")

    def scrubber(self) -> Scrubber:
        """Return a Scrubber that hides these values in SDK error text."""
        values: list[Secret | str] = [self.secret_access_key]
        if self.session_token is not None:
            values.append(self.session_token)
        return Scrubber(values)


def source_credentials(source_env: Mapping[str, Secret], source_name: str) -> Credentials:
    """Return the developer's own AWS keys from the source env file, or say where to put them."""
    key_id = source_env.get("AWS_ACCESS_KEY_ID")
    secret = source_env.get("AWS_SECRET_ACCESS_KEY")
    if key_id is None or secret is None or not key_id.reveal() or not secret.reveal():
        raise ConfigError(
            f"AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set in {source_name}; "
            "put the keys agentauth should provision with there (they are never copied "
            "to the agent)"
        )
    token = source_env.get("AWS_SESSION_TOKEN")
    if token is not None and not token.reveal():
        token = None
    return Credentials(key_id.reveal().strip(), secret, token)


def _lookup(name: str, *maps: Mapping[str, Any]) -> str | None:
    for mapping in maps:
        value = mapping.get(name)
        text = value.reveal() if isinstance(value, Secret) else value
        if isinstance(text, str) and text.strip():
            return text.strip()
    return None


def endpoint_for(service: str, *maps: Mapping[str, Any]) -> str | None:
    """Return the endpoint override for ``service`` as boto3 reads it from the environment.

    ``AWS_ENDPOINT_URL_<SERVICE>`` wins over ``AWS_ENDPOINT_URL``; each map is
    searched in order (the source env file first, then the process environment).
    """
    specific = f"AWS_ENDPOINT_URL_{service.upper().replace('-', '_')}"
    for mapping in maps:
        found = _lookup(specific, mapping) or _lookup("AWS_ENDPOINT_URL", mapping)
        if found:
            return found
    return None


def region_for(explicit: str | None, *maps: Mapping[str, Any]) -> str:
    """Return the policy's region, else ``AWS_REGION``/``AWS_DEFAULT_REGION``, else us-east-1."""
    if explicit:
        return explicit
    return _lookup("AWS_REGION", *maps) or _lookup("AWS_DEFAULT_REGION", *maps) or DEFAULT_REGION


def is_loopback(url: str) -> bool:
    """True when ``url`` points at this machine (moto, LocalStack on localhost)."""
    host = (urlsplit(url).hostname or "").lower()
    return host in ("localhost", "::1") or host.startswith("127.")


@dataclass(frozen=True)
class Connection:
    """Makes boto3 clients for one set of credentials, region and endpoint overrides."""

    credentials: Credentials
    region: str
    endpoints: Mapping[str, str | None]
    """Service name -> endpoint URL (None: AWS's own endpoint)."""
    hook: ClientHook | None = None
    timeout: float = 30.0

    def client(self, service: str) -> Any:
        """Return a boto3 client that can only use this connection's credentials."""
        import boto3
        import botocore.session
        from botocore.config import Config

        # NOTE: the session ignores ~/.aws, profiles and configured endpoints, so a
        # developer's default profile can never be used in place of the given keys.
        core = botocore.session.Session(
            session_vars={
                "profile": (None, None, None, None),
                "config_file": (None, None, os.devnull, None),
                "credentials_file": (None, None, os.devnull, None),
                "ignore_configured_endpoint_urls": (None, None, True, None),
            }
        )
        session = boto3.session.Session(
            aws_access_key_id=self.credentials.access_key_id,
            aws_secret_access_key=self.credentials.secret_access_key.reveal(),
            aws_session_token=(
                self.credentials.session_token.reveal() if self.credentials.session_token else None
            ),
            region_name=self.region,
            botocore_session=core,
        )
        config = Config(
            connect_timeout=self.timeout,
            read_timeout=self.timeout,
            retries={"max_attempts": 3, "mode": "standard"},
            user_agent_extra="agentauth",
        )
        client = session.client(
            service,  # type: ignore[call-overload]
            region_name=self.region,
            endpoint_url=self.endpoints.get(service),
            config=config,
        )
        if self.hook is not None:
            self.hook(service, client)
        return client


def connect(
    credentials: Credentials,
    region: str,
    maps: Sequence[Mapping[str, Any]],
    *,
    fallback_endpoint: str | None = None,
    hook: ClientHook | None = None,
    timeout: float = 30.0,
) -> Connection:
    """Build a Connection whose endpoints follow ``maps`` (then ``fallback_endpoint``)."""
    endpoints = {
        service: endpoint_for(service, *maps) or fallback_endpoint
        for service in ("sts", "iam", "s3")
    }
    return Connection(credentials, region, endpoints, hook, timeout)


def error_code(exc: BaseException) -> str | None:
    """Return a botocore ClientError's code (``AccessDenied``...), else None."""
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping):
        error = response.get("Error")
        if isinstance(error, Mapping):
            code = error.get("Code")
            return str(code) if code else None
    return None


def is_sdk_error(exc: BaseException) -> bool:
    """True for botocore's exception family (what :func:`translate` understands)."""
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.parsers import ResponseParserError

    return isinstance(exc, (BotoCoreError, ClientError, ResponseParserError))


def translate(exc: BaseException, action: str, scrub: Scrubber) -> AgentAuthError:
    """Turn a botocore exception into a ProviderError whose message ends in a remedy."""
    from botocore.exceptions import (
        ClientError,
        ConnectTimeoutError,
        EndpointConnectionError,
        NoCredentialsError,
        ParamValidationError,
        ReadTimeoutError,
    )

    if isinstance(exc, ClientError):
        code = error_code(exc) or "Unknown"
        detail = scrub(str(exc.response.get("Error", {}).get("Message", "")))
        if code in _DENIED:
            return PermissionDenied(
                f"AWS refused {action} ({code}: {detail}); give the source credentials "
                f"permission for {action}, or provision with an administrator's keys",
                manual=f"an administrator can run the IAM call {action} (agentauth provision "
                "--dry-run prints the exact policy documents)",
            )
        if code in _REJECTED:
            return ProviderError(
                f"AWS rejected the source credentials during {action} ({code}); check "
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the source env file"
            )
        if code in _EXPIRED:
            return ProviderError(
                f"the source AWS session has expired ({code}); refresh it (e.g. aws sso "
                "login, then copy the new keys) and run the command again"
            )
        return ProviderError(f"AWS refused {action} ({code}: {detail}); fix the cause and retry")
    if isinstance(exc, (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError)):
        return ProviderError(
            f"cannot reach AWS for {action} ({type(exc).__name__}); check the network, or "
            "AWS_ENDPOINT_URL when you use LocalStack or moto"
        )
    if isinstance(exc, NoCredentialsError):
        return ConfigError(
            "no AWS credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the source "
            "env file"
        )
    if isinstance(exc, ParamValidationError):
        return ProviderError(
            f"agentauth built an invalid {action} request: {scrub(str(exc))}; "
            "check the policy entry's values"
        )
    return ProviderError(f"AWS call {action} failed: {scrub(str(exc))}; retry, or check the setup")


def call(action: str, scrub: Scrubber, fn: Callable[[], T]) -> T:
    """Run one AWS call, translating SDK exceptions (``action`` names it in messages)."""
    try:
        return fn()
    except Exception as exc:
        if is_sdk_error(exc):
            raise translate(exc, action, scrub) from None
        raise


def with_retry(
    fn: Callable[[], T],
    *,
    delays: Sequence[float],
    sleep: Callable[[float], None] = time.sleep,
    retry_codes: frozenset[str] = frozenset({"AccessDenied"}),
) -> T:
    """Call ``fn``; on a ClientError whose code is in ``retry_codes`` wait and try again.

    Why: a new IAM role is eventually consistent; the first AssumeRole can be
    refused for a few seconds (Vault's docs advise 5-10 s). Bounded by ``delays``.
    """
    for delay in delays:
        try:
            return fn()
        except Exception as exc:
            if not is_sdk_error(exc) or error_code(exc) not in retry_codes:
                raise
        sleep(delay)
    return fn()


def grant_connection(
    grant: Grant, ctx: ProviderContext, hook: ClientHook | None
) -> tuple[Connection, Scrubber]:
    """Connect with the developer's own keys to the region and endpoints ``grant`` was made in.

    Shared by mint and revoke and by delegation (a child session of the parent's role).
    """
    creds = source_credentials(ctx.source_env, ctx.policy.source)
    region = str(grant.objects.get("region") or region_for(None, ctx.source_env, ctx.environ))
    stored = grant.objects.get("endpoints") or {}
    conn = connect(creds, region, (ctx.source_env, ctx.environ), hook=hook)
    if isinstance(stored, Mapping):
        merged = {s: conn.endpoints.get(s) or stored.get(s) for s in conn.endpoints}
        conn = Connection(conn.credentials, region, merged, conn.hook, conn.timeout)
    return conn, creds.scrubber()
