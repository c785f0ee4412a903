"""Real clients through the real broker: curl, requests, the stripe SDK, PyGithub and Node.

Each is configured only by the variables ``run`` gives a child (proxy URL, CA
bundle) and holds only a phantom. For each: the allowed call succeeds and the stub
upstream saw the real credential; the forbidden call gets the broker's 403 and the
upstream saw nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from brokerkit import BrokerFixture
from pytest_httpserver import HTTPServer

STRIPE_REAL = "sk_live_51RealKeyForTestsOnlyAbCdEfGhIjKlMnOpQrStUv"
GITHUB_REAL = "ghp_RealTokenForTestsOnly0123456789abcd"
OPENAI_REAL = "sk-proj-RealOpenAIForTestsOnly0123456789abcdefgh"

Factory = Callable[..., BrokerFixture]


def policy(api: HTTPServer) -> str:
    up = f"    upstream: https://127.0.0.1:{api.port}\n    upstream_ca: upstream-ca.pem\n"
    return (
        "version: 1\nagent: claude-code\ncredentials:\n"
        "  STRIPE_SECRET_KEY:\n    provider: stripe\n    mode: broker\n"
        "    allow: ['GET /v1/customers', 'GET /v1/customers/*']\n" + up
        + "  GITHUB_TOKEN:\n    provider: github\n    mode: broker\n"
        "    allow: ['GET /repos/acme/web', 'GET /repos/acme/web/**']\n" + up
        + "  OPENAI_API_KEY:\n    provider: http\n    hosts: [api.openai.test]\n"
        "    allow: ['GET /v1/models']\n" + up
    )  # fmt: skip


@pytest.fixture
def brokered(
    api: HTTPServer, broker_factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[BrokerFixture]:
    b = broker_factory(
        policy(api),
        {"STRIPE_SECRET_KEY": STRIPE_REAL, "GITHUB_TOKEN": GITHUB_REAL,
         "OPENAI_API_KEY": OPENAI_REAL},
    )  # fmt: skip
    for name, value in b.env.items():
        monkeypatch.setenv(name, value)
    yield b


def _child_env(b: BrokerFixture) -> dict[str, str]:
    return {"PATH": os.environ["PATH"], **b.env, **b.phantoms}


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl(brokered: BrokerFixture, api: HTTPServer) -> None:
    api.expect_request("/v1/models").respond_with_json({"data": []})
    env = _child_env(brokered)
    ok = subprocess.run(
        ["sh", "-c", 'curl -sS -H "Authorization: Bearer $OPENAI_API_KEY" '
         "https://api.openai.test/v1/models"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert json.loads(ok.stdout) == {"data": []}
    bad = subprocess.run(
        ["sh", "-c", 'curl -sS -X DELETE -H "Authorization: Bearer $OPENAI_API_KEY" '
         "https://api.openai.test/v1/models"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "DELETE /v1/models is not allowed for OPENAI_API_KEY" in bad.stdout
    ((req, _),) = api.log
    assert req.headers["Authorization"] == f"Bearer {OPENAI_REAL}"


def test_a_client_asking_for_http2_gets_http11(brokered: BrokerFixture, api: HTTPServer) -> None:
    """The broker offers only http/1.1 by ALPN (docs/walkthrough-broker.md says why)."""
    api.expect_request("/v1/models").respond_with_json({"data": []})
    ok = subprocess.run(
        ["sh", "-c", 'curl -sS --http2 -o /dev/null -w "%{http_version} %{http_code}" '
         '-H "Authorization: Bearer $OPENAI_API_KEY" https://api.openai.test/v1/models'],
        env=_child_env(brokered), capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert ok.stdout == "1.1 200"


def test_requests(brokered: BrokerFixture, api: HTTPServer) -> None:
    import requests

    api.expect_request("/v1/models").respond_with_json({"data": [1]})
    auth = {"Authorization": f"Bearer {brokered.phantoms['OPENAI_API_KEY']}"}
    with requests.Session() as s:
        assert s.get("https://api.openai.test/v1/models", headers=auth).json() == {"data": [1]}
        refused = s.post("https://api.openai.test/v1/models", headers=auth)
    assert refused.status_code == 403
    ((req, _),) = api.log
    assert req.headers["Authorization"] == f"Bearer {OPENAI_REAL}"


def test_the_stripe_sdk(
    brokered: BrokerFixture, api: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The SDK honours HTTPS_PROXY but verifies with its own bundled CAs, not SSL_CERT_FILE:
    a program (or agent) must set ``stripe.ca_bundle_path`` (documented limitation)."""
    import stripe

    monkeypatch.setattr(stripe, "ca_bundle_path", os.environ["SSL_CERT_FILE"])

    api.expect_request("/v1/customers/cus_1").respond_with_json(
        {"id": "cus_1", "object": "customer"}
    )
    client = stripe.StripeClient(brokered.phantoms["STRIPE_SECRET_KEY"], max_network_retries=0)
    customer = client.v1.customers.retrieve("cus_1")
    assert customer.id == "cus_1"
    with pytest.raises(stripe.PermissionError) as refused:
        client.v1.refunds.create(params={"charge": "ch_1"})
    assert "POST /v1/refunds is not allowed for STRIPE_SECRET_KEY" in str(refused.value)
    ((req, _),) = api.log
    assert req.headers["Authorization"] == f"Bearer {STRIPE_REAL}"


