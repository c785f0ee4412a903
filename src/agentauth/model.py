"""The domain model: frozen records shared by every layer; imports nothing of ours.

Everything that crosses a module boundary is one of these types, so that the
renderers, the ledger and the CLI can never see a secret value by accident: a
credential's value only ever travels inside a :class:`Secret`, whose ``repr`` and
``str`` are masked.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NewType

from agentauth.secret import Secret

__all__ = ["Secret"]

RuleId = NewType("RuleId", str)
Fingerprint = NewType("Fingerprint", str)
GrantId = NewType("GrantId", str)


class Severity(enum.Enum):
    """How bad it is that an agent can reach a credential; ordered by :attr:`rank`."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Return 4 for critical down to 0 for info, so severities compare numerically."""
        return _SEVERITY_RANK[self]

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Parse a user-supplied severity name (case-insensitive); raise ValueError if unknown."""
        try:
            return cls(text.strip().lower())
        except ValueError:
            names = ", ".join(s.value for s in cls)
            raise ValueError(f"unknown severity {text!r}; choose one of: {names}") from None


_SEVERITY_RANK = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}


class Environment(enum.Enum):
    """Which world a credential acts in: real money and production, a sandbox, or a laptop."""

    LIVE = "live"
    TEST = "test"
    DEV = "dev"
    UNKNOWN = "unknown"


class Origin(enum.Enum):
    """Where a finding was read from; decides how its location is printed."""

    FILE = "file"
    ENVIRON = "environ"
    MCP = "mcp"


@dataclass(frozen=True)
class Candidate:
    """A raw match from the detector, before classification.

    ``start``/``end`` are character offsets of the secret inside ``text`` passed to
    the detector; ``line``/``column`` are 1-based.
    """

    rule_id: RuleId
    secret: Secret
    line: int
    column: int
    variable: str | None = None
    """The assignment's name (``STRIPE_SECRET_KEY``) when the secret is a value of one."""
    extra: Mapping[str, str] = field(default_factory=dict)
    """Non-secret facts the rule extracted (a URL's host, a JWT's role claim...)."""


@dataclass(frozen=True)
class Verification:
    """What the provider said about a credential when asked (``audit --verify``)."""

    status: str
    """``valid``, ``invalid`` or ``unknown`` (network error, rate limit, unsupported)."""
    summary: str
    """One line for humans: "superuser; owns 12 tables", "scopes: repo, workflow"."""
    capabilities: tuple[str, ...] = ()
    """Capabilities the provider confirmed, in the same vocabulary as the rules."""
    severity: Severity | None = None
    """A severity the verification proved (overrides the offline guess when set)."""
    details: Mapping[str, Any] = field(default_factory=dict)
    """Machine-readable facts (never secret values)."""


@dataclass(frozen=True)
class Finding:
    """One credential occurrence, classified. The JSON contract is built from this."""

    rule_id: RuleId
    provider: str
    kind: str
    file: str
    """Relative to the scanned root for files; ``<environ>`` or the config path otherwise."""
    line: int
    column: int
    variable: str | None
    environment: Environment
    severity: Severity
    ci_fail: bool
    capabilities: tuple[str, ...]
    redacted: str
    fingerprint: Fingerprint
    why: str
    fix: str
    secret: Secret = field(repr=False, compare=False)
    origin: Origin = Origin.FILE
    context: str | None = None
    """Extra non-secret context, e.g. the MCP server name that receives this credential."""
    verification: Verification | None = None
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Skip:
    """A path the scan did not read, and why (binary, too large, unreadable, loop)."""

    path: str
    reason: str


@dataclass(frozen=True)
class ScanReport:
    """The result of an audit: findings plus what was (not) scanned."""

    root: str
    findings: tuple[Finding, ...]
    files_scanned: int
    bytes_scanned: int = 0
    skipped: tuple[Skip, ...] = ()
    notes: tuple[str, ...] = ()
    suppressed: int = 0
    """Findings hidden by an inline ignore comment or the baseline."""


# --------------------------------------------------------------------------- policy


class Action(enum.Enum):
    """What the policy says to do with one credential of the source env."""

    PROVISION = "provision"
    """Create a scoped substitute with the named provider."""
    PASS = "pass"  # noqa: S105
    """Copy it to the agent as is: an explicit, logged acceptance of the risk."""
    DROP = "drop"
    """The agent does not get it (also the fate of every variable the policy does not name)."""


@dataclass(frozen=True)
class CredentialPolicy:
    """One entry under ``credentials:`` in ``agentauth.yaml``."""

    variable: str
    """The policy key: an env variable name (``DATABASE_URL``) or a group (``AWS``)."""
    action: Action
    provider: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    """Provider-specific settings as written (``access``, ``tables``, ``actions``...)."""
    line: int = 0
    """1-based line of the entry in the policy file, for error messages."""
    option_lines: Mapping[str, int] = field(default_factory=dict, compare=False)
    """1-based line of each option key, so an option error points at the key itself."""


