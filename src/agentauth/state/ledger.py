"""The per-project ledger of grants: what was issued, to whom, until when; never a secret.

One JSON file under ``paths.project_dir(project_root)``, rewritten atomically
(temp file + ``os.replace``) under an exclusive ``fcntl`` lock, so two agentauth
processes cannot lose each other's grants. A grant is written here (status
``pending``) before anything is created, which is what lets ``revoke`` clean up
after any failure.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from agentauth.errors import StateError
from agentauth.model import Grant, GrantId, GrantStatus
from agentauth.state import paths

LEDGER_FILE = "ledger.json"
_LOCK_FILE = "ledger.lock"
_VERSION = 1


def grant_to_dict(grant: Grant) -> dict[str, Any]:
    """Serialise a grant for the ledger file (and ``status --format json``)."""
    return {
        "id": grant.id,
        "agent": grant.agent,
        "provider": grant.provider,
        "variable": grant.variable,
        "created": grant.created.isoformat(),
        "expires": grant.expires.isoformat() if grant.expires else None,
        "status": grant.status.value,
        "scope": grant.scope,
        "objects": dict(grant.objects),
        "long_lived": grant.long_lived,
        "revocable": grant.revocable,
        "policy_digest": grant.policy_digest,
        "error": grant.error,
        "mints_per_run": grant.mints_per_run,
        "expiry_variable": grant.expiry_variable,
        "parent": grant.parent,
    }


def grant_from_dict(data: dict[str, Any]) -> Grant:
    """Rebuild a grant from its ledger form; raise StateError on a damaged record."""
    try:
        expires = data.get("expires")
        return Grant(
            id=GrantId(str(data["id"])),
            agent=str(data["agent"]),
            provider=str(data["provider"]),
            variable=str(data["variable"]),
            created=datetime.fromisoformat(str(data["created"])),
            expires=datetime.fromisoformat(str(expires)) if expires else None,
            status=GrantStatus(data["status"]),
            scope=str(data.get("scope", "")),
            objects=dict(data.get("objects") or {}),
            long_lived=bool(data.get("long_lived", False)),
            revocable=bool(data.get("revocable", True)),
            policy_digest=str(data.get("policy_digest", "")),
            error=data.get("error"),
            mints_per_run=bool(data.get("mints_per_run", False)),
            expiry_variable=_optional_str(data.get("expiry_variable")),
            parent=GrantId(str(data["parent"])) if data.get("parent") else None,
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise StateError(
            f"a ledger record is damaged ({type(exc).__name__}: {exc}); "
            "inspect the ledger file named by `agentauth status --verbose`"
        ) from None


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)


class Ledger:
    """The grants of one project. Every method re-reads the file: no cached state."""

    def __init__(self, project_root: Path) -> None:
        """Bind to the project's state directory (created on first write)."""
        self.project_root = project_root
        self.directory = paths.project_dir(project_root)
        self.path = self.directory / LEDGER_FILE

    # ------------------------------------------------------------------ reading

    def _read(self) -> list[Grant]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise StateError(f"cannot read the ledger {self.path}: {exc.strerror}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise StateError(
                f"the ledger {self.path} is not valid JSON (line {exc.lineno}); "
                "restore it from a backup or move it aside"
            ) from None
        if not isinstance(data, dict) or not isinstance(data.get("grants"), list):
            raise StateError(f"the ledger {self.path} has an unknown layout; move it aside")
        return [grant_from_dict(item) for item in data["grants"]]

    def grants(self) -> list[Grant]:
        """Return every grant, oldest first, including revoked ones."""
        return self._read()

    def get(self, grant_id: str) -> Grant | None:
        """Return the grant with ``grant_id`` or None."""
        return next((g for g in self._read() if g.id == grant_id), None)

    # ------------------------------------------------------------------ writing

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.directory / _LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StateError(
                f"cannot open the state directory {self.directory}: {exc.strerror}; "
                "check its permissions or set AGENTAUTH_HOME"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _write(self, grants: list[Grant]) -> None:
        payload = {
            "version": _VERSION,
            "project": str(self.project_root.resolve()),
            "grants": [grant_to_dict(g) for g in grants],
        }
        text = json.dumps(payload, indent=2, sort_keys=False) + "\n"
        try:
            fd, tmp = tempfile.mkstemp(prefix=".ledger-", dir=self.directory)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(text)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.chmod(tmp, 0o600)
                os.replace(tmp, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as exc:
            raise StateError(f"cannot write the ledger {self.path}: {exc.strerror}") from None

    def update(self, change: Callable[[list[Grant]], list[Grant]]) -> None:
        """Apply ``change`` to the grant list under the lock and write the result atomically."""
        with self._locked():
            self._write(change(self._read()))

    def put(self, grant: Grant) -> None:
        """Insert ``grant``, or replace the grant with the same id, keeping the order."""

        def change(grants: list[Grant]) -> list[Grant]:
            for index, existing in enumerate(grants):
                if existing.id == grant.id:
                    grants[index] = grant
                    return grants
            grants.append(grant)
            return grants

        self.update(change)


def new_grant_id(provider: str) -> GrantId:
    """Return a short, unique, typeable grant id such as ``pg-3f9c2a1b``.

    Providers call this in ``plan``; the id is what users pass to ``agentauth revoke``.
    """
    import secrets

    short = {"postgres": "pg", "mysql": "my", "redis": "rd", "github": "gh", "stripe": "st"}
    return GrantId(f"{short.get(provider, provider[:3])}-{secrets.token_hex(4)}")
