"""The suite's own guards: no network beyond loopback, no real home directory or credentials."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest


def test_a_non_loopback_connection_is_refused() -> None:
    with (
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock,
        pytest.raises(OSError, match="only loopback"),
    ):
        sock.connect(("192.0.2.1", 443))  # TEST-NET-1: would never answer anyway


def test_loopback_stays_reachable() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=2):
            pass


def test_home_and_state_are_temporary_and_credentials_are_gone() -> None:
    assert Path(os.environ["HOME"]) != Path("/root")
    assert os.environ["AGENTAUTH_HOME"].startswith(os.environ["HOME"])
    assert not any(
        name.startswith(("AWS_ACCESS", "GITHUB_TOKEN", "STRIPE_")) for name in os.environ
    )
    assert os.environ["PYTHON_KEYRING_BACKEND"] == "keyring.backends.fail.Keyring"
