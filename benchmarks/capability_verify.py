"""What verifying a delegated (Biscuit) phantom costs the broker per request.

Usage: python benchmarks/capability_verify.py [-n 2000]

A parent token (3 allow rules, hosts, expiry) attenuated twice (orchestrator ->
reviewer -> a further holder), then checked as the broker checks each request:
signature chain (cached by token text after the first request), revocation ids
against a set, and every block's Datalog checks against host, method, path, time.
Reports p50/p99 per request, steady state and cold (signature chain verified every
time), against the plain AllowRule.matches the broker does for a run's own phantoms.
Target: under 1 ms per request.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from agentauth.broker import capability
from agentauth.config.brokerpolicy import parse_rule


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.99) - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=2000)
    n = parser.parse_args().n
    key = Ed25519PrivateKey.generate()
    private, public = key.private_bytes_raw(), key.public_key().public_bytes_raw()
    rules = [parse_rule(r, 1, "bench") for r in
             ("GET /repos/acme/web/**", "POST /repos/acme/web/issues", "GET /user")]  # fmt: skip
    expires = datetime.now(UTC) + timedelta(hours=1)
    token = capability.mint(private, variable="GITHUB_TOKEN", grant_id="gh-1",
                            hosts=["api.github.com"], rules=rules, expires=expires)  # fmt: skip
    for narrowed in (rules[:2], rules[:1]):
        token = capability.attenuate(token, public, rules=narrowed, expires=expires)
    revoked = {f"{i:0128x}" for i in range(100)}

    def once() -> bool:
        path = "/repos/acme/web/pulls/7"
        decision = capability.authorize(token, public, host="api.github.com", method="GET",
                                        path=path, revoked=revoked)  # fmt: skip
        return decision.allowed

    assert once()
    warm: list[float] = []
    for _ in range(n):
        start = time.perf_counter()
        once()
        warm.append((time.perf_counter() - start) * 1000)
    cold: list[float] = []
    for _ in range(max(n // 4, 50)):
        capability._verified.cache_clear()
        start = time.perf_counter()
        once()
        cold.append((time.perf_counter() - start) * 1000)
    plain: list[float] = []
    for _ in range(n):
        start = time.perf_counter()
        any(r.matches("GET", "/repos/acme/web/pulls/7") for r in rules)
        plain.append((time.perf_counter() - start) * 1000)
    for name, samples in (("delegated, steady", warm), ("delegated, cold", cold),
                          ("run phantom rules", plain)):  # fmt: skip
        p50, p99 = _percentiles(samples)
        print(f"{name:20s} p50 {p50:.3f} ms  p99 {p99:.3f} ms  (n={len(samples)})")
    p50, _ = _percentiles(warm)
    print(f"target < 1 ms per request: {'met' if p50 < 1 else 'MISSED'} (p50 {p50:.3f} ms, "
          f"3 blocks, token {len(token)} chars)")  # fmt: skip


if __name__ == "__main__":
    main()
