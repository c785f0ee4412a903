"""One builder of the Finding a provider's ``verify`` receives, shared by the provider tests.

Providers read only the rule, provider, variable, environment and secret of a finding;
the other fields get neutral values here so each test names just what matters to it.
"""

from __future__ import annotations

from agentauth.model import Environment, Finding, Fingerprint, RuleId, Secret, Severity


def verify_finding(
    provider: str,
    rule_id: str,
    variable: str,
    value: str,
    environment: Environment = Environment.LIVE,
) -> Finding:
    """Return a classified finding for ``value`` as the audit would hand it to ``verify``."""
    return Finding(
        rule_id=RuleId(rule_id),
        provider=provider,
        kind="credential",
        file=".env",
        line=1,
        column=1,
        variable=variable,
        environment=environment,
        severity=Severity.HIGH,
        ci_fail=environment is Environment.LIVE,
        capabilities=(),
        redacted="…",
        fingerprint=Fingerprint("0" * 32),
        why="",
        fix="",
        secret=Secret(value),
    )
