"""Shared test fixtures: isolation from the developer's machine, and the local services.

The PostgreSQL superuser fixtures live in :mod:`tests.support.postgres` (imported here).

Every test runs with a throwaway HOME and AGENTAUTH_HOME, no provider credentials in
the environment, and a keyring backend that cannot reach the real one.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path

import pytest
from tests.support.postgres import pg_admin_dsn, pg_database, port_open

__all__ = ["pg_admin_dsn", "pg_database"]

MYSQL_HOST = os.environ.get("AGENTAUTH_TEST_MYSQL_HOST", "127.0.0.1")
REDIS_URL = os.environ.get("AGENTAUTH_TEST_REDIS", "redis://127.0.0.1:6379/0")

_SCRUB_PREFIXES = (
    "AWS_",
    "PG",
    "DATABASE_URL",
    "GITHUB_",
    "GH_",
    "STRIPE_",
    "OPENAI_",
    "ANTHROPIC_",
    "MYSQL",
    "REDIS_",
    "AGENTAUTH_",
    "PYTHON_KEYRING_BACKEND",
    "XDG_",
)


@pytest.fixture(autouse=True)
def _isolate(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point HOME and AGENTAUTH_HOME at temporary folders and drop provider credentials."""
    home = tmp_path_factory.mktemp("home")
    for name in list(os.environ):
        if name.startswith(_SCRUB_PREFIXES):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AGENTAUTH_HOME", str(home / "agentauth-state"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _loopback_only(address: object) -> None:
    """Refuse a connection to anything but this machine: tests never reach the internet."""
    if isinstance(address, tuple) and address:
        host = str(address[0])
        try:
            loopback = ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if not loopback:
            raise OSError(f"test tried to reach {host}: only loopback is allowed in tests")


def _guarded_connect(self: socket.socket, address: object) -> None:
    _loopback_only(address)
    _real_connect(self, address)  # type: ignore[arg-type]


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    _loopback_only(address)
    return _real_connect_ex(self, address)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _no_network_beyond_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make an in-process connection to a non-loopback address fail loudly."""
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)


@pytest.fixture(scope="session")
def mysql_available() -> None:
    """Fail when MariaDB is not answering."""
    if not port_open(MYSQL_HOST, 3306):
        pytest.fail("MariaDB is not answering on 127.0.0.1:3306 (.ci/run starts it)")


@pytest.fixture(scope="session")
def redis_available() -> None:
    """Fail when Redis is not answering."""
    if not port_open("127.0.0.1", 6379):
        pytest.fail("Redis is not answering on 127.0.0.1:6379 (.ci/run starts it)")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """An empty project directory."""
    root = tmp_path / "project"
    root.mkdir()
    return root
