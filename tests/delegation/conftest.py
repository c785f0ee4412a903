"""Fixtures of the delegation, attestation and log-chain tests."""

from __future__ import annotations

import sys
from collections.abc import Callable

import pytest


@pytest.fixture
def cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[int, str, str]]:
    """Run the real console script (error funnel included); return (exit code, stdout, stderr)."""
    from agentauth.cli.app import main

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["agentauth", *args])
        code = main()
        out, err = capsys.readouterr()
        return code, out, err

    return run
