"""Keyring messages: one line per problem, the options once per command, worded for it (issue 14).

The test suite's default backend is ``keyring.backends.fail.Keyring`` (no secure keyring),
so every command here meets the problem the way a headless machine does.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from tests.support.cli import run_cli

from agentauth.secret import Secret

LIVE = "sk_live_" + "Z" * 30
HEADER = "could not use a secure keyring. Options:"


def _locked_project(project: Path) -> None:
    """A .env whose two secrets were locked earlier, on a machine that had a keyring."""
    (project / ".env").write_text(
        "DATABASE_URL=agentauth-keyring:proj/DATABASE_URL\n"
        "STRIPE_SECRET_KEY=agentauth-keyring:proj/STRIPE_SECRET_KEY\n",
        encoding="utf-8",
    )
    (project / "agentauth.yaml").write_text(
        "version: 1\nagent: msgs\nttl: 1h\ncredentials:\n"
        "  DATABASE_URL:\n    provider: postgres\n    schemas: [public]\n"
        "  STRIPE_SECRET_KEY:\n    provider: stripe\n    mode: test\n",
        encoding="utf-8",
    )


def test_lock_says_what_lock_can_do_once(project: Path) -> None:
    (project / ".env").write_text(f"STRIPE_SECRET_KEY={LIVE}\n", encoding="utf-8")
    result = run_cli("lock", "--dry-run", cwd=project)
    assert result.returncode == 2
    assert "error: no secure keyring backend on this machine" in result.stderr
    assert result.stderr.count(HEADER) == 1 and "agentauth lock " + HEADER in result.stderr
    assert "do not lock them" in result.stderr
    assert "PYTHON_KEYRING_BACKEND=agentauth.state.filestore.FileKeyring" in result.stderr
    assert LIVE not in result.stdout + result.stderr


def test_provision_is_not_told_to_skip_lock_and_hears_it_once(project: Path) -> None:
    _locked_project(project)
    result = run_cli("provision", "--dry-run", cwd=project)
    assert result.returncode == 2, result.stderr
    assert "no secure keyring backend" in result.stderr
    assert result.stderr.count(HEADER) == 1, result.stderr
    assert result.stderr.count("dbus-run-session") == 1
    assert "agentauth provision " + HEADER in result.stderr
    assert "do not lock" not in result.stderr and "not run `agentauth lock`" not in result.stderr
    assert all(len(line) < 300 for line in result.stderr.splitlines())  # one line each


def test_run_with_two_keyring_references_hears_it_once(project: Path) -> None:
    result = run_cli("run", "--env", "A=agentauth-keyring:x/A", "--env",
                     "B=agentauth-keyring:x/B", "--", "true", cwd=project)  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert result.stderr.count(HEADER) == 1 and "agentauth run " + HEADER in result.stderr
    assert "agentauth-keyring: references" in result.stderr


def test_a_command_that_never_touches_the_keyring_says_nothing(project: Path) -> None:
    result = run_cli("status", cwd=project)
    assert result.returncode == 0 and HEADER not in result.stderr


def test_file_backend_is_0600_under_agentauth_home_and_round_trips(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keyring.core

    from agentauth.state import secretstore
    from agentauth.state.filestore import store_path

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", secretstore.FILE_BACKEND)
    keyring.core._keyring_backend = None  # type: ignore[attr-defined]
    try:
        assert secretstore.is_secure(secretstore.backend_name())
        store = secretstore.KeyringStore()
        store.set("proj/KEY", Secret(LIVE))
        assert store.get("proj/KEY") == Secret(LIVE)
        path = store_path()
        assert path.parent == Path(__import__("os").environ["AGENTAUTH_HOME"])
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        store.delete("proj/KEY")
        store.delete("proj/KEY")  # a missing entry is fine
        assert store.get("proj/KEY") is None
    finally:
        keyring.core._keyring_backend = None  # type: ignore[attr-defined]


def test_file_backend_refuses_a_fifo_in_place_of_its_file() -> None:
    """A FIFO where secrets.json should be is a clear keyring error, never a hang."""
    import os
    import threading

    from keyring.errors import KeyringError

    from agentauth.state.filestore import FileKeyring, store_path

    path = store_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)
    outcome: list[BaseException | str | None] = []

    def ask() -> None:
        try:
            outcome.append(FileKeyring().get_password("proj", "KEY"))
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=ask, daemon=True)
    worker.start()
    worker.join(10)
    assert outcome, "reading the keyring file hung on a FIFO"
    assert isinstance(outcome[0], KeyringError) and "FIFO" in str(outcome[0]).upper()
