"""The classification in progress of one finding: the rule's defaults, refined by classifiers.

Its own module so that the classifiers of several families (tokens, URLs) share it
without importing each other.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

from agentauth.engine.rules import Rule
from agentauth.model import Environment, Severity


@dataclass(frozen=True)
class Assessment:
    """The classification in progress; starts from the rule's defaults."""

    provider: str
    kind: str
    environment: Environment
    severity: Severity
    capabilities: tuple[str, ...]
    why: str
    fix: str
    secret: bool = True
    final_severity: Severity | None = None
    """When set, the severity is exactly this (no environment or capability adjustment)."""
    ci_fail: bool | None = None
    """When set, overrides the computed ci_fail."""
    redacted: str | None = None
    """A classifier-made redaction (URLs); otherwise redact.mask of the value."""
    hints: bool = True
    """Whether file and variable names may decide an unknown environment."""
    extra: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_rule(cls, rule: Rule) -> Assessment:
        """Return the rule's default assessment."""
        return cls(
            provider=rule.provider,
            kind=rule.kind,
            environment=rule.environment,
            severity=rule.severity,
            capabilities=rule.capabilities,
            why=rule.why,
            fix=rule.fix,
            secret=rule.secret,
        )

    def with_extra(self, **facts: str) -> Assessment:
        """Return a copy with non-secret facts added to ``extra``."""
        return dataclasses.replace(self, extra={**self.extra, **facts})
