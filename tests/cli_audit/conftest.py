"""Fixtures for the audit/check CLI tests: copies of the example apps and CLI runners."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.cli_audit.cli_audit_helpers import (
    AGENTAUTH,
    CLEAN,
    DEMO,
    copy_app,
    demo_secret_values,
)
from tests.support.cli import Result, in_process_cli

__all__ = ["in_process_cli"]


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """A copy of examples/demo-app (not a git repository)."""
    return copy_app(DEMO, tmp_path / "demo-app")


@pytest.fixture
def demo_repo(tmp_path: Path) -> Path:
    """A copy of examples/demo-app as a git repository with its files staged (.env ignored)."""
    return copy_app(DEMO, tmp_path / "demo-repo", repo=True)


@pytest.fixture
def clean_repo(tmp_path: Path) -> Path:
    """A copy of examples/clean-app as a git repository with its files staged."""
    return copy_app(CLEAN, tmp_path / "clean-repo", repo=True)


@pytest.fixture
def secrets_of_demo() -> tuple[str, ...]:
    """The demo's credential values, to prove none is printed."""
    return demo_secret_values()


@pytest.fixture
def cli_process() -> Callable[..., Result]:
    """Run the installed ``agentauth`` console script as a subprocess."""

    def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> Result:
        done = subprocess.run(
            [str(AGENTAUTH), *args],
            cwd=cwd, capture_output=True, text=True, timeout=120,
            env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL, check=False,
        )  # fmt: skip
        return Result(done.returncode, done.stdout, done.stderr)

    return run
