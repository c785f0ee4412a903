"""A keyring backend for tests: a JSON file named by AGENTAUTH_TEST_KEYRING_FILE.

A file rather than memory because `lock`, `run --human` and `guard` are tested
through separate processes that must see the same entries. Never used outside tests.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class FileKeyring(KeyringBackend):
    """Stores {service: {name: value}} in one JSON file (test only)."""

    priority = 1  # type: ignore[assignment]

    def _path(self) -> Path:
        return Path(os.environ["AGENTAUTH_TEST_KEYRING_FILE"])

    def _load(self) -> dict[str, dict[str, str]]:
        try:
            return json.loads(self._path().read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}

    def _save(self, data: dict[str, dict[str, str]]) -> None:
        self._path().write_text(json.dumps(data), encoding="utf-8")

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(service, {}).get(username)

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data.setdefault(service, {})[username] = password
        self._save(data)

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        if username not in data.get(service, {}):
            raise PasswordDeleteError(username)
        del data[service][username]
        self._save(data)


def keyring_entries(path: Path) -> dict[str, str]:
    """Return the entries of the test keyring file (service agentauth)."""
    if not path.exists():
        return {}
    data: dict[str, dict[str, str]] = json.loads(path.read_text(encoding="utf-8"))
    return data.get("agentauth", {})
