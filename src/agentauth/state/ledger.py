"""The per-project ledger of grants: what was issued, to whom, until when; never a secret.

One JSON file under ``paths.project_dir(project_root)``, rewritten atomically
(:func:`agentauth.fsutil.write_atomic`) under an exclusive ``fcntl`` lock, so two agentauth
processes cannot lose each other's grants. A grant is written here (status
``pending``) before anything is created, which is what lets ``revoke`` clean up
after any failure.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from agentauth import fsutil, project
from agentauth.errors import StateError
from agentauth.model import Grant, GrantId, GrantStatus
from agentauth.state import paths

LEDGER_FILE = project.LEDGER_FILE
BACKUP_FILE = project.LEDGER_BACKUP_FILE
"""The previous version of the ledger, kept on every write."""
RESTORE_HINT = (
    f"The previous version is kept beside it as {BACKUP_FILE}: compare the two "
    "and copy the backup over the ledger if it is intact"
)
MAX_LEDGER_BYTES = project.MAX_LEDGER_BYTES
_LOCK_FILE = project.LEDGER_LOCK_FILE
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


_NAME_OBJECTS = frozenset(
    {"user", "role", "role_name", "user_name", "host", "role_arn", "admin", "server", "store",
     "mode", "address", "session_policy"}
)  # fmt: skip
"""Object keys that name one thing a revoke removes: a list or a mapping there is tampering."""
_LIST_OBJECTS = frozenset({"databases", "policies", "env_outputs"})
"""Object keys that hold a list of names."""


def _timestamp(value: object, field_name: str) -> datetime:
    stamp = datetime.fromisoformat(str(value))
    if stamp.tzinfo is None:
        raise ValueError(f"{field_name} {value!r} has no time zone")
    return stamp


def _check_objects(objects: object) -> dict[str, Any]:
    """Refuse object records that would make a revoke aim at the wrong thing (and succeed)."""
    if objects is None:
        return {}
    if not isinstance(objects, dict):
        raise TypeError(f"objects is a {type(objects).__name__}, expected a mapping")
    for key, value in objects.items():
        if key in _NAME_OBJECTS and value is not None and not isinstance(value, str | int):
            raise TypeError(f"objects.{key} is a {type(value).__name__}, expected a name")
        if key in _LIST_OBJECTS and not (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        ):
            raise TypeError(f"objects.{key} must be a list of names")
    return dict(objects)


def grant_from_dict(data: dict[str, Any]) -> Grant:
    """Rebuild a grant from its ledger form; raise StateError on a damaged record.

    Validated, not just converted: a timestamp without a time zone, or ``objects.user``
    turned into a list, would otherwise let ``revoke`` aim at nothing and report success.
    """
    try:
        if not isinstance(data, dict):
            raise TypeError(f"the record is a {type(data).__name__}, expected a mapping")
        expires = data.get("expires")
        status = data["status"]
        if not isinstance(status, str):
            raise TypeError("status must be a string")
        return Grant(
            id=GrantId(str(data["id"])),
            agent=str(data["agent"]),
            provider=str(data["provider"]),
            variable=str(data["variable"]),
            created=_timestamp(data["created"], "created"),
            expires=_timestamp(expires, "expires") if expires else None,
            status=GrantStatus(status),
            scope=str(data.get("scope", "")),
            objects=_check_objects(data.get("objects")),
            long_lived=bool(data.get("long_lived", False)),
            revocable=bool(data.get("revocable", True)),
            policy_digest=str(data.get("policy_digest", "")),
            error=_optional_str(data.get("error")),
            mints_per_run=bool(data.get("mints_per_run", False)),
            expiry_variable=_optional_str(data.get("expiry_variable")),
            parent=GrantId(str(data["parent"])) if data.get("parent") else None,
        )
    except (KeyError, ValueError, TypeError) as exc:
        ident = data.get("id", "?") if isinstance(data, dict) else "?"
        raise StateError(
            f"ledger record {ident} is damaged ({type(exc).__name__}: {exc}); nothing was "
            f"revoked or changed. {RESTORE_HINT}"
        ) from None


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)


class Ledger:
    """The grants of one project. Every method re-reads the file: no cached state."""

    def __init__(self, project_root: Path, directory: Path | None = None) -> None:
        """Bind to the project's state directory (created on first write).

        ``directory`` names the state directory outright (``status --all-projects``
        reads every project's ledger, including those whose root has gone).
        """
        self.project_root = project_root
        self.directory = directory if directory is not None else paths.project_dir(project_root)
        self.path = self.directory / LEDGER_FILE

    # ------------------------------------------------------------------ reading

    def _read_text(self) -> str | None:
        try:
            return fsutil.read_text(self.path, max_bytes=MAX_LEDGER_BYTES, error=StateError,
                                    what="ledger")  # fmt: skip
        except FileNotFoundError:
            return None

    def _parse(self, text: str | None) -> list[Grant]:
        if text is None:
            return []
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise StateError(
                f"the ledger {self.path} is not valid JSON (line {exc.lineno}). {RESTORE_HINT}"
            ) from None
        except RecursionError:
            message = f"the ledger {self.path} is nested too deeply. {RESTORE_HINT}"
            raise StateError(message) from None
        if not isinstance(data, dict) or not isinstance(data.get("grants"), list):
            raise StateError(f"the ledger {self.path} has an unknown layout. {RESTORE_HINT}")
        return [grant_from_dict(item) for item in data["grants"]]

    def _read(self) -> list[Grant]:
        return self._parse(self._read_text())

    def grants(self) -> list[Grant]:
        """Return every grant, oldest first, including revoked ones."""
        return self._read()

    def get(self, grant_id: str) -> Grant | None:
        """Return the grant with ``grant_id`` or None."""
        return next((g for g in self._read() if g.id == grant_id), None)

    # ------------------------------------------------------------------ writing

    def _locked(self) -> contextlib.AbstractContextManager[None]:
        return _flock(self.directory, _LOCK_FILE)

    def _write(self, grants: list[Grant], previous: str | None) -> None:
        try:
            ident = paths.remember(self.project_root, self.directory)
        except OSError as exc:
            raise StateError(f"cannot write to {self.directory}: {exc.strerror}") from None
        payload = {
            "version": _VERSION,
            "project_id": ident,
            "project": str(self.project_root.resolve()),
            "grants": [grant_to_dict(g) for g in grants],
        }
        text = json.dumps(payload, indent=2, sort_keys=False) + "\n"
        try:
            if previous is not None:
                # NOTE: only a version that parsed is kept, so a damaged ledger never
                # replaces the last good backup.
                fsutil.write_atomic(self.directory / BACKUP_FILE, previous)
            fsutil.write_atomic(self.path, text, mode=fsutil.SECRET_MODE)
        except OSError as exc:
            raise StateError(f"cannot write the ledger {self.path}: {exc.strerror}") from None

    def update(self, change: Callable[[list[Grant]], list[Grant]]) -> None:
        """Apply ``change`` to the grant list under the lock and write the result atomically."""
        with self._locked():
            previous = self._read_text()
            self._write(change(self._parse(previous)), previous)

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


@contextlib.contextmanager
def project_lock(project_root: Path) -> Iterator[None]:
    """Hold the project's lock: ``provision`` takes it across plan, apply and rotate.

    Why: two ``provision`` runs in parallel each planned against the same ledger and
    then revoked each other's fresh grants as "replaced". Under this lock the second
    run plans after the first has finished, and keeps what it made.
    """
    with _flock(paths.project_dir(project_root), project.PROJECT_LOCK_FILE):
        yield


@contextlib.contextmanager
def _flock(directory: Path, name: str) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``directory/name`` (0600, created with its 0700 folder)."""
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(directory / name, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise StateError(
            f"cannot open the state directory {directory}: {exc.strerror}; "
            "check its permissions or set AGENTAUTH_HOME"
        ) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


class ProjectGrants(NamedTuple):
    """The grants of one project, for ``status --all-projects``; ``error`` if unreadable."""

    project: paths.ProjectRecord
    grants: list[Grant]
    error: str | None = None


def every_project() -> list[ProjectGrants]:
    """Return the grants of every project agentauth has state for (like ``vault list sys/leases``).

    A damaged ledger is reported for its project, never hiding the others.
    """
    found: list[ProjectGrants] = []
    for record in paths.projects():
        ledger = Ledger(record.root, record.directory)
        try:
            found.append(ProjectGrants(record, ledger.grants()))
        except StateError as exc:
            found.append(ProjectGrants(record, [], str(exc)))
    return found
