"""The append-only, hash-chained audit log: one JSON line per provision, mint, revoke, run...

Each line carries a UTC timestamp, the event name and the agent it concerns, plus
non-secret fields. A :class:`~agentauth.model.Secret` passed by mistake is written
as ``***``; the log must stay safe to attach to a bug report.

Why a chain: a plain JSON-lines file that the same user can edit is not evidence.
Every record ends with ``seq`` (its 1-based line number) and ``prev`` (the SHA-256
of the exact bytes of the line before it; for the first chained record, of every
byte before it, which seals a log written by an older, unchained agentauth). After
each append (or batch, :func:`append_many`) the head (count and hash of the last
line) is signed with agentauth's Ed25519 key (:mod:`agentauth.state.signing`) and
written to a file of its own
(:mod:`agentauth.state.loghead`), so ``agentauth log --verify``
(:mod:`agentauth.state.logverify`) detects an edited, removed, reordered or
inserted record and a cut-off tail. Appends are serialised with ``flock`` on the
log itself, so the chain and the head move together.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path

from agentauth.errors import StateError
from agentauth.secret import Secret
from agentauth.state import paths

LOG_FILE = "audit.log"
EVENTS = frozenset(
    {
        "provision",
        "mint",
        "revoke",
        "run-start",
        "run-end",
        "pass",
        "drop",
        "lock",
        "rotate",
        "delegate",
        "attest",
        "request",  # one per request through the broker (agentauth.broker.events)
    }
)
CHAIN_FIELDS = ("seq", "prev")
"""Fields the chain adds to every record (``log`` hides them)."""
_TAIL_CHUNK = 8192


def log_path(project_root: Path) -> Path:
    """Return where the project's audit log lives."""
    return paths.project_dir(project_root) / LOG_FILE


def line_hash(line: bytes) -> str:
    """Return the chain hash of one record: SHA-256 of its exact bytes, without the newline."""
    return hashlib.sha256(line).hexdigest()


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


def _last_line(fd: int) -> tuple[bytes, int]:
    """Return the last non-empty line of the open log and its size in bytes."""
    size = os.fstat(fd).st_size
    if size == 0:
        return b"", 0
    tail = b""
    position = size
    while position > 0:
        step = min(_TAIL_CHUNK, position)
        position -= step
        tail = os.pread(fd, step, position) + tail
        stripped = tail.rstrip(b"\n")
        if b"\n" in stripped:
            return stripped.rsplit(b"\n", 1)[1], size
    return tail.rstrip(b"\n"), size


def _next_link(fd: int) -> tuple[int, str]:
    """Return (seq, prev) for the record about to be appended to the open log."""
    last, size = _last_line(fd)
    if not last:
        return 1, line_hash(b"")
    try:
        item = json.loads(last)
    except ValueError:
        item = None
    seq = item.get("seq") if isinstance(item, dict) else None
    if isinstance(item, dict) and "prev" in item and isinstance(seq, int):
        return seq + 1, line_hash(last)
    # NOTE: the log predates the chain (or its tail is damaged): the first chained
    # record seals everything before it with one hash, and counts its lines.
    everything = os.pread(fd, size, 0)
    lines = [raw for raw in everything.split(b"\n") if raw.strip()]
    return len(lines) + 1, line_hash(everything)


def _record(event: str, agent: str, fields: Mapping[str, object]) -> dict[str, object]:
    """Build one record (no chain fields yet); ValueError for an unknown event name."""
    if event not in EVENTS:
        raise ValueError(f"unknown audit event {event!r}")
    record: dict[str, object] = {
        "ts": datetime.now(UTC).isoformat(timespec="seconds"),
        "event": event,
        "agent": agent,
    }
    for key, value in fields.items():
        if key not in CHAIN_FIELDS:
            record[key] = _plain(value)
    return record


def append(project_root: Path, event: str, *, agent: str, **fields: object) -> None:
    """Append one event; raise ValueError for an unknown event name (a bug, not user input)."""
    _write(project_root, [_record(event, agent, fields)])


def append_many(
    project_root: Path, events: Sequence[tuple[str, str, Mapping[str, object]]]
) -> None:
    """Append ``(event, agent, fields)`` records in order, under one lock, signing the head once.

    The broker's audit writer drains its queue into this: one signature per batch
    instead of one per request keeps up with a burst without a backlog.
    """
    records = [_record(event, agent, fields) for event, agent, fields in events]
    if records:
        _write(project_root, records)


def _write(project_root: Path, records: list[dict[str, object]]) -> None:
    """Chain ``records`` onto the log and sign the new head, all under the log's lock."""
    path = log_path(project_root)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    except OSError as exc:
        raise StateError(f"cannot open the audit log {path}: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        seq, prev = _next_link(fd)
        lines = []
        for record in records:
            record["seq"] = seq
            record["prev"] = prev
            line = json.dumps(record, sort_keys=False).encode("utf-8")
            lines.append(line)
            seq, prev = seq + 1, line_hash(line)
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            os.write(fd, b"\n")
        os.write(fd, b"".join(line + b"\n" for line in lines))
        from agentauth.state import loghead

        loghead.write(project_root, count=seq - 1, last_hash=prev)
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
