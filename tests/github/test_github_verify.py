"""``audit --verify`` for GitHub tokens against the stub (AGENTAUTH_GITHUB_API_URL)."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tests.findingkit import verify_finding

from agentauth.model import Finding, Severity
from agentauth.providers.base import VerifyContext
from agentauth.providers.github.provider import PROVIDER


def _finding(value: str) -> Finding:
    return verify_finding("github", "github-token", "GITHUB_TOKEN", value)


def _ctx(stub: Any) -> VerifyContext:
    return VerifyContext(related={}, environ={"AGENTAUTH_GITHUB_API_URL": stub.url}, timeout=5)


def _classic(
    stub: Any, token_factory: Any, scopes: tuple[str, ...], days: int | None = None
) -> str:
    expires = datetime.now(UTC).replace(microsecond=0) + timedelta(days=days) if days else None
    info = token_factory.info(
        "classic", "octodev", {"acme/web"}, {}, scopes=scopes, expires=expires
    )
    return stub.add_token(token_factory.classic("ghp"), info)


@pytest.mark.parametrize(
    ("scopes", "severity"),
    [
        (("repo", "read:org"), Severity.CRITICAL),
        (("admin:org",), Severity.CRITICAL),
        (("delete_repo",), Severity.CRITICAL),
        (("workflow",), Severity.CRITICAL),
        (("admin:repo_hook",), Severity.CRITICAL),
        (("public_repo",), Severity.HIGH),
        (("read:org",), Severity.HIGH),  # read-only, but never expires
        ((), Severity.LOW),
    ],
)
def test_classic_scopes_map_to_severity(stub, token_factory, scopes, severity) -> None:
    token = _classic(stub, token_factory, scopes)
    result = PROVIDER.verify(_finding(token), _ctx(stub))
    assert result.status == "valid"
    assert result.severity is severity
    assert result.details["scopes"] == list(scopes)
    assert "never expires" in result.summary
    assert token not in result.summary and token not in str(result.details)


def test_classic_capabilities_and_expiry(stub, token_factory) -> None:
    token = _classic(stub, token_factory, ("repo", "write:packages"), days=30)
    result = PROVIDER.verify(_finding(token), _ctx(stub))
    assert set(result.capabilities) == {
        "push-code",
        "read-code",
        "admin-repository",
        "publish-packages",
    }
    assert result.details["expires"] is not None
    assert "expires 20" in result.summary
    assert "octodev" in result.summary


def test_read_only_scope_with_expiry_is_medium(stub, token_factory) -> None:
    token = _classic(stub, token_factory, ("read:org",), days=30)
    assert PROVIDER.verify(_finding(token), _ctx(stub)).severity is Severity.MEDIUM


def test_revoked_token_is_invalid(stub, token_factory) -> None:
    token = token_factory.classic("ghp")
    result = PROVIDER.verify(_finding(token), _ctx(stub))
    assert result.status == "invalid" and result.severity is Severity.INFO


def test_bad_checksum_is_invalid_without_asking(stub) -> None:
    result = PROVIDER.verify(_finding("ghp_M7H4jxUDDWHP4kZ6A4dxlQYsQIWJuq11T4V3"), _ctx(stub))
    assert result.status == "invalid" and "checksum" in result.summary
    assert stub.requests == []


def test_installation_token_lists_its_repositories(stub, token_factory) -> None:
    info = token_factory.info("installation", "bot", {"acme/web", "acme/api"}, {"contents": "read"})
    token = stub.add_token(token_factory.classic("ghs"), info)
    result = PROVIDER.verify(_finding(token), _ctx(stub))
    assert result.status == "valid"
    assert result.details["repositories"] == ["acme/api", "acme/web"]
    assert "cannot be listed" in result.summary
    assert stub.calls("GET", "/installation/repositories")


def test_fine_grained_token_probes_and_says_what_cannot_be_known(stub, token_factory) -> None:
    expires = datetime.now(UTC).replace(microsecond=0) + timedelta(days=10)
    narrow = stub.add_token(
        token_factory.fine_grained(),
        token_factory.info(
            "fine-grained", "octodev", {"acme/web"}, {"contents": "read"}, expires=expires
        ),
    )
    result = PROVIDER.verify(_finding(narrow), _ctx(stub))
    assert result.status == "valid"
    assert "permissions cannot be listed for fine-grained tokens" in result.summary
    assert result.severity is None and result.capabilities == ()
    assert result.details["probes"] == {"acme/web/hooks": 403, "acme/web/actions/secrets": 403}
    assert result.details["accepted_permissions"] == {
        "hooks": "repository_hooks=read",
        "actions/secrets": "secrets=read",
    }
    # All probes are reads.
    assert {r.method for r in stub.requests} == {"GET"}

    broad = stub.add_token(
        token_factory.fine_grained(),
        token_factory.info(
            "fine-grained",
            "octodev",
            {"acme/web"},
            {"repository_hooks": "read", "secrets": "read"},
            expires=expires,
        ),
    )
    result = PROVIDER.verify(_finding(broad), _ctx(stub))
    assert result.severity is Severity.HIGH
    assert result.capabilities == ("admin-repository",)
    assert "read webhooks of acme/web" in result.summary


def test_network_failure_is_unknown() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ctx = VerifyContext(
        related={}, environ={"AGENTAUTH_GITHUB_API_URL": f"http://127.0.0.1:{port}"}, timeout=2
    )
    result = PROVIDER.verify(_finding("github_pat_" + "A" * 22 + "_" + "b" * 59), ctx)
    assert result.status == "unknown"
    assert "cannot reach GitHub" in result.summary


def test_rate_limit_is_unknown(httpserver) -> None:
    httpserver.expect_request("/user").respond_with_json(
        {"message": "API rate limit exceeded"},
        status=403,
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "9999999999"},
    )
    ctx = VerifyContext(
        related={}, environ={"AGENTAUTH_GITHUB_API_URL": httpserver.url_for("/")}, timeout=5
    )
    result = PROVIDER.verify(_finding("github_pat_" + "A" * 22 + "_" + "b" * 59), ctx)
    assert result.status == "unknown" and "rate-limited" in result.summary


def test_refresh_and_unknown_formats_are_not_probed(stub, token_factory) -> None:
    refresh = PROVIDER.verify(_finding(token_factory.classic("ghr")), _ctx(stub))
    assert refresh.status == "unknown" and "refresh token" in refresh.summary
    assert PROVIDER.verify(_finding("nope"), _ctx(stub)).status == "unknown"
    assert stub.requests == []
