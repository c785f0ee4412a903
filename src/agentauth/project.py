"""What a project is: its root, its policy file and defaults, the names of its state files.

One rule for every command (init, provision, status, revoke, log, run, lock, unlock,
guard, doctor): the project is the nearest directory, from the current one up to the
home directory, that holds ``agentauth.yaml``; ``-C DIR`` names it outright. Before
this rule existed, ``status`` from a sub-folder said "No grants" while ``doctor``
found the project at the root.

Import-light on purpose (``os``, ``json`` and :mod:`agentauth.fsutil` only): ``run``
imports it on its start-up path. Which state directory belongs to a project (its
identity, which survives ``mv``) is :mod:`agentauth.state.paths`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from agentauth import fsutil
from agentauth.errors import StateError

POLICY_FILE = "agentauth.yaml"
"""The policy file's name in the project root (``--policy FILE`` names another)."""
DEFAULT_AGENT = "agent"
DEFAULT_SOURCE = ".env"
DEFAULT_OUTPUT = ".env.ai"

LEDGER_FILE = "ledger.json"
LEDGER_BACKUP_FILE = "ledger.json.bak"
LEDGER_LOCK_FILE = "ledger.lock"
PROJECT_LOCK_FILE = "project.lock"
"""Held by ``provision`` across plan, apply and rotate, so parallel runs serialise."""
AUDIT_LOG_FILE = "audit.log"
RUN_CACHE_FILE = "run-cache.json"
IDENTITY_FILE = "project.json"
"""In each project's state directory: its id, last known root and fingerprint."""
MAX_LEDGER_BYTES = 64 * 1024 * 1024


def find_root(start: Path, explicit: Path | None = None) -> Path:
    """Return the project root: ``explicit`` (``-C``) if given, else the nearest policy's folder.

    Walks from ``start`` up to the home directory (agents and developers are often
    in a sub-folder); with no ``agentauth.yaml`` on the way, ``start`` is the project.
    """
    if explicit is not None:
        return explicit
    home = Path(os.environ.get("HOME", "/")).resolve()
    current = start
    while True:
        if (current / POLICY_FILE).is_file():
            return current
        if current == home or current.parent == current:
            return start
        current = current.parent


def cwd_root(explicit: Path | None = None) -> Path:
    """Return :func:`find_root` from the current directory (what every command calls)."""
    return find_root(Path(os.getcwd()), explicit)


def read_ledger_records(state_dir: Path) -> list[dict[str, Any]]:
    """Return the raw grant records of a ledger file, without the model (``run``'s reader).

    A missing ledger is empty; a damaged one raises StateError, which ``run`` may
    ignore (``status`` reports it) but never hangs on: the safe reader refuses FIFOs.
    """
    try:
        text = fsutil.read_text(
            state_dir / LEDGER_FILE, max_bytes=MAX_LEDGER_BYTES, error=StateError, what="ledger"
        )
    except FileNotFoundError:
        return []
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise StateError(f"the ledger in {state_dir} is not valid JSON") from None
    raw = data.get("grants", []) if isinstance(data, dict) else []
    return [item for item in raw if isinstance(item, dict)] if isinstance(raw, list) else []
