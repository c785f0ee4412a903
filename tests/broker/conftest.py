"""Fixtures for the broker tests: TLS upstreams made with trustme, and a broker on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from brokerkit import BrokerFixture, start_broker
from pytest_httpserver import HTTPServer


@pytest.fixture(scope="session")
def upstream_ca() -> trustme.CA:
    return trustme.CA()


def _tls_server(ca: trustme.CA, name: str) -> Iterator[HTTPServer]:
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert(name).configure_cert(context)
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=context)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


@pytest.fixture
def api(upstream_ca: trustme.CA) -> Iterator[HTTPServer]:
    """The brokered API's stand-in (HTTPS on 127.0.0.1, cert from the test CA)."""
    yield from _tls_server(upstream_ca, "127.0.0.1")


@pytest.fixture
def other(upstream_ca: trustme.CA) -> Iterator[HTTPServer]:
    """A host nobody brokers (HTTPS on 127.0.0.1 with a cert for localhost)."""
    yield from _tls_server(upstream_ca, "localhost")


@pytest.fixture
def broker_factory(
    tmp_path: Path, upstream_ca: trustme.CA
) -> Iterator[type[BrokerFixture] | object]:
    started: list[BrokerFixture] = []

    def make(policy: str, values: dict[str, str], ports: tuple[int, ...] = (443,)) -> BrokerFixture:
        fixture = start_broker(tmp_path, upstream_ca, policy, values, ports)
        started.append(fixture)
        return fixture

    yield make
    for fixture in started:
        fixture.stop()
