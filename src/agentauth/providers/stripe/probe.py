"""Read-only probes of a Stripe key: which resources it can list, and what Stripe says it lacks.

Stripe has no endpoint that describes a key, so agentauth asks with harmless
``GET …?limit=1`` requests and reads the answers: 200 means the key can read the
resource, 403 means it cannot (the message names the missing permission), 401 means
the key is invalid, and 429, 5xx or a network error mean *unknown*, never "denied".
Write permissions cannot be observed without writing, so they are never probed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from agentauth.model import Secret
from agentauth.redact import Scrubber

DEFAULT_API_BASE = "https://api.stripe.com"
API_BASE_ENV = "AGENTAUTH_STRIPE_API_BASE"
DASHBOARD = "https://dashboard.stripe.com"
_PERMISSION = re.compile(r"'(rak_[a-z_]+|[a-z_]+_(?:read|write))'")


@dataclass(frozen=True)
class Resource:
    """One Stripe resource the policy can name, with its probe and dashboard permission."""

    path: str
    """The list endpoint probed with ``GET``."""
    permission: str
    """The dashboard permission stem: ``rak_<stem>_read`` / ``rak_<stem>_write``."""
    read_caps: tuple[str, ...]
    write_caps: tuple[str, ...]
    writable: bool = True
    list_params: bool = True
    """False for singletons such as ``/v1/balance`` that take no ``limit``."""


RESOURCES: dict[str, Resource] = {
    "balance": Resource(
        "/v1/balance", "balance", ("read-production-data",), (), writable=False, list_params=False
    ),
    "charges": Resource("/v1/charges", "charge", ("read-customer-data",), ("move-money",)),
    "customers": Resource(
        "/v1/customers", "customer", ("read-customer-data",), ("write-production-data",)
    ),
    "payment_intents": Resource(
        "/v1/payment_intents", "payment_intent", ("read-customer-data",), ("move-money",)
    ),
    "refunds": Resource("/v1/refunds", "refund", ("read-customer-data",), ("move-money",)),
    "subscriptions": Resource(
        "/v1/subscriptions", "subscription", ("read-customer-data",), ("move-money",)
    ),
    "invoices": Resource("/v1/invoices", "invoice", ("read-customer-data",), ("move-money",)),
    "products": Resource(
        "/v1/products", "product", ("read-production-data",), ("write-production-data",)
    ),
    "prices": Resource(
        "/v1/prices", "price", ("read-production-data",), ("write-production-data",)
    ),
    "coupons": Resource("/v1/coupons", "coupon", ("read-production-data",), ("move-money",)),
    "checkout_sessions": Resource(
        "/v1/checkout/sessions", "checkout_session", ("read-customer-data",), ("move-money",)
    ),
    "payouts": Resource("/v1/payouts", "payout", ("read-production-data",), ("move-money",)),
    "transfers": Resource("/v1/transfers", "transfer", ("read-production-data",), ("move-money",)),
    "disputes": Resource(
        "/v1/disputes", "dispute", ("read-customer-data",), ("write-production-data",)
    ),
    "webhook_endpoints": Resource(
        "/v1/webhook_endpoints",
        "webhook",
        ("read-production-data",),
        ("read-customer-data", "write-production-data"),
    ),
}


@dataclass(frozen=True)
class Probe:
    """The answer to one probe."""

    resource: str
    outcome: str
    """``allowed`` (200), ``denied`` (403), ``invalid`` (401) or ``unknown``."""
    http_status: int | None = None
    missing: str | None = None
    """The permission Stripe said would allow the request (from the 403 message)."""
    message: str = ""
    """Stripe's message, scrubbed of the key."""


def permission_names(resource: str, level: str) -> list[str]:
    """Return the dashboard permission names for ``level`` (read/write) on ``resource``."""
    stem = RESOURCES[resource].permission
    if level == "write":
        return [f"rak_{stem}_write"]
    if level == "read":
        return [f"rak_{stem}_read"]
    return []


def dashboard_url(name: str, permissions: Mapping[str, str], *, live: bool) -> str:
    """Return the pre-filled "create restricted key" Dashboard URL (undocumented, best effort).

    PostHog and other integrations use this form; Stripe may ignore unknown
    permission names, so agentauth always verifies the pasted key afterwards.
    """
    from urllib.parse import quote

    # NOTE: literal brackets, as in the links integrations publish; values are quoted.
    parts = [f"name={quote(name, safe='')}"]
    for resource, level in sorted(permissions.items()):
        parts += [f"permissions[]={quote(p, safe='')}" for p in permission_names(resource, level)]
    prefix = DASHBOARD if live else f"{DASHBOARD}/test"
    return f"{prefix}/apikeys/create?{'&'.join(parts)}"


def keys_page(*, live: bool) -> str:
    """Return the Dashboard page that lists (and rolls and deletes) API keys."""
    return f"{DASHBOARD}/apikeys" if live else f"{DASHBOARD}/test/apikeys"


def key_kind(value: str) -> tuple[str, str | None]:
    """Return (kind, mode) of a key by prefix: ('secret'|'restricted'|..., 'live'|'test'|None)."""
    for prefix, kind in (("sk_", "secret"), ("rk_", "restricted"), ("pk_", "publishable")):
        if value.startswith(prefix):
            rest = value[len(prefix) :]
            mode = (
                "live" if rest.startswith("live_") else "test" if rest.startswith("test_") else None
            )
            return kind, mode
    if value.startswith("whsec_"):
        return "webhook-secret", None
    return "unknown", None


def _client(key: Secret, api_base: str, timeout: float) -> Any:
    import stripe

    return stripe.StripeClient(
        key.reveal(),
        base_addresses={"api": api_base.rstrip("/")},
        max_network_retries=0,
        http_client=stripe.new_default_http_client(timeout=timeout),
    )


def probe(
    key: Secret,
    resources: Iterable[str],
    *,
    api_base: str = DEFAULT_API_BASE,
    timeout: float = 10.0,
) -> dict[str, Probe]:
    """GET each resource's list endpoint once (``limit=1``); stop early when the key is invalid."""
    import stripe

    scrub = Scrubber([key])
    client = _client(key, api_base, timeout)
    results: dict[str, Probe] = {}
    for name in resources:
        res = RESOURCES[name]
        params: dict[str, Any] = {"limit": 1} if res.list_params else {}
        try:
            client.raw_request("get", res.path, **params)
        except stripe.PermissionError as exc:
            text = scrub(str(exc.user_message or exc))
            match = _PERMISSION.search(text)
            results[name] = Probe(name, "denied", 403, match.group(1) if match else None, text)
            continue
        except stripe.AuthenticationError as exc:
            results[name] = Probe(name, "invalid", exc.http_status, None, scrub(str(exc)))
            break
        except stripe.StripeError as exc:
            # 429 (RateLimitError), 5xx (APIError), network (APIConnectionError), 404...
            text = scrub(str(exc.user_message or exc) or type(exc).__name__)
            results[name] = Probe(name, "unknown", exc.http_status, None, text)
            continue
        results[name] = Probe(name, "allowed", 200)
    return results