def test_pygithub(brokered: BrokerFixture, api: HTTPServer) -> None:
    from github import Auth, Github, GithubException

    api.expect_request("/repos/acme/web").respond_with_json(
        {
            "id": 1,
            "name": "web",
            "full_name": "acme/web",
            "url": "https://api.github.com/repos/acme/web",
        }
    )
    gh = Github(auth=Auth.Token(brokered.phantoms["GITHUB_TOKEN"]), retry=None)
    repo = gh.get_repo("acme/web")
    assert repo.full_name == "acme/web"
    with pytest.raises(GithubException) as refused:
        repo.create_issue("hi")
    assert refused.value.status == 403
    ((req, _),) = api.log
    assert req.headers["Authorization"] in (f"token {GITHUB_REAL}", f"Bearer {GITHUB_REAL}")


HERE = Path(__file__).resolve().parent


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_node_trusts_the_session_ca_through_node_extra_ca_certs(
    brokered: BrokerFixture, api: HTTPServer
) -> None:
    api.expect_request("/v1/models").respond_with_json({"data": "node"})
    out = subprocess.run(["node", str(HERE / "node_tunnel.js")], env=_child_env(brokered),
                         capture_output=True, text=True, timeout=30)  # fmt: skip
    assert out.returncode == 0, out.stderr
    (ok_status, ok_body), (bad_status, bad_body) = json.loads(out.stdout)
    assert (ok_status, json.loads(ok_body)) == (200, {"data": "node"})
    assert bad_status == 403 and "not allowed for OPENAI_API_KEY" in bad_body
    ((req, _),) = api.log
    assert req.headers["Authorization"] == f"Bearer {OPENAI_REAL}"


def _node_major() -> int:
    out = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().lstrip("v").split(".")[0])


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_node_fetch_goes_through_the_broker_only_with_node_use_env_proxy(
    brokered: BrokerFixture, api: HTTPServer
) -> None:
    """Node >= 24 reads the proxy variables with NODE_USE_ENV_PROXY=1; older fetch ignores them."""
    api.expect_request("/v1/models").respond_with_json({"data": "fetch"})
    env = {**_child_env(brokered), "NODE_USE_ENV_PROXY": "1"}
    script = str(HERE / "node_fetch.js")
    out = subprocess.run(["node", script], env=env, capture_output=True, text=True,
                         timeout=30)  # fmt: skip
    if _node_major() >= 24:
        assert out.stdout.startswith("200"), out.stdout + out.stderr
        ((req, _),) = api.log
        assert req.headers["Authorization"] == f"Bearer {OPENAI_REAL}"
    else:  # fetch went direct (DNS for the brokered host), holding only a phantom
        assert out.stdout.startswith("ERR"), out.stdout
        assert api.log == []