@dataclass(frozen=True)
class Policy:
    """A loaded and validated ``agentauth.yaml``."""

    agent: str
    source: str
    output: str
    ttl_seconds: int
    credentials: tuple[CredentialPolicy, ...]
    path: str = "agentauth.yaml"
    version: int = 1
    hardening: bool | tuple[str, ...] = False
    """Opt-in changes that affect every role (e.g. revoking PUBLIC's TEMP on a database):
    true for all of a provider's measures, or the names of some (the provider checks them)."""


# --------------------------------------------------------------------------- provisioning


class GrantStatus(enum.Enum):
    """Lifecycle of a ledger entry; ``pending`` is written before anything is created."""

    PENDING = "pending"
    ACTIVE = "active"
    REVOKED = "revoked"
    FAILED = "failed"
    """Revocation was attempted and failed; ``revoke`` retries it."""


@dataclass(frozen=True)
class Grant:
    """A ledger record of something issued to an agent. Never holds a secret value."""

    id: GrantId
    agent: str
    provider: str
    variable: str
    created: datetime
    expires: datetime | None
    status: GrantStatus
    scope: str
    """One-line scope summary: "read-only on public.orders, public.products (app@db:5432)"."""
    objects: Mapping[str, Any] = field(default_factory=dict)
    """Provider object names needed to revoke (role name, databases touched, role ARN...)."""
    long_lived: bool = False
    revocable: bool = True
    """False when revocation is manual (a pasted GitHub/Stripe key: we tell the user where)."""
    policy_digest: str = ""
    """Hash of the policy entry that produced it; a changed entry rotates the grant."""
    error: str | None = None
    """The last revocation error, if any (already redacted)."""
    mints_per_run: bool = False
    """Set by the provider's ``apply``: ``run`` mints a fresh short-lived value for this grant."""
    expiry_variable: str | None = None
    """The ``.env.ai`` variable holding the minted value's expiry (AWS_CREDENTIAL_EXPIRATION)."""
    parent: GrantId | None = None
    """The grant this one was delegated from; revoking the parent revokes it (cascade)."""


@dataclass(frozen=True)
class PlanStep:
    """One human-readable action in a plan: a SQL statement, an IAM call, a file write."""

    summary: str
    detail: str = ""
    """Exact text shown by ``--dry-run`` (SQL with the password masked, policy JSON...)."""


@dataclass(frozen=True)
class Plan:
    """What provisioning one credential will do. Built without touching anything."""

    variable: str
    provider: str
    grant: Grant
    """The ledger record that will be written (status pending) before applying."""
    steps: tuple[PlanStep, ...]
    outputs: tuple[str, ...]
    """Names of the variables this plan writes to ``.env.ai``."""
    warnings: tuple[str, ...] = ()
    keep: bool = False
    """True when an unexpired grant already matches the policy: nothing to do."""
    replaces: GrantId | None = None
    """The grant this one rotates (revoked after the new one is applied)."""
    manual: str | None = None
    """Instructions for a human (SQL for a DBA, a dashboard URL) when it cannot be automated."""
    private: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    """Provider data for apply (generated passwords as Secret...). Never rendered."""


@dataclass(frozen=True)
class Applied:
    """The result of applying a plan: the activated grant and the values for ``.env.ai``."""

    grant: Grant
    env: Mapping[str, Secret]
    notes: tuple[str, ...] = ()
    expires: datetime | None = None
    """When the values in ``env`` stop working, if sooner than the grant: a minted token's own
    lifetime (a GitHub installation token lives 1 h in an 8 h grant). ``run`` tells the agent
    this one (``AGENTAUTH_EXPIRATION``), not the grant's."""


@dataclass(frozen=True)
class RevokeResult:
    """The outcome of revoking one grant; ``ok`` False means it stays in the ledger to retry."""

    grant_id: GrantId
    ok: bool
    message: str
    manual: str | None = None
    """What the user must do by hand (delete a pasted token in a dashboard)."""
    still_valid: bool = False
    """The credential keeps working: no API could revoke it (a pasted Stripe key, sessions
    AWS cannot end). ``revoke`` reports it as "not revoked" with its own exit code, the
    grant stays open (ledger status failed, its error starting with :data:`NOT_REVOKED`;
    ``status`` shows it as "not revoked") until ``revoke --forget`` says a human removed it."""


NOT_REVOKED = "not revoked"
"""The state word of a grant whose credential keeps working (``revoke`` exit 4), never "failed":
a failure is retried by the next ``revoke``, this needs a human. The ledger records it as a
failed grant whose error starts with ``"not revoked: "``."""
