"""``verify=True``: providers are asked, failures become ``unknown``, values never leak."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agentauth import providers
from agentauth.errors import ProviderError
from agentauth.model import Finding, Severity, Verification
from agentauth.providers.base import VerifyContext
from agentauth.service.scan import AuditOptions, audit

Write = Callable[[Path, str, str | bytes], Path]


class _FakeProvider:
    name = "fake"

    def __init__(self, behaviour: Callable[[Finding, VerifyContext], Verification]) -> None:
        self.behaviour = behaviour
        self.calls: list[tuple[str, dict[str, str]]] = []

    def verify(self, finding: Finding, ctx: VerifyContext) -> Verification:
        self.calls.append((finding.rule_id, {k: v.reveal() for k, v in ctx.related.items()}))
        return self.behaviour(finding, ctx)


def _install(monkeypatch: pytest.MonkeyPatch, provider_name: str, provider: object) -> None:
    module = types.ModuleType(f"fake_provider_{provider_name}")
    module.PROVIDER = provider  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setitem(providers.PROVIDERS, provider_name, module.__name__)


def test_verification_is_attached_and_overrides_severity(
    project: Path, keys: Any, write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project, ".env", f"STRIPE_SECRET_KEY={keys.stripe}\nSTRIPE_ACCOUNT=acct_1\n")
    fake = _FakeProvider(
        lambda f, ctx: Verification(
            "valid", "restricted key", ("read-customer-data",), Severity.LOW
        )
    )
    _install(monkeypatch, "stripe", fake)
    offline = audit(AuditOptions(root=project))
    report = audit(AuditOptions(root=project, verify=True))
    (finding,) = report.findings
    assert finding.verification is not None and finding.verification.status == "valid"
    assert finding.severity is Severity.LOW
    assert offline.findings[0].verification is None
    # the provider saw the other variables of the same env file
    ((rule, related),) = fake.calls
    assert rule == "stripe-secret-key"
    assert related["STRIPE_ACCOUNT"] == "acct_1" and related["STRIPE_SECRET_KEY"] == keys.stripe


def test_no_severity_keeps_the_offline_one(
    project: Path, keys: Any, write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project, ".env", f"STRIPE_SECRET_KEY={keys.stripe}\n")
    _install(monkeypatch, "stripe", _FakeProvider(lambda f, c: Verification("valid", "ok")))
    offline = audit(AuditOptions(root=project)).findings[0]
    verified = audit(AuditOptions(root=project, verify=True)).findings[0]
    assert verified.severity is offline.severity


@pytest.mark.parametrize(
    ("error", "summary"),
    [
        (NotImplementedError(), "not supported"),
        (ImportError("no sdk"), "not available"),
        (KeyError("boom"), "internal error (KeyError)"),
    ],
)
def test_failures_become_unknown(
    project: Path,
    keys: Any,
    write: Write,
    monkeypatch: pytest.MonkeyPatch,
    error: Exception,
    summary: str,
) -> None:
    write(project, ".env", f"STRIPE_SECRET_KEY={keys.stripe}\n")

    def fail(finding: Finding, ctx: VerifyContext) -> Verification:
        raise error

    _install(monkeypatch, "stripe", _FakeProvider(fail))
    (finding,) = audit(AuditOptions(root=project, verify=True)).findings
    assert finding.verification is not None
    assert finding.verification.status == "unknown"
    assert summary in finding.verification.summary


def test_provider_error_message_is_scrubbed(
    project: Path, keys: Any, write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project, ".env", f"STRIPE_SECRET_KEY={keys.stripe}\n")

    def leak(finding: Finding, ctx: VerifyContext) -> Verification:
        raise ProviderError(f"Invalid API Key provided: {finding.secret.reveal()}; check it")

    _install(monkeypatch, "stripe", _FakeProvider(leak))
    (finding,) = audit(AuditOptions(root=project, verify=True)).findings
    assert finding.verification is not None
    assert keys.stripe not in finding.verification.summary
    assert finding.verification.summary.startswith("Invalid API Key provided: sk_live_")


URLLIB3_ERROR = (
    "HTTPSConnectionPool(host='api.stripe.com', port=443): Max retries exceeded with url: "
    "/v1/balance\n (Caused by NewConnectionError('<urllib3.connection.HTTPSConnection object "
    "at 0x7f3a2b1c9d50>: Failed to establish a new connection: [Errno 111] Connection "
    "refused'))"
)


@pytest.mark.parametrize("raised", [True, False])
def test_library_errors_become_one_line(
    project: Path, keys: Any, write: Write, monkeypatch: pytest.MonkeyPatch, raised: bool
) -> None:
    """No nine-line urllib3 repr in the table: the host and the cause, on one line."""
    write(project, ".env", f"STRIPE_SECRET_KEY={keys.stripe}\n")

    def unreachable(finding: Finding, ctx: VerifyContext) -> Verification:
        if raised:
            raise ProviderError(f"stripe: network error: {URLLIB3_ERROR}")
        return Verification("unknown", URLLIB3_ERROR)

    _install(monkeypatch, "stripe", _FakeProvider(unreachable))
    (finding,) = audit(AuditOptions(root=project, verify=True)).findings
    assert finding.verification is not None
    assert finding.verification.summary == "cannot reach api.stripe.com: connection refused"


def test_environ_findings_get_the_environment_as_related(
    project: Path, keys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _FakeProvider(lambda f, c: Verification("invalid", "revoked"))
    _install(monkeypatch, "stripe", fake)
    environ = {"STRIPE_SECRET_KEY": keys.stripe, "STRIPE_API_BASE": "http://127.0.0.1:1"}
    report = audit(AuditOptions(root=project, include_environ=True, environ=environ, verify=True))
    (finding,) = report.findings
    assert finding.verification is not None and finding.verification.status == "invalid"
    assert fake.calls[0][1]["STRIPE_API_BASE"] == "http://127.0.0.1:1"


def test_unregistered_provider_is_not_asked(
    project: Path, keys: Any, write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project, "a.py", f'K = "{keys.stripe}"\n')
    monkeypatch.delitem(providers.PROVIDERS, "stripe")
    (finding,) = audit(AuditOptions(root=project, verify=True)).findings
    assert finding.provider == "stripe" and finding.verification is None


@pytest.mark.postgres
def test_verify_against_the_real_postgres(
    project: Path, write: Write, pg_admin_dsn: str, pg_database: str
) -> None:
    """End to end through the postgres provider: a superuser URL on localhost is proven so.

    It stays a low ``dev`` finding (a laptop database), with the proof in its verification.
    """
    import secrets

    password = secrets.token_urlsafe(16)
    missing_role = f"aa_scan_missing_{secrets.token_hex(4)}"
    write(
        project,
        ".env",
        f"DATABASE_URL=postgresql://postgres:{password}@127.0.0.1:5432/{pg_database}\n"
        f"OTHER_DATABASE_URL=postgresql://{missing_role}:{password}@127.0.0.1:5432/{pg_database}\n",
    )
    offline = {f.variable: f for f in audit(AuditOptions(root=project)).findings}
    report = audit(AuditOptions(root=project, verify=True))
    verified = {f.variable: f for f in report.findings}
    admin = verified["DATABASE_URL"]
    assert admin.verification is not None and admin.verification.status == "valid"
    assert admin.verification.details["superuser"] is True
    assert admin.verification.severity is not None and admin.verification.severity.rank == 4
    assert admin.severity is offline["DATABASE_URL"].severity  # dev keeps its own severity
    other = verified["OTHER_DATABASE_URL"]
    # NOTE: the postgres provider reports a login refused for a missing role as "unknown"
    # (D's choice); what matters here is that it is not taken for a working credential.
    assert other.verification is not None and other.verification.status in {"invalid", "unknown"}
    for f in report.findings:
        assert f.verification is not None and password not in f.verification.summary


def test_a_dev_finding_keeps_its_severity_whatever_is_proven(
    project: Path, write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project, ".env", "DATABASE_URL=postgresql://app:s3cr3t-Pa55w0rd@127.0.0.1:5432/app\n")
    fake = _FakeProvider(lambda f, ctx: Verification("valid", "superuser", (), Severity.CRITICAL))
    _install(monkeypatch, "postgres", fake)
    offline = audit(AuditOptions(root=project)).findings[0]
    (finding,) = audit(AuditOptions(root=project, verify=True)).findings
    assert offline.environment.value == "dev"
    assert finding.verification is not None and finding.verification.summary == "superuser"
    assert finding.severity is offline.severity


def test_a_long_summary_is_cut_between_clauses() -> None:
    """A half clause ("…; the…") says nothing: cut at "; ", keep the first clause whole."""
    from agentauth.service.verifytext import MAX_SUMMARY, one_line

    first = (
        "u@db on " + "h" * 150 + ".example.com:5432: the server accepts a login with NO password"
    )
    assert one_line(f"{first}; owner of 5 tables; can write 3 tables") == f"{first}; …"
    rest = "; ".join(f"clause number {n}" for n in range(20))
    short = one_line(f"u@db on h: {rest}")
    assert len(short) <= MAX_SUMMARY and short.endswith("; …")
    assert short[: -len("; …")].endswith(tuple(f"number {n}" for n in range(20)))
