"""Which Stripe keys agentauth hands out, and the proof that a pasted restricted key is one.

Why a module of its own: both ``plan`` (finding the developer's test key) and
``apply`` (checking what the human pasted) judge keys, and the judgement must be the
same; it only ever reads (GET probes).
"""

from __future__ import annotations

from collections.abc import Mapping

from agentauth.errors import ProviderError
from agentauth.model import CredentialPolicy, Secret
from agentauth.providers.stripe.probe import RESOURCES, Probe, key_kind, probe
from agentauth.redact import mask

TEST_KEY_VARIABLES = (
    "STRIPE_TEST_SECRET_KEY",
    "STRIPE_TEST_KEY",
    "STRIPE_SECRET_KEY_TEST",
    "STRIPE_TEST_API_KEY",
    "STRIPE_API_KEY_TEST",
)
"""Conventional names for a test key kept beside the live one, in the order tried."""


def is_test_secret(value: Secret) -> bool:
    kind, mode = key_kind(value.reveal())
    return kind in ("secret", "restricted") and mode == "test"


def find_test_key(entry: CredentialPolicy, source_env: Mapping[str, Secret]) -> str | None:
    """Return the name of the source variable holding a test-mode secret or restricted key."""
    own = source_env.get(entry.variable)
    if own is not None and is_test_secret(own):
        return entry.variable
    for name in TEST_KEY_VARIABLES:
        value = source_env.get(name)
        if value is not None and is_test_secret(value):
            return name
    for name in sorted(source_env):
        if is_test_secret(source_env[name]):
            return name
    return None


def check_restricted(
    key: Secret, permissions: Mapping[str, str], *, live: bool, api_base: str, timeout: float = 10.0
) -> list[Probe]:
    """Prove ``key`` is the restricted key the policy describes; raise ProviderError otherwise.

    Every curated resource is probed: granted ones must answer 200, the others 403.
    Returns the probes (for the grant's scope line).
    """
    kind, mode = key_kind(key.reveal())
    expected = "live" if live else "test"
    shown = mask(key.reveal())
    if kind == "secret":
        raise ProviderError(
            f"{shown} is an unrestricted secret key (full API access); create a restricted "
            "key (rk_…) at the URL above and paste that instead"
        )
    if kind != "restricted":
        raise ProviderError(
            f"{shown} is not a Stripe restricted key (rk_{expected}_…); paste the key the "
            "Dashboard shows after you create it"
        )
    if mode != expected:
        raise ProviderError(
            f"{shown} is a {mode}-mode key but the policy asks for {expected} mode "
            f"(environment: {expected}); create the key in {expected} mode"
        )
    results = probe(key, RESOURCES, api_base=api_base, timeout=timeout)
    invalid = [p for p in results.values() if p.outcome == "invalid"]
    if invalid:
        raise ProviderError(f"Stripe rejected {shown} as invalid (401); check what you pasted")
    unknown = [p for p in results.values() if p.outcome == "unknown"]
    if unknown:
        first = unknown[0]
        raise ProviderError(
            f"could not verify {shown}: Stripe answered {first.http_status or 'nothing'} for "
            f"{first.resource} ({first.message}); try again later"
        )
    too_much = [
        r
        for r, p in results.items()
        if p.outcome == "allowed" and permissions.get(r, "none") == "none"
    ]
    if too_much:
        raise ProviderError(
            f"{shown} can read {', '.join(too_much)}, which the policy does not grant; "
            "edit the key in the Dashboard to set those to None, or grant them in agentauth.yaml"
        )
    missing = [
        f"{r} ({p.missing or 'read'})"
        for r, p in results.items()
        if p.outcome == "denied" and permissions.get(r, "none") != "none"
    ]
    if missing:
        raise ProviderError(
            f"{shown} cannot read {', '.join(missing)}, which the policy grants; "
            "edit the key in the Dashboard to add them"
        )
    return list(results.values())
