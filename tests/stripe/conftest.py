"""A pytest-httpserver stub that answers like Stripe, plus fake prompter and keyring."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from tests.support.contexts import make_ctx
from tests.support.doubles import FakePrompter
from tests.support.doubles import MemorySecretStore as MemoryStore
from werkzeug import Request, Response

from agentauth.model import Action, CredentialPolicy
from agentauth.providers.base import ProviderContext
from agentauth.providers.stripe.probe import RESOURCES

PATH_TO_RESOURCE = {r.path: name for name, r in RESOURCES.items()}


@dataclass
class KeyBehaviour:
    """What the stub lets one key do: readable resources, or a forced status."""

    readable: set[str] = field(default_factory=set)
    status: int | None = None


@dataclass
class StripeStub:
    """Stripe's answers for the keys a test registers; records every request."""

    server: HTTPServer
    keys: dict[str, KeyBehaviour] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, str], str]] = field(default_factory=list)

    @property
    def base(self) -> str:
        """The API base to give the provider."""
        return self.server.url_for("").rstrip("/")

    def allow(self, key: str, *resources: str) -> str:
        """Register ``key`` able to read ``resources`` ('*' = everything)."""
        readable = set(RESOURCES) if resources == ("*",) else set(resources)
        self.keys[key] = KeyBehaviour(readable)
        return key

    def force(self, key: str, status: int) -> str:
        """Register ``key`` answered with ``status`` for every request."""
        self.keys[key] = KeyBehaviour(status=status)
        return key

    def handle(self, request: Request) -> Response:
        """Answer one request in Stripe's shapes."""
        auth = request.headers.get("Authorization", "")
        key = auth.removeprefix("Bearer ")
        self.requests.append((request.method, request.path, dict(request.args), key))
        masked = f"{key[:8]}***{key[-4:]}"
        behaviour = self.keys.get(key)
        if behaviour is None:
            return _error(401, f"Invalid API Key provided: {masked}")
        if behaviour.status == 429:
            return _error(
                429,
                "Too many requests hit the API too quickly. We recommend an exponential "
                "backoff of your requests.",
                code="rate_limit",
            )
        if behaviour.status and behaviour.status >= 500:
            return _error(behaviour.status, "An unknown error occurred", kind="api_error")
        resource = PATH_TO_RESOURCE.get(request.path)
        if resource is None:
            return _error(404, f"Unrecognized request URL (GET: {request.path}).")
        if resource not in behaviour.readable:
            perm = f"rak_{RESOURCES[resource].permission}_read"
            return _error(
                403,
                f"The provided key '{masked}' does not have the required permissions for this "
                f"endpoint on account 'acct_1AbCdEf'. Having the '{perm}' permission would "
                "allow this request to continue.",
            )
        if resource == "balance":
            body: dict[str, Any] = {
                "object": "balance",
                "available": [{"amount": 0, "currency": "usd", "source_types": {"card": 0}}],
                "pending": [{"amount": 0, "currency": "usd", "source_types": {"card": 0}}],
                "livemode": key.startswith(("sk_live_", "rk_live_")),
            }
        else:
            body = {"object": "list", "url": request.path, "has_more": False, "data": []}
        return Response(
            json.dumps(body),
            status=200,
            content_type="application/json",
            headers={"Request-Id": "req_stub"},
        )


def _error(
    status: int, message: str, *, kind: str = "invalid_request_error", code: str | None = None
) -> Response:
    error: dict[str, Any] = {"message": message, "type": kind}
    if code:
        error["code"] = code
    return Response(
        json.dumps({"error": error}),
        status=status,
        content_type="application/json",
        headers={"Request-Id": "req_stub"},
    )


@pytest.fixture
def stripe_stub(httpserver: HTTPServer) -> StripeStub:
    """The Stripe stub on loopback; every path under /v1 goes to its handler."""
    import re

    stub = StripeStub(httpserver)
    httpserver.expect_request(re.compile(r"^/v1/.*")).respond_with_handler(stub.handle)
    return stub


@pytest.fixture
def stripe_ctx(project: Path) -> Any:
    """Build a ProviderContext for a stripe entry."""

    def build(
        entry: CredentialPolicy,
        source: dict[str, str],
        *,
        prompter: Any = None,
        store: Any = None,
        warnings: list[str] | None = None,
    ) -> ProviderContext:
        return make_ctx(project, entry, source, prompter=prompter, store=store, warnings=warnings)

    return build


@pytest.fixture
def stripe_entry() -> Any:
    """Build a stripe provision entry."""

    def build(
        variable: str = "STRIPE_SECRET_KEY", line: int = 20, **options: Any
    ) -> CredentialPolicy:
        return CredentialPolicy(
            variable=variable,
            action=Action.PROVISION,
            provider="stripe",
            options=options,
            line=line,
        )

    return build


@pytest.fixture(name="FakePrompter")
def _fake_prompter() -> type[FakePrompter]:
    return FakePrompter


@pytest.fixture(name="MemoryStore")
def _memory_store() -> type[MemoryStore]:
    return MemoryStore
