"""Fixtures of the delegation, attestation and log-chain tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest


@pytest.fixture
def cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[int, str, str]]:
    """Run the real console script in-process (error funnel included): (code, stdout, stderr)."""
    from tests.support.cli import in_process

    run_in_process = in_process(monkeypatch, capsys)

    def run(*args: str) -> tuple[int, str, str]:
        result = run_in_process(*args)
        return result.code, result.out, result.err

    return run
