"""``audit --verify`` for Stripe keys: read-only probes say what a found key can reach.

A 403 names the missing permission, 429 and 5xx mean unknown (never "denied").
"""

from __future__ import annotations

from collections.abc import Mapping

from agentauth.model import Environment, Finding, Severity, Verification
from agentauth.providers.base import VerifyContext
from agentauth.providers.stripe.probe import (
    API_BASE_ENV,
    DEFAULT_API_BASE,
    RESOURCES,
    Probe,
    key_kind,
    probe,
)

FULL_ACCESS = ("move-money", "read-customer-data", "write-production-data")


def verify_key(finding: Finding, ctx: VerifyContext) -> Verification:
    """Probe the key read-only; 403 names a missing permission, 429/5xx mean unknown."""
    value = finding.secret.reveal()
    kind, mode = key_kind(value)
    if kind == "publishable":
        return Verification("unknown", "publishable key: public by design, cannot act alone")
    if kind == "webhook-secret":
        return Verification(
            "unknown",
            "webhook signing secret: cannot be checked against the API; whoever holds it "
            "can forge webhook events to your endpoint",
            capabilities=("forge-webhooks",),
        )
    if kind not in ("secret", "restricted"):
        return Verification("unknown", "not a Stripe API key")
    api_base = ctx.environ.get(API_BASE_ENV) or DEFAULT_API_BASE
    resources = ["balance"] if kind == "secret" else list(RESOURCES)
    results = probe(finding.secret, resources, api_base=api_base, timeout=ctx.timeout)
    if any(p.outcome == "invalid" for p in results.values()):
        return Verification("invalid", "Stripe rejected the key (401): revoked or mistyped")
    if kind == "secret":
        first = results["balance"]
        if first.outcome != "allowed":
            return Verification(
                "unknown", f"Stripe answered {first.http_status or 'nothing'}: {first.message}"
            )
        return Verification(
            "valid",
            f"unrestricted secret key ({mode} mode): full API access",
            capabilities=FULL_ACCESS,
            severity=Severity.CRITICAL if mode == "live" else None,
            details={"mode": mode, "restricted": False},
        )
    return _describe_restricted(results, mode, finding.environment)


def _describe_restricted(
    results: Mapping[str, Probe], mode: str | None, environment: Environment
) -> Verification:
    allowed = [r for r, p in results.items() if p.outcome == "allowed"]
    denied = [p for p in results.values() if p.outcome == "denied"]
    unknown = [r for r, p in results.items() if p.outcome == "unknown"]
    caps: list[str] = []
    for r in allowed:
        caps += RESOURCES[r].read_caps
    parts = [f"restricted key ({mode} mode)"]
    parts.append(f"reads: {', '.join(allowed) or 'nothing probed'}")
    if denied:
        parts.append(
            "denied: "
            + ", ".join(f"{p.resource} ({p.missing})" if p.missing else p.resource for p in denied)
        )
    if unknown:
        parts.append(f"unknown (rate limit or server error): {', '.join(unknown)}")
    status = "valid" if allowed or denied else "unknown"
    return Verification(
        status,
        "; ".join(parts),
        capabilities=tuple(dict.fromkeys(caps)),
        severity=None,
        details={
            "mode": mode,
            "restricted": True,
            "allowed": allowed,
            "denied": {p.resource: p.missing for p in denied},
            "unknown": unknown,
            "environment": environment.value,
        },
    )
