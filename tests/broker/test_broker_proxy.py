"""The real broker between httpx and TLS upstreams: injection, refusals, tunnels, limits."""

from __future__ import annotations

import json
import socket
import ssl
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from brokerkit import BrokerFixture
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

REAL = "sk-proj-REALVALUEabcdefghijklmnopqrstuvwxyz0123"
OTHER_REAL = "sk-ant-api03-REALOTHERabcdefghijklmnop"


def policy(api: HTTPServer, *, network: str = "") -> str:
    return f"""\
version: 1
agent: claude-code
credentials:
  OPENAI_API_KEY:
    provider: http
    hosts: [api.openai.test]
    auth: bearer
    allow:
      - GET /v1/models
      - POST /v1/chat/completions
    upstream: https://127.0.0.1:{api.port}
    upstream_ca: upstream-ca.pem
  ANTHROPIC_API_KEY:
    provider: http
    hosts: [api.anthropic.test]
    auth: header:x-api-key
    allow: ["POST /v1/messages"]
    upstream: https://127.0.0.1:{api.port}
    upstream_ca: upstream-ca.pem
{network}"""


Factory = Callable[..., BrokerFixture]


def client(b: BrokerFixture) -> httpx.Client:
    return httpx.Client(proxy=b.proxy, verify=ssl.create_default_context(cafile=str(b.bundle)))


def test_an_allowed_call_reaches_the_upstream_with_the_real_key(
    api: HTTPServer, broker_factory: Factory
) -> None:
    b = broker_factory(policy(api), {"OPENAI_API_KEY": REAL, "ANTHROPIC_API_KEY": OTHER_REAL})
    api.expect_request("/v1/models", headers={"Authorization": f"Bearer {REAL}"}).respond_with_json(
        {"data": []}
    )
    phantom = b.phantoms["OPENAI_API_KEY"]
    with client(b) as c:
        r = c.get("https://api.openai.test/v1/models?limit=2",
                  headers={"Authorization": f"Bearer {phantom}"})  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json() == {"data": []}
    ((req, _resp),) = api.log
    assert req.headers["Authorization"] == f"Bearer {REAL}"
    assert "proxy-authorization" not in {k.lower() for k, _v in req.headers}
    time.sleep(0.05)
    (event,) = b.events
    assert event["decision"] == "allowed" and event["status"] == 200
    assert event["variable"] == "OPENAI_API_KEY" and event["grant"] == "http-openai"
    assert event["path"] == "/v1/models?limit=2" and event["host"] == "api.openai.test"
    assert REAL not in json.dumps(b.events) and phantom not in json.dumps(b.events)


def test_header_auth_is_injected_in_its_header(api: HTTPServer, broker_factory: Factory) -> None:
    b = broker_factory(policy(api), {"OPENAI_API_KEY": REAL, "ANTHROPIC_API_KEY": OTHER_REAL})
    api.expect_request("/v1/messages", method="POST").respond_with_json({"ok": 1})
    with client(b) as c:
        r = c.post("https://api.anthropic.test/v1/messages", json={"a": 1},
                   headers={"x-api-key": b.phantoms["ANTHROPIC_API_KEY"]})  # fmt: skip
    assert r.status_code == 200
    ((req, _resp),) = api.log
    assert req.headers["x-api-key"] == OTHER_REAL
    assert req.get_json() == {"a": 1}


def test_a_forbidden_call_gets_403_naming_the_rule_and_never_reaches_the_upstream(
    api: HTTPServer, broker_factory: Factory
) -> None:
    b = broker_factory(policy(api), {"OPENAI_API_KEY": REAL, "ANTHROPIC_API_KEY": OTHER_REAL})
    with client(b) as c:
        r = c.post("https://api.openai.test/v1/files", content=b"x" * 10,
                   headers={"Authorization": f"Bearer {b.phantoms['OPENAI_API_KEY']}"})  # fmt: skip
        assert r.status_code == 403
        assert r.json()["message"] == (
            "agentauth: POST /v1/files is not allowed for OPENAI_API_KEY (agentauth.yaml:4)"
        )
        assert r.json()["allowed"] == ["GET /v1/models", "POST /v1/chat/completions"]
        r = c.get("https://api.openai.test/v1/models/../files",
                  headers={"Authorization": f"Bearer {b.phantoms['OPENAI_API_KEY']}"})  # fmt: skip
    assert api.log == []
    time.sleep(0.05)
    assert [e["decision"] for e in b.events] == ["refused", "refused"]


