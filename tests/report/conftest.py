"""Hand-built scan reports for the renderer tests (no detector needed)."""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from agentauth.model import (
    Environment,
    Finding,
    Origin,
    RuleId,
    ScanReport,
    Secret,
    Severity,
    Skip,
    Verification,
)
from agentauth.redact import fingerprint, mask


@dataclass(frozen=True)
class FakeRule:
    """Satisfies agentauth.report.RuleInfo."""

    id: str
    provider: str
    kind: str
    description: str
    severity: Severity
    why: str
    fix: str


def _random(alphabet: str, n: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


ALNUM = string.ascii_letters + string.digits


def make_finding(
    rule_id: str,
    value: str,
    *,
    provider: str,
    kind: str = "secret-key",
    file: str = ".env",
    line: int = 1,
    column: int = 1,
    variable: str | None = None,
    environment: Environment = Environment.LIVE,
    severity: Severity = Severity.HIGH,
    ci_fail: bool = True,
    capabilities: tuple[str, ...] = (),
    origin: Origin = Origin.FILE,
    context: str | None = None,
    verification: Verification | None = None,
) -> Finding:
    """Build a Finding the way classify does: masked value, keyed fingerprint."""
    return Finding(
        rule_id=RuleId(rule_id),
        provider=provider,
        kind=kind,
        file=file,
        line=line,
        column=column,
        variable=variable,
        environment=environment,
        severity=severity,
        ci_fail=ci_fail,
        capabilities=capabilities,
        redacted=mask(value),
        fingerprint=fingerprint(rule_id, value),
        why=f"{provider} {kind} in {environment.value} mode.",
        fix=f"Give the agent a scoped {provider} credential: agentauth init",
        secret=Secret(value),
        origin=origin,
        context=context,
        verification=verification,
    )


@dataclass(frozen=True)
class Sample:
    """A report and the raw secret values inside it."""

    report: ScanReport
    values: tuple[str, ...]
    rules: tuple[FakeRule, ...]


@pytest.fixture
def sample() -> Sample:
    """A report with live, test, dev, environment and MCP findings."""
    stripe = "sk_live_" + _random(ALNUM, 24)
    stripe_test = "sk_test_" + _random(ALNUM, 24)
    github = "ghp_" + _random(ALNUM, 36)
    pg_password = _random(ALNUM, 20)
    postgres = (
        f"postgresql://app_owner:{pg_password}@prod-db.abc123.us-east-1.rds.amazonaws.com:5432/shop"
    )
    openai = "sk-proj-" + _random(ALNUM, 40)
    mcp_token = "ghp_" + _random(ALNUM, 36)
    redis_url = "redis://localhost:6379/0"
    findings = (
        make_finding(
            "stripe-secret-key",
            stripe,
            provider="stripe",
            line=3,
            column=19,
            variable="STRIPE_SECRET_KEY",
            severity=Severity.CRITICAL,
            capabilities=("move-money", "read-customer-data"),
        ),
        make_finding(
            "stripe-secret-key",
            stripe_test,
            provider="stripe",
            line=4,
            column=19,
            variable="STRIPE_TEST_KEY",
            environment=Environment.TEST,
            severity=Severity.LOW,
            ci_fail=False,
            capabilities=("move-money",),
        ),
        make_finding(
            "github-pat-classic",
            github,
            provider="github",
            kind="token",
            line=7,
            column=14,
            variable="GITHUB_TOKEN",
            capabilities=("push-code", "read-code"),
        ),
        make_finding(
            "postgres-url",
            postgres,
            provider="postgres",
            kind="database-url",
            file="config/prod.env",
            line=2,
            column=14,
            variable="DATABASE_URL",
            severity=Severity.CRITICAL,
            capabilities=("admin-database", "write-production-data", "delete-production-data"),
            verification=Verification(
                "valid",
                "owner of 12 tables",
                ("admin-database",),
                Severity.CRITICAL,
                {"tables": 12, "secret": Secret("should-never-print-9f2a")},
            ),
        ),
        make_finding(
            "redis-url",
            redis_url,
            provider="redis",
            kind="database-url",
            file="config/prod.env",
            line=5,
            column=11,
            variable="REDIS_URL",
            environment=Environment.DEV,
            severity=Severity.INFO,
            ci_fail=False,
            capabilities=("read-write-cache",),
        ),
        make_finding(
            "openai-api-key",
            openai,
            provider="openai",
            file="<environ>",
            line=0,
            column=0,
            variable="OPENAI_API_KEY",
            severity=Severity.MEDIUM,
            origin=Origin.ENVIRON,
            capabilities=("model-spend",),
        ),
        make_finding(
            "github-pat-classic",
            mcp_token,
            provider="github",
            kind="token",
            file=".mcp.json",
            line=9,
            column=28,
            variable="GITHUB_PERSONAL_ACCESS_TOKEN",
            origin=Origin.MCP,
            context="MCP server 'github'",
            capabilities=("push-code", "read-code"),
        ),
    )
    report = ScanReport(
        root=".",
        findings=findings,
        files_scanned=12,
        bytes_scanned=4096,
        skipped=(Skip("assets/logo.png", "binary"), Skip("dump.sql", "larger than 10 MiB")),
        notes=("read 1 MCP config",),
        suppressed=1,
    )
    rules = (
        FakeRule(
            "stripe-secret-key",
            "stripe",
            "secret-key",
            "Stripe secret key",
            Severity.CRITICAL,
            "Full API access: charges, refunds, customers.",
            "Use a restricted key (rk_live_) or test mode: agentauth init",
        ),
        FakeRule(
            "github-pat-classic",
            "github",
            "token",
            "GitHub classic personal access token",
            Severity.HIGH,
            "Acts as you on every repository you can reach.",
            "Use a GitHub App installation token: agentauth init",
        ),
        FakeRule(
            "postgres-url",
            "postgres",
            "database-url",
            "PostgreSQL connection URL",
            Severity.HIGH,
            "Connects with the URL's role, often the owner.",
            "Give the agent a read-only role: agentauth init",
        ),
        FakeRule(
            "unused-rule",
            "aws",
            "access-key",
            "AWS access key id",
            Severity.CRITICAL,
            "Full IAM user access.",
            "Use a role session: agentauth init",
        ),
    )
    values = (
        stripe,
        stripe_test,
        github,
        pg_password,
        postgres,
        openai,
        mcp_token,
        "should-never-print-9f2a",
    )
    return Sample(report, values, rules)


def assert_no_secret(text: str, values: tuple[str, ...]) -> None:
    """Fail when any full secret value occurs in ``text``."""
    for value in values:
        assert value not in text, f"secret value leaked: {mask(value)}"


@pytest.fixture
def no_leak() -> Callable[[str, tuple[str, ...]], None]:
    """The leak assertion, as a fixture (test modules cannot import a conftest)."""
    return assert_no_secret
