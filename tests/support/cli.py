"""The one way tests run the CLI: as a process (:func:`run_cli`) or in-process (:func:`in_process`).

The process form starts ``python -m agentauth`` (the console script's entry point,
fast path included) with a small, fully known environment (:func:`cli_env`); the
in-process form goes through the real error funnel (``agentauth.cli.app.main``) and
captures with pytest's ``capsys``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import NamedTuple

import pytest

REPO = Path(__file__).resolve().parents[2]
BASE_ENV = ("PATH", "HOME", "AGENTAUTH_HOME", "PYTHON_KEYRING_BACKEND", "NO_COLOR", "COLUMNS")
TEST_KEYRING = "tests.support.testkeyring.FileKeyring"
"""PYTHON_KEYRING_BACKEND value of the file-backed test keyring (see testkeyring.py)."""


class Result(NamedTuple):
    """Exit code and captured streams of one CLI run; also the tuple ``(code, out, err)``."""

    code: int
    out: str
    err: str

    @property
    def exit_code(self) -> int:
        """The exit code (the name typer's CliRunner uses)."""
        return self.code

    @property
    def stdout(self) -> str:
        """Standard output."""
        return self.out

    @property
    def stderr(self) -> str:
        """Standard error."""
        return self.err

    @property
    def output(self) -> str:
        """Both streams, for assertion messages."""
        return self.out + self.err

    @property
    def both(self) -> str:
        """Both streams, for leak checks."""
        return self.out + self.err


def cli_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A small, fully known environment for a CLI process (plus ``extra``)."""
    env = {name: os.environ[name] for name in BASE_ENV if name in os.environ}
    env["LANG"] = "C.UTF-8"
    env["PYTHONPATH"] = str(REPO)
    for name in ("AGENTAUTH_TEST_KEYRING_FILE",):
        if name in os.environ:
            env[name] = os.environ[name]
    env.update(extra or {})
    return env


def run_cli(
    *args: str,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    input: str | None = None,
    timeout: float = 120,
    full_env: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m agentauth ARGS`` in ``cwd`` and capture it (never raises on failure).

    ``env`` adds to :func:`cli_env`; ``full_env`` passes this process's whole
    environment instead (tests whose services are configured through it).
    """
    base = {**os.environ, **(env or {})} if full_env else cli_env(env)
    return subprocess.run(
        [sys.executable, "-m", "agentauth", *args],
        cwd=cwd, env=base, input=input or "", capture_output=True, text=True, timeout=timeout,
        check=False,
    )  # fmt: skip


Runner = Callable[..., subprocess.CompletedProcess[str]]

PRINT_ENV = "import json, os; print(json.dumps(dict(os.environ)))"
"""A child that prints its whole environment as JSON."""


def in_process(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Result]:
    """Return ``run(*args, cwd=None)``: the typer app in this process, through its funnel."""
    from agentauth.cli.app import main

    def run(*args: str, cwd: Path | None = None) -> Result:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        monkeypatch.setattr(sys, "argv", ["agentauth", *args])
        capsys.readouterr()
        code = main()
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture(name="cli")
def in_process_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Result]:
    """The ``cli`` fixture: :func:`in_process`; ``code, out, err = cli("status", cwd=root)``.

    A folder's conftest (or a test module) imports it to get the fixture.
    """
    return in_process(monkeypatch, capsys)
