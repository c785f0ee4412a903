"""Large and broken response bodies through the broker: relayed intact, or cut off and logged.

A ``Content-Length`` body is counted by the broker itself after h11 parses the head
(``broker/forward.py``); these prove it relays every byte, keeps the connection for
the next request, and that an upstream which closes mid-body gives the client a
truncated response (never a hang, never a made-up end) and an audit event saying so.
"""

from __future__ import annotations

import hashlib
import os
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import trustme
from brokerkit import BrokerFixture
from pytest_httpserver import HTTPServer

REAL = "sk-proj-REALVALUEabcdefghijklmnopqrstuvwxyz0123"
Factory = Callable[..., BrokerFixture]
BIG = os.urandom(5 * 1024 * 1024 + 17)  # not a multiple of the 256 KiB read size


def _policy(port: int) -> str:
    return (
        "version: 1\nagent: claude-code\ncredentials:\n  OPENAI_API_KEY:\n    provider: http\n"
        "    hosts: [api.openai.test]\n    allow: ['GET /v1/**']\n"
        f"    upstream: https://127.0.0.1:{port}\n    upstream_ca: upstream-ca.pem\n"
    )


def _client(b: BrokerFixture) -> httpx.Client:
    verify = ssl.create_default_context(cafile=str(b.bundle))
    return httpx.Client(proxy=b.proxy, verify=verify, timeout=30)


def _auth(b: BrokerFixture) -> dict[str, str]:
    return {"Authorization": f"Bearer {b.phantoms['OPENAI_API_KEY']}"}


def test_a_large_counted_body_arrives_whole_and_the_connection_serves_again(
    api: HTTPServer, broker_factory: Factory
) -> None:
    api.expect_request("/v1/files/big").respond_with_data(BIG, content_type="application/x")
    api.expect_request("/v1/models").respond_with_json({"data": []})
    b = broker_factory(_policy(api.port), {"OPENAI_API_KEY": REAL})
    with _client(b) as c:
        got = c.get("https://api.openai.test/v1/files/big", headers=_auth(b))
        after = c.get("https://api.openai.test/v1/models", headers=_auth(b))
    assert (
        got.status_code == 200
        and hashlib.sha256(got.content).digest() == hashlib.sha256(BIG).digest()
    )
    assert after.json() == {"data": []}
    time.sleep(0.05)
    sizes = [(e["status"], e["bytes_out"]) for e in b.events]
    assert sizes == [(200, len(BIG)), (200, len(after.content))]


@pytest.fixture
def cut_off(upstream_ca: trustme.CA, tmp_path: Path) -> Iterator[int]:
    """A TLS upstream that announces 1 MB, sends 1000 bytes and closes."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    upstream_ca.issue_cert("127.0.0.1").configure_cert(context)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        with listener:
            raw, _ = listener.accept()
            with context.wrap_socket(raw, server_side=True) as conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(4096)
                conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 1000000\r\n\r\n" + b"x" * 1000)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield port
    thread.join(5)


def test_an_upstream_closing_inside_a_counted_body_cuts_the_response_and_says_so(
    cut_off: int, broker_factory: Factory
) -> None:
    b = broker_factory(_policy(cut_off), {"OPENAI_API_KEY": REAL})
    started = time.monotonic()
    with _client(b) as c, pytest.raises(httpx.RemoteProtocolError):
        c.get("https://api.openai.test/v1/files/big", headers=_auth(b))
    assert time.monotonic() - started < 10  # closed at once, not after a timeout
    deadline = time.monotonic() + 5
    while not b.events and time.monotonic() < deadline:
        time.sleep(0.05)
    (event,) = b.events
    assert event["status"] == 200 and event["bytes_out"] == 1000
    assert str(event["reason"]).startswith("the response was cut off")