def test_a_phantom_sent_to_another_brokered_host_or_place_is_refused(
    api: HTTPServer, broker_factory: Factory
) -> None:
    b = broker_factory(policy(api), {"OPENAI_API_KEY": REAL, "ANTHROPIC_API_KEY": OTHER_REAL})
    openai = b.phantoms["OPENAI_API_KEY"]
    with client(b) as c:
        r1 = c.post("https://api.anthropic.test/v1/messages", headers={"x-api-key": openai})
        r2 = c.get("https://api.openai.test/v1/models", headers={"X-Leak": openai})
        r3 = c.get(f"https://api.openai.test/v1/models?q={openai}")
    assert [r.status_code for r in (r1, r2, r3)] == [403, 403, 403]
    assert "not one of its hosts" in r1.json()["message"]
    assert "may only travel as auth bearer" in r2.json()["message"]
    assert api.log == []


def test_a_phantom_in_plain_http_to_any_host_is_refused(
    broker_factory: Factory, httpserver: HTTPServer
) -> None:
    b = broker_factory(
        "version: 1\nagent: a\ncredentials:\n  K:\n    provider: http\n    hosts: [a.test]\n"
        "    allow: ['GET /']\n",
        {"K": "sk-real-value-123456"},
    )
    httpserver.expect_request("/").respond_with_data("hi")
    with httpx.Client(proxy=b.proxy) as c:
        ok = c.get(f"http://localhost:{httpserver.port}/")
        leak = c.get(f"http://localhost:{httpserver.port}/", headers={"X-K": b.phantoms["K"]})
    assert ok.text == "hi"
    assert leak.status_code == 403
    assert len(httpserver.log) == 1


def test_other_hosts_are_tunnelled_or_refused_under_deny(
    api: HTTPServer, other: HTTPServer, broker_factory: Factory
) -> None:
    other.expect_request("/").respond_with_data("tunnelled")
    b = broker_factory(policy(api), {"OPENAI_API_KEY": REAL, "ANTHROPIC_API_KEY": OTHER_REAL},
                       ports=(443, other.port))  # fmt: skip
    with client(b) as c:
        assert c.get(f"https://localhost:{other.port}/").text == "tunnelled"
    deny = policy(api, network="network:\n  default: deny\n  allow: [pypi.org]\n")
    d = broker_factory(deny, {"OPENAI_API_KEY": REAL, "ANTHROPIC_API_KEY": OTHER_REAL},
                       ports=(443, other.port))  # fmt: skip
    with client(d) as c, pytest.raises(httpx.ProxyError):
        c.get(f"https://localhost:{other.port}/")
    assert len(other.log) == 1
    time.sleep(0.05)
    assert d.events[-1]["decision"] == "refused"
    assert "network.allow" in str(d.events[-1]["reason"])


def test_connect_to_an_unexpected_port_is_refused(
    api: HTTPServer, other: HTTPServer, broker_factory: Factory
) -> None:
    b = broker_factory(policy(api), {"OPENAI_API_KEY": REAL, "ANTHROPIC_API_KEY": OTHER_REAL})
    with client(b) as c, pytest.raises(httpx.ProxyError):
        c.get(f"https://localhost:{other.port}/")
    assert other.log == []


def _raw(b: BrokerFixture, data: bytes, *, auth: bool = True) -> bytes:
    port = int(b.proxy.rsplit(":", 1)[1])
    token = b.proxy.split("@")[0].split("//")[1]
    import base64

    header = b"Proxy-Authorization: Basic " + base64.b64encode(token.encode()) + b"\r\n"
    data = data.replace(b"\r\n", b"\r\n" + (header if auth else b""), 1)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(data)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
            if b"\r\n\r\n" in b"".join(chunks):
                break
        return b"".join(chunks)


