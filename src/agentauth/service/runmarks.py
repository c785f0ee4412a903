"""A mark per live ``agentauth run``: a supervisor killed by ``kill -9`` still has its end logged.

The supervisor writes ``runs/<pid>.json`` (agent, command, grants, start time; never a
value) before the child starts and removes it after logging ``run-end``. A mark whose
process is gone was left by a supervisor that could not clean up (SIGKILL, a crash,
power loss); the next ``run`` of the project logs ``run-end`` for it with
``abandoned: true`` and removes it. The child itself did not outlive that supervisor:
it was started with ``PR_SET_PDEATHSIG`` (:mod:`agentauth.service.supervisor`).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path

_DIR = "runs"


def open_mark(state: Path, agent: str, fields: Mapping[str, object]) -> Path | None:
    """Write this process's mark; a failure only costs the kill -9 bookkeeping."""
    directory = state / _DIR
    path = directory / f"{os.getpid()}.json"
    record = {"pid": os.getpid(), "agent": agent, "started": time.time(), **fields}
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(record, handle)
    except OSError:
        return None
    return path


def close_mark(path: Path | None) -> None:
    """Remove this process's mark (the run's end is logged)."""
    if path is None:
        return
    try:  # noqa: SIM105 - contextlib costs start-up time
        os.unlink(path)
    except OSError:
        pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def close_abandoned(state: Path, root: Path, audit: Callable[..., None]) -> list[int]:
    """Log ``run-end`` for every mark whose supervisor is gone; return their pids."""
    directory = state / _DIR
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    closed: list[int] = []
    for name in names:
        stem = name[:-5] if name.endswith(".json") else ""
        if not stem.isdigit() or int(stem) == os.getpid() or _alive(int(stem)):
            continue
        path = directory / name
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            record = {}
        if not isinstance(record, dict):
            record = {}
        fields = {k: v for k, v in record.items() if k in ("command", "grants", "human")}
        started = record.get("started")
        audit(root, "run-end", str(record.get("agent", "?")), **fields, exit_code=None,
              abandoned=True, pid=int(stem),
              started=started if isinstance(started, int | float) else None)  # fmt: skip
        close_mark(path)
        closed.append(int(stem))
    return closed
