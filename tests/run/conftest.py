"""Fixtures for the run/lock/guard/doctor tests: the CLI as a subprocess and a test keyring."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
BASE_ENV = ("PATH", "HOME", "AGENTAUTH_HOME", "PYTHON_KEYRING_BACKEND", "NO_COLOR", "COLUMNS")


def cli_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A small, fully known environment for the CLI process (plus ``extra``)."""
    env = {name: os.environ[name] for name in BASE_ENV if name in os.environ}
    env["LANG"] = "C.UTF-8"
    env["PYTHONPATH"] = str(HERE)
    if "AGENTAUTH_TEST_KEYRING_FILE" in os.environ:
        env["AGENTAUTH_TEST_KEYRING_FILE"] = os.environ["AGENTAUTH_TEST_KEYRING_FILE"]
    env.update(extra or {})
    return env


Runner = Callable[..., subprocess.CompletedProcess[str]]


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
        return subprocess.run(
            [sys.executable, "-m", "agentauth", *args],
            cwd=cwd,
            env=cli_env(env),
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    return run


@pytest.fixture
def test_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Select the file-backed test keyring (in this process and in CLI subprocesses)."""
    path = tmp_path / "keyring.json"
    monkeypatch.syspath_prepend(str(HERE))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "aa_testkeyring.FileKeyring")
    monkeypatch.setenv("AGENTAUTH_TEST_KEYRING_FILE", str(path))
    import keyring
    import keyring.core

    keyring.core._keyring_backend = None  # type: ignore[attr-defined]
    yield path
    keyring.core._keyring_backend = None  # type: ignore[attr-defined]


def keyring_entries(path: Path) -> dict[str, str]:
    """Return the entries of the test keyring file (service agentauth)."""
    if not path.exists():
        return {}
    data: dict[str, dict[str, str]] = json.loads(path.read_text(encoding="utf-8"))
    return data.get("agentauth", {})


PRINT_ENV = "import json, os; print(json.dumps(dict(os.environ)))"
"""A child that prints its whole environment as JSON."""
