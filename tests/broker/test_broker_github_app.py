"""``provider: github, mode: broker`` with a GitHub App: the broker mints and refreshes the token.

A local stub of the GitHub API answers ``POST /app/installations/{id}/access_tokens``
as GitHub does (JWT of the App checked, ``repositories``/``permissions`` echoed,
``expires_at``) but with a lifetime of seconds, so a refresh happens inside the
test. The agent's calls go through the real broker; the stub records the token
each one carried: before the refresh the first token, after it only the second,
and the first one is deleted at GitHub. The agent only ever holds the phantom.
"""

from __future__ import annotations

import json
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pytest_httpserver import HTTPServer
from tests.support.cli import run_cli
from werkzeug import Request, Response

from agentauth.service import broker as service
from agentauth.state import auditlog
from agentauth.state.ledger import Ledger

APP_ID = 4242
INSTALLATION = 777
LIFETIME = 4  # seconds: refreshed after 2


@dataclass
class AppStub:
    """GitHub's token endpoint and one repository, recording what each request carried."""

    public_key: Any
    minted: list[str] = field(default_factory=list)
    bodies: list[Any] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    seen: list[tuple[float, str]] = field(default_factory=list)

    def handle(self, request: Request) -> Response:
        auth = request.headers.get("Authorization", "")
        if request.path == f"/app/installations/{INSTALLATION}/access_tokens":
            claims = jwt.decode(auth.removeprefix("Bearer "), self.public_key, algorithms=["RS256"])
            assert str(claims["iss"]) == str(APP_ID)
            body = json.loads(request.data)
            self.bodies.append(body)
            token = f"ghs_minted{len(self.minted)}xxxxxxxxxxxxxxxxxxxxxxxxxx"
            self.minted.append(token)
            expires = datetime.now(UTC) + timedelta(seconds=LIFETIME)
            return _json(201, {
                "token": token, "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "permissions": body["permissions"], "repository_selection": "selected",
                "repositories": [{"name": n, "full_name": f"acme/{n}"}
                                 for n in body["repositories"]],
            })  # fmt: skip
        token = auth.removeprefix("token ").removeprefix("Bearer ")
        if request.method == "DELETE" and request.path == "/installation/token":
            self.deleted.append(token)
            return Response(status=204)
        self.seen.append((time.monotonic(), token))
        return _json(200, {"full_name": "acme/web"})


def _json(status: int, body: object) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


@pytest.fixture
def stub(tmp_path: Path) -> Iterator[tuple[AppStub, HTTPServer, Path]]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = tmp_path / "keys" / "app.pem"
    pem.parent.mkdir()
    pem.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))  # fmt: skip
    pem.chmod(0o600)
    app = AppStub(key.public_key())
    server = HTTPServer(host="127.0.0.1", port=0)
    server.expect_request("").respond_with_handler(app.handle)
    server.start()
    yield app, server, pem
    server.stop()


def test_the_broker_mints_the_app_token_and_refreshes_it_before_expiry(
    tmp_path: Path, stub: tuple[AppStub, HTTPServer, Path]
) -> None:
    app, server, pem = stub
    root = tmp_path / "project"
    root.mkdir()
    api = server.url_for("/").rstrip("/")
    (root / "agentauth.yaml").write_text(
        "version: 1\nagent: claude-code\ncredentials:\n  GITHUB_TOKEN:\n    provider: github\n"
        "    mode: broker\n    hosts: [api.github.com]\n"
        f"    app_id: {APP_ID}\n    installation_id: {INSTALLATION}\n"
        f"    private_key_file: {pem}\n    api_url: {api}\n    upstream: {api}\n"
        "    repositories: [acme/web]\n    permissions: {contents: read}\n"
        "    allow: ['GET /repos/acme/web/**']\n"
    )
    (root / ".env").write_text("UNRELATED=1\n")  # no GITHUB_TOKEN anywhere
    # Provisioning needs no pasted token: the broker mints from the App.
    provisioned = run_cli("provision", "--yes", cwd=root)
    assert provisioned.returncode == 0, provisioned.stdout + provisioned.stderr
    (grant,) = Ledger(root).grants()
    session = service.start(root, source_env={})
    assert session is not None
    try:
        phantom = session.env["GITHUB_TOKEN"]
        assert phantom.startswith("ghs_") and phantom not in app.minted
        scope = {"repositories": ["web"], "permissions": {"contents": "read", "metadata": "read"}}
        assert app.bodies == [scope]
        verify = ssl.create_default_context(cafile=session.env["SSL_CERT_FILE"])
        headers = {"Authorization": f"token {phantom}"}
        with httpx.Client(proxy=session.env["HTTPS_PROXY"], verify=verify) as agent:

            def call() -> None:
                got = agent.get("https://api.github.com/repos/acme/web/pulls", headers=headers)
                assert got.status_code == 200, got.text

            call()
            deadline = time.monotonic() + 20
            while len(app.minted) < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
            assert len(app.minted) >= 2, "no refresh before expiry"
            refreshed = time.monotonic()
            while app.deleted[:1] != [app.minted[0]] and time.monotonic() < deadline:
                time.sleep(0.05)
            call()
            call()
        first, second = app.minted[:2]
        assert app.seen[0][1] == first
        after = [token for at, token in app.seen if at > refreshed]
        assert after and set(after) <= set(app.minted[1:]) and first not in after
        assert app.deleted[0] == first  # the replaced token is dead at GitHub too
        assert second in {t for _at, t in app.seen}
    finally:
        session.stop()
    assert app.deleted[-1] == app.minted[-1]  # stopping deletes the current one
    mints = [e for e in auditlog.read(root) if e.get("event") == "mint"]
    assert [m["reason"] for m in mints][:2] == ["broker start", "broker refresh before expiry"]
    assert {m["grant"] for m in mints} == {grant.id}
    assert not any(t in json.dumps(mints) for t in app.minted)
