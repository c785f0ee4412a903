"""What the renderers need to know about a rule, and the shared severity and capability wording.

The renderers depend on this small protocol instead of the catalog module, so they can be
tested with hand-built rules and never import the detector.
"""

from __future__ import annotations

from typing import Protocol

from agentauth.model import Finding, Severity


class RuleInfo(Protocol):
    """The fields of a catalog rule that a report shows (``engine.rules.Rule`` has them)."""

    @property
    def id(self) -> str:
        """Stable rule id, e.g. ``stripe-secret-key``."""
        ...

    @property
    def provider(self) -> str:
        """The provider the credential belongs to."""
        ...

    @property
    def kind(self) -> str:
        """The kind of credential (``secret-key``, ``database-url``...)."""
        ...

    @property
    def description(self) -> str:
        """One line naming what the rule finds."""
        ...

    @property
    def severity(self) -> Severity:
        """The default severity of a finding of this rule."""
        ...

    @property
    def why(self) -> str:
        """Why an agent holding it is dangerous."""
        ...

    @property
    def fix(self) -> str:
        """What to do instead."""
        ...


SEVERITY_ORDER: tuple[Severity, ...] = tuple(sorted(Severity, key=lambda s: -s.rank))
"""Severities from critical down to info."""

CAPABILITY_PHRASES: dict[str, str] = {
    "move-money": "move money",
    "delete-production-data": "delete production data",
    "cloud-admin": "administer a cloud account",
    "admin-database": "administer a database",
    "delete-cloud-resources": "delete cloud resources",
    "write-production-data": "write to a production database",
    "push-code": "push code",
    "admin-repository": "administer repositories",
    "publish-packages": "publish packages",
    "impersonate-users": "impersonate users",
    "bypass-row-level-security": "bypass row-level security",
    "read-customer-data": "read customer data",
    "read-production-data": "read production data",
    "write-cloud-data": "write cloud data",
    "read-cloud-data": "read cloud data",
    "send-email": "send email",
    "send-messages": "send messages",
    "forge-webhooks": "forge webhooks",
    "model-spend": "spend money on AI models",
    "read-code": "read private code",
    "flush-cache": "flush a cache",
    "read-write-cache": "read and write a cache",
}
"""Capability id -> words for the blast-radius headline, most dangerous first."""

_CAPABILITY_RANK = {name: index for index, name in enumerate(CAPABILITY_PHRASES)}


def capability_phrase(capability: str) -> str:
    """Return the words for a capability; unknown ids are shown with spaces for hyphens."""
    return CAPABILITY_PHRASES.get(capability, capability.replace("-", " "))


def capability_rank(capability: str) -> int:
    """Return the position of a capability in the danger order (unknown ones last)."""
    return _CAPABILITY_RANK.get(capability, len(_CAPABILITY_RANK))


def finding_sort_key(finding: Finding) -> tuple[int, str, int, int, str]:
    """Order findings by origin (files first), then path, line, column and rule."""
    origin_rank = {"file": 0, "mcp": 1, "environ": 2}.get(finding.origin.value, 3)
    return (origin_rank, finding.file, finding.line, finding.column, finding.rule_id)
