"""Helpers shared by the run/lock/guard/doctor tests (imported by name; conftest uses them too)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

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


def keyring_entries(path: Path) -> dict[str, str]:
    """Return the entries of the test keyring file (service agentauth)."""
    if not path.exists():
        return {}
    data: dict[str, dict[str, str]] = json.loads(path.read_text(encoding="utf-8"))
    return data.get("agentauth", {})


PRINT_ENV = "import json, os; print(json.dumps(dict(os.environ)))"
"""A child that prints its whole environment as JSON."""
