"""Pasted tokens on GitHub Enterprise Server: revoked through that host's API, else NOT REVOKED.

GHES 3.19+ has ``POST /api/v3/credentials/revoke`` as an *authenticated* endpoint (github.com's
refuses authentication); older servers have none (404), and then the token keeps working:
agentauth must say so (``still_valid``, exit 4), never "revoked". A stub per server version.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from tests.support.cli import run_cli
from werkzeug import Request, Response

from agentauth.model import Grant, GrantId, GrantStatus, Secret
from agentauth.providers.github.provider import PROVIDER
from agentauth.state.ledger import Ledger

TOKEN = "github_pat_11ABCDEFG0" + "x" * 72


def _grant(api_url: str) -> Grant:
    return Grant(GrantId("github-ghes0001"), "claude-code", "github", "GITHUB_TOKEN",
                 datetime.now(UTC), datetime.now(UTC) + timedelta(days=1), GrantStatus.ACTIVE,
                 "contents:read on acme/web (pat)",
                 objects={"mode": "pat", "store_key": "github/github-ghes0001/pat",
                          "api_url": api_url, "token_name": "agentauth-claude-code-GITHUB_TOKEN",
                          "settings_url": api_url.replace("/api/v3", "")
                          + "/settings/personal-access-tokens"})  # fmt: skip


def _ghes(httpserver: HTTPServer, version: str) -> list[Request]:
    """A GHES at /api/v3: 3.19 accepts authenticated revocations, 3.18 has no such route."""
    seen: list[Request] = []

    def revoke(request: Request) -> Response:
        seen.append(request)
        if version < "3.19":
            return Response(json.dumps({"message": "Not Found"}), 404,
                            content_type="application/json")  # fmt: skip
        if request.headers.get("Authorization") != f"token {TOKEN}":
            return Response(json.dumps({"message": "Requires authentication"}), 401,
                            content_type="application/json")  # fmt: skip
        return Response("{}", 202, content_type="application/json")

    httpserver.expect_request("/api/v3/credentials/revoke", method="POST").respond_with_handler(
        revoke
    )
    return seen


@pytest.mark.parametrize("version", ["3.19", "3.18"])
def test_ghes_token_is_revoked_through_its_host_or_reported_not_revoked(
    httpserver: HTTPServer, make_ctx, memory_store, version: str
) -> None:
    seen = _ghes(httpserver, version)
    api_url = httpserver.url_for("/api/v3")
    memory_store.set("github/github-ghes0001/pat", Secret(TOKEN))
    result = PROVIDER.revoke(_grant(api_url), make_ctx())
    [call] = seen
    assert json.loads(call.get_data()) == {"credentials": [TOKEN]}
    if version == "3.19":
        assert result.ok and not result.still_valid, result
        assert memory_store.values == {}
    else:
        assert not result.ok and result.still_valid, result
        assert "no credential-revocation API" in result.message and "NOT revoked" in result.message
        assert result.manual and f"{api_url[: -len('/api/v3')]}/settings/personal-access-tokens" \
            in result.manual  # fmt: skip
    assert TOKEN not in result.message + (result.manual or "")


def test_revoke_exits_4_for_a_ghes_token_it_could_not_revoke(
    httpserver: HTTPServer, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the CLI: NOT REVOKED on the line, exit 4, the grant stays open in the ledger."""
    from tests.support.cli import TEST_KEYRING

    _ghes(httpserver, "3.18")
    keyring_file = project.parent / "keyring.json"
    keyring_file.write_text(json.dumps({"agentauth": {"github/github-ghes0001/pat": TOKEN}}))
    (project / "agentauth.yaml").write_text("version: 1\nagent: claude-code\ncredentials: {}\n")
    Ledger(project).put(_grant(httpserver.url_for("/api/v3")))
    env = {"PYTHON_KEYRING_BACKEND": TEST_KEYRING, "AGENTAUTH_TEST_KEYRING_FILE": str(keyring_file)}
    done = run_cli("revoke", "github-ghes0001", "--yes", cwd=project, env=env)
    assert done.returncode == 4, done.stdout + done.stderr
    assert "NOT REVOKED" in done.stdout + done.stderr
    assert TOKEN not in done.stdout + done.stderr
    grant = Ledger(project).get(GrantId("github-ghes0001"))
    assert grant is not None and grant.status is not GrantStatus.REVOKED  # still open
