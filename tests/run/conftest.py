"""Fixtures for the run/lock/guard/doctor tests: the CLI as a subprocess and a test keyring."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from tests.support.cli import TEST_KEYRING, Runner, run_cli


@pytest.fixture
def cli() -> Runner:
    """Run ``python -m agentauth ARGS`` (the console script's entry point) and capture it."""

    def run(
        *args: str,
        cwd: Path,
        env: Mapping[str, str] | None = None,
        input: str | None = None,
        timeout: float = 60,
    ) -> subprocess.CompletedProcess[str]:
        return run_cli(*args, cwd=cwd, env=env, input=input, timeout=timeout)

    return run


@pytest.fixture
def test_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Select the file-backed test keyring (in this process and in CLI subprocesses)."""
    path = tmp_path / "keyring.json"
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", TEST_KEYRING)
    monkeypatch.setenv("AGENTAUTH_TEST_KEYRING_FILE", str(path))
    import keyring
    import keyring.core

    keyring.core._keyring_backend = None  # type: ignore[attr-defined]
    yield path
    keyring.core._keyring_backend = None  # type: ignore[attr-defined]