def test_the_proxy_credential_is_required(api: HTTPServer, broker_factory: Factory) -> None:
    b = broker_factory(policy(api), {"OPENAI_API_KEY": REAL, "ANTHROPIC_API_KEY": OTHER_REAL})
    connect = b"CONNECT api.openai.test:443 HTTP/1.1\r\nHost: api.openai.test:443\r\n\r\n"
    assert _raw(b, connect, auth=False).startswith(b"HTTP/1.1 407")
    wrong = connect.replace(b"\r\n\r\n", b"\r\nProxy-Authorization: Basic YWdlbnRhdXRoOng=\r\n\r\n")
    assert _raw(b, wrong, auth=False).startswith(b"HTTP/1.1 407")
    assert _raw(b, connect).startswith(b"HTTP/1.1 200")


def test_smuggling_and_oversized_heads_are_refused(
    api: HTTPServer, broker_factory: Factory, httpserver: HTTPServer
) -> None:
    b = broker_factory(policy(api), {"OPENAI_API_KEY": REAL, "ANTHROPIC_API_KEY": OTHER_REAL})
    url = f"http://localhost:{httpserver.port}/"
    smuggle = (f"POST {url} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\n"
               "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n").encode()  # fmt: skip
    assert _raw(b, smuggle).startswith(b"HTTP/1.1 403")
    huge = f"GET {url} HTTP/1.1\r\nHost: localhost\r\nX-Big: {'a' * 70000}\r\n\r\n".encode()
    assert _raw(b, huge).split(b" ")[1] in (b"431", b"400")
    assert httpserver.log == []


def test_a_slow_client_is_cut_off(api: HTTPServer, broker_factory: Factory) -> None:
    b = broker_factory(policy(api), {"OPENAI_API_KEY": REAL, "ANTHROPIC_API_KEY": OTHER_REAL})
    port = int(b.proxy.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"CONNECT api.openai.test:443 HTTP/1.1\r\n")
        started = time.monotonic()
        assert s.recv(100) == b""  # closed by the broker's head timeout (2 s in tests)
        assert time.monotonic() - started < 5


def test_server_sent_events_arrive_incrementally(api: HTTPServer, broker_factory: Factory) -> None:
    def stream(_request: Request) -> Response:
        def events():  # type: ignore[no-untyped-def]
            for i in range(3):
                yield f"data: {i}\n\n".encode()
                time.sleep(0.4)

        return Response(events(), mimetype="text/event-stream")

    api.expect_request("/v1/chat/completions", method="POST").respond_with_handler(stream)
    b = broker_factory(policy(api), {"OPENAI_API_KEY": REAL, "ANTHROPIC_API_KEY": OTHER_REAL})
    arrivals = []
    with client(b) as c, c.stream(
        "POST", "https://api.openai.test/v1/chat/completions", json={"stream": True},
        headers={"Authorization": f"Bearer {b.phantoms['OPENAI_API_KEY']}"},
    ) as r:  # fmt: skip
        started = time.monotonic()
        for line in r.iter_lines():
            if line.startswith("data:"):
                arrivals.append((line, time.monotonic() - started))  # noqa: PERF401
    assert [a[0] for a in arrivals] == ["data: 0", "data: 1", "data: 2"]
    assert arrivals[0][1] < 0.3 and arrivals[2][1] > 0.6


def test_the_ca_bundle_holds_the_system_cas_and_a_name_constrained_session_ca(
    api: HTTPServer, broker_factory: Factory
) -> None:
    from cryptography import x509

    b = broker_factory(policy(api), {"OPENAI_API_KEY": REAL, "ANTHROPIC_API_KEY": OTHER_REAL})
    text = Path(b.env["SSL_CERT_FILE"]).read_text()
    assert text.count("BEGIN CERTIFICATE") > 10
    assert "PRIVATE KEY" not in text
    ca = b.thread.broker.ca.cert
    constraints = ca.extensions.get_extension_for_class(x509.NameConstraints)
    assert constraints.critical
    assert {n.value for n in constraints.value.permitted_subtrees} == {
        "api.openai.test", "api.anthropic.test",
    }  # fmt: skip
