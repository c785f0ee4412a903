"""agentauth's own keyring backend for machines without one: a 0600 JSON file, no prompt.

Why: CI runners, containers and SSH sessions have no unlocked Secret Service, and every
keyring that needs one either fails or asks for a password on a terminal that is not
there. ``keyrings.alt``'s plaintext backend would work but writes next to other tools'
secrets with the process umask; this one writes ``secrets.json`` under
``AGENTAUTH_HOME`` (``~/.local/state/agentauth``), the folder 0700 and the file 0600
from its first byte, atomically, under a lock (parallel ``run`` s keep tokens at once).

Chosen only explicitly (keyring's own switch, never picked by itself)::

    export PYTHON_KEYRING_BACKEND=agentauth.state.filestore.FileKeyring

Honest limit: the values are not encrypted. The file protects them from other users
and from everything that reads the project (the agent's tools, git, a backup of the
repository), not from the same Unix user; ``agentauth guard`` denies Claude Code reads of
``~/.local/state/agentauth``. A desktop keyring raises the bar further.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import KeyringError, PasswordDeleteError

FILE_NAME = "secrets.json"


def store_path() -> Path:
    """Where the values live: ``$AGENTAUTH_HOME/secrets.json``."""
    from agentauth.state import paths

    return paths.home() / FILE_NAME


class FileKeyring(KeyringBackend):
    """``{service: {name: value}}`` in one 0600 file; every call reads and writes it whole."""

    priority = 0.1  # only ever chosen by name (PYTHON_KEYRING_BACKEND)

    @contextmanager
    def _locked(self) -> Iterator[Path]:
        path = store_path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise KeyringError(f"cannot open {path}: {exc.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield path
        finally:
            os.close(fd)

    def _load(self, path: Path) -> dict[str, dict[str, str]]:
        from agentauth.errors import StateError
        from agentauth.fsutil import read_text

        try:
            # NOTE: the safe reader: a FIFO or /dev/zero put in its place is refused, not read.
            data = json.loads(read_text(path, error=StateError, what="keyring file"))
        except FileNotFoundError:
            return {}
        except StateError as exc:
            raise KeyringError(str(exc)) from None
        except (OSError, ValueError) as exc:
            raise KeyringError(f"{path} is unreadable or damaged ({type(exc).__name__})") from None
        if not isinstance(data, dict):
            raise KeyringError(f"{path} is damaged: not a JSON object")
        return data

    def _save(self, path: Path, data: dict[str, dict[str, str]]) -> None:
        from agentauth.fsutil import write_atomic

        try:
            write_atomic(path, json.dumps(data, indent=1, sort_keys=True), mode=0o600)
        except OSError as exc:
            raise KeyringError(f"cannot write {path}: {exc.strerror}") from None

    def get_password(self, service: str, username: str) -> str | None:
        """Return the value stored under (service, username), or None."""
        with self._locked() as path:
            return self._load(path).get(service, {}).get(username)

    def set_password(self, service: str, username: str, password: str) -> None:
        """Store ``password`` under (service, username)."""
        with self._locked() as path:
            data = self._load(path)
            data.setdefault(service, {})[username] = password
            self._save(path, data)

    def delete_password(self, service: str, username: str) -> None:
        """Delete the value; PasswordDeleteError when there is none (keyring's contract)."""
        with self._locked() as path:
            data = self._load(path)
            if username not in data.get(service, {}):
                raise PasswordDeleteError(username)
            del data[service][username]
            self._save(path, data)
