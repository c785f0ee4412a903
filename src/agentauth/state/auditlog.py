"""The append-only audit log: one JSON line per provision, mint, revoke, run, pass, drop, lock.

Each line carries a UTC timestamp, the event name and the agent it concerns, plus
non-secret fields. A :class:`~agentauth.model.Secret` passed by mistake is written
as ``***``; the log must stay safe to attach to a bug report.
"""

from __future__ import annotations

import fcntl
import json
import os
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path

from agentauth.errors import StateError
from agentauth.secret import Secret
from agentauth.state import paths

LOG_FILE = "audit.log"
EVENTS = frozenset(
    {"provision", "mint", "revoke", "run-start", "run-end", "pass", "drop", "lock", "rotate"}
)


def log_path(project_root: Path) -> Path:
    """Return where the project's audit log lives."""
    return paths.project_dir(project_root) / LOG_FILE


def _plain(value: object) -> object:
    """Make a field JSON-safe without ever revealing a Secret."""
    if isinstance(value, Secret):
        return "***"
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def append(project_root: Path, event: str, *, agent: str, **fields: object) -> None:
    """Append one event; raise ValueError for an unknown event name (a bug, not user input)."""
    if event not in EVENTS:
        raise ValueError(f"unknown audit event {event!r}")
    record: dict[str, object] = {
        "ts": datetime.now(UTC).isoformat(timespec="seconds"),
        "event": event,
        "agent": agent,
    }
    for key, value in fields.items():
        record[key] = _plain(value)
    line = json.dumps(record, sort_keys=False) + "\n"
    path = log_path(project_root)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    except OSError as exc:
        raise StateError(f"cannot open the audit log {path}: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, line.encode("utf-8"))
    except OSError as exc:
        raise StateError(f"cannot append to the audit log {path}: {exc.strerror}") from None
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def read(project_root: Path) -> list[dict[str, object]]:
    """Return every event, oldest first; lines that do not parse are skipped, not fatal."""
    path = log_path(project_root)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise StateError(f"cannot read the audit log {path}: {exc.strerror}") from None
    events: list[dict[str, object]] = []
    for raw in text.splitlines():
        if not raw.strip():
            continue
        try:
            item = json.loads(raw)
        except json.JSONDecodeError:
            continue
        if isinstance(item, dict):
            events.append(item)
    return events
