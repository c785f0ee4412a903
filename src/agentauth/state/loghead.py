"""The signed head of the audit log: how many records it has and the hash of the last one.

Why apart from the log: a chain alone shows that records were not changed in the
middle, but not that the last ones were not cut off, nor that the whole file was
not rewritten with a fresh, consistent chain. The head, signed with agentauth's
Ed25519 key and bound to the project's path, answers both: ``log --verify``
compares it with the log. It is rewritten atomically after every append, under
the log's lock (see :func:`agentauth.state.auditlog.append`).
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from pathlib import Path

from agentauth.errors import StateError
from agentauth.state import paths, signing

HEAD_FILE = "audit.head"
_DOMAIN = b"agentauth-log-head/v1"
_SIZE = 1024


@dataclass(frozen=True)
class Head:
    """A signed statement "this project's log has ``count`` records, the last hashing to ..."."""

    count: int
    last_hash: str
    project: str
    key: str
    """The signer's Ed25519 public key, hex."""
    signature: bytes


def head_path(project_root: Path) -> Path:
    """Return where the project's log head lives (beside the log, never inside it)."""
    return paths.project_dir(project_root) / HEAD_FILE


def signed_bytes(project: str, count: int, last_hash: str) -> bytes:
    """Return the exact bytes the head signature covers (domain-separated)."""
    return b"\n".join((_DOMAIN, project.encode("utf-8"), str(count).encode(), last_hash.encode()))


def write(project_root: Path, *, count: int, last_hash: str) -> None:
    """Sign and store the head; the caller holds the log's lock."""
    project = str(project_root.resolve())
    signature = signing.sign(signed_bytes(project, count, last_hash))
    payload = {
        "version": 1,
        "project": project,
        "count": count,
        "hash": last_hash,
        "key": signing.public_key_hex(),
        "sig": base64.b64encode(signature).decode("ascii"),
    }
    # NOTE: one fixed-size pwrite in place, not temp file + rename: rename costs ~0.7 ms
    # here and the broker appends one event per request. A reader never sees a short
    # record (same size every time); a crash in the middle of the write can leave a
    # torn head, which `log --verify` reports as damaged rather than passing.
    record = json.dumps(payload).encode("ascii").ljust(_SIZE - 1) + b"\n"
    fd = os.open(head_path(project_root), os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        os.pwrite(fd, record, 0)
        if os.fstat(fd).st_size > _SIZE:
            os.ftruncate(fd, _SIZE)
    finally:
        os.close(fd)


def read(project_root: Path) -> Head | None:
    """Return the stored head, None when there is none; raise StateError when it is damaged."""
    path = head_path(project_root)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Head(
            count=int(data["count"]),
            last_hash=str(data["hash"]),
            project=str(data["project"]),
            key=str(data["key"]),
            signature=base64.b64decode(str(data["sig"]), validate=True),
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StateError(f"the log head {path} is damaged ({type(exc).__name__})") from None


def signature_ok(head: Head, trusted_key: str | None) -> bool:
    """Return True when the head's signature verifies with ``trusted_key`` (hex).

    The key written in the head is only a hint: trusting it would let anyone who
    rewrites the log sign a new head with a key of their own.
    """
    if trusted_key is None or head.key.lower() != trusted_key.lower():
        return False
    data = signed_bytes(head.project, head.count, head.last_hash)
    return signing.verify(data, head.signature, trusted_key)
