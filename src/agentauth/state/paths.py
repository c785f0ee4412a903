"""Where agentauth keeps its state, and which state directory belongs to which project.

``AGENTAUTH_HOME``, else the XDG state directory, holds ``projects/<slug>-<id>/``
per project. A project's identity is an id recorded in that directory's
``project.json`` (with the project's last known root and a fingerprint), and an
index maps each root to its directory, so the lookup on ``run``'s start-up path is
one small JSON read.

Why an id and not the path: the ledger used to be keyed by the absolute path, so
``mv project project2`` orphaned every grant and the next ``provision`` made
duplicates. Now a root the index does not know is matched against the projects
whose recorded root has gone (no ``agentauth.yaml`` there any more): the same git
history (first commit, and the ``origin`` remote when both have one), or without
git a byte-identical policy file, means the project moved, and it keeps its id.
Two clones are told apart by their paths: while both exist, each has its own id
(a copy made with ``cp -r`` is a new project). Directories from before the ids
(named by a hash of the path) are adopted in place on first use.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any, NamedTuple

from agentauth import fsutil
from agentauth.project import IDENTITY_FILE, POLICY_FILE

INDEX_FILE = "index.json"
_PROJECTS = "projects"


def home() -> Path:
    """Return the state directory (not created here)."""
    explicit = os.environ.get("AGENTAUTH_HOME")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_STATE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "state"
    return base / "agentauth"


class ProjectRecord(NamedTuple):
    """One project agentauth has state for."""

    id: str
    root: Path
    """The last root it was seen at (it may since have moved or gone)."""
    directory: Path


def _slug(resolved: Path) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", resolved.name).strip("-") or "root"


def _legacy_dir(resolved: Path) -> Path:
    digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:12]
    return home() / _PROJECTS / f"{_slug(resolved)}-{digest}"


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(fsutil.read_bytes(path, max_bytes=16 * 1024 * 1024))
    except (OSError, ValueError, RecursionError, Exception):
        return {}
    return data if isinstance(data, dict) else {}


def project_dir(project_root: Path) -> Path:
    """Return the state directory of the project at ``project_root`` (not created here).

    Fast path: the index names it. Otherwise the project is adopted (a legacy
    path-keyed directory), recognised as moved (see the module docstring), or new;
    the identity is recorded when the directory is first written (:func:`remember`).
    """
    resolved = project_root.resolve()
    index = _read_json(home() / _PROJECTS / INDEX_FILE)
    name = index.get(str(resolved))
    if isinstance(name, str) and name and "/" not in name:
        return home() / _PROJECTS / name
    legacy = _legacy_dir(resolved)
    if legacy.is_dir():
        _adopt(project_root, legacy)
        return legacy
    moved, searched = _find_moved(resolved)
    if moved is not None:
        _adopt(project_root, moved)
        return moved
    if searched:
        # NOTE: remember the answer, so `run` does not ask git again on every start.
        with contextlib.suppress(OSError):
            _index(resolved, legacy.name)
    return legacy


def _index(resolved: Path, name: str) -> None:
    index_path = home() / _PROJECTS / INDEX_FILE
    index = _read_json(index_path)
    index[str(resolved)] = name
    _index_write(index_path, index)


def _index_write(index_path: Path, index: dict[str, Any]) -> None:
    index_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fsutil.write_atomic(index_path, json.dumps(index, indent=2, sort_keys=True) + "\n")


def _adopt(project_root: Path, directory: Path) -> None:
    """Index a directory found the slow way, so the next lookup is the fast one."""
    # NOTE: read-only state: found again the slow way next time.
    with contextlib.suppress(OSError):
        remember(project_root, directory)


def remember(project_root: Path, directory: Path) -> str:
    """Record the identity of the project in ``directory`` and index its root; return the id.

    Called whenever agentauth writes a project's state (ledger, audit log), so the
    fingerprint is refreshed while the project is where it is.
    """
    resolved = project_root.resolve()
    identity_path = directory / IDENTITY_FILE
    identity = _read_json(identity_path)
    ident = identity.get("id")
    if not isinstance(ident, str) or not ident:
        ident = os.urandom(8).hex()
    record = {"id": ident, "root": str(resolved), "fingerprint": fingerprint(resolved)}
    if record != identity:
        fsutil.write_atomic(identity_path, json.dumps(record, indent=2) + "\n")
    index_path = home() / _PROJECTS / INDEX_FILE
    index = _read_json(index_path)
    stale = [k for k, v in index.items() if v == directory.name and k != str(resolved)]
    if index.get(str(resolved)) != directory.name or stale:
        for key in stale:
            del index[key]
        _index_write(index_path, {**index, str(resolved): directory.name})
    return ident


def project_id(project_root: Path) -> str | None:
    """Return the recorded id of the project at ``project_root``, or None before its first write."""
    ident = _read_json(project_dir(project_root) / IDENTITY_FILE).get("id")
    return ident if isinstance(ident, str) else None


def projects() -> list[ProjectRecord]:
    """Return every project with a state directory (``status --all-projects``)."""
    base = home() / _PROJECTS
    try:
        names = sorted(p.name for p in base.iterdir() if p.is_dir())
    except OSError:
        return []
    found: list[ProjectRecord] = []
    for name in names:
        directory = base / name
        identity = _read_json(directory / IDENTITY_FILE)
        root = identity.get("root")
        if not isinstance(root, str):
            root = _read_json(directory / "ledger.json").get("project")
        found.append(
            ProjectRecord(str(identity.get("id") or name), Path(str(root or "?")), directory)
        )
    return found


def fingerprint(resolved: Path) -> dict[str, str]:
    """Return what identifies a project's content independently of its path.

    The first commit of its git history and its ``origin`` remote when there is a
    repository; the hash of its policy file in any case.
    """
    from agentauth import gitcmd  # NOTE: lazy: `run`'s start-up never asks git

    result: dict[str, str] = {}
    first = gitcmd.answer(resolved, "rev-list", "--max-parents=0", "HEAD") or ""
    if first:
        result["git_first_commit"] = sorted(first.split())[0]
    remote = gitcmd.answer(resolved, "config", "--get", "remote.origin.url") or ""
    if remote:
        result["git_remote"] = remote
    with contextlib.suppress(Exception):  # no readable policy, no policy fingerprint
        policy = fsutil.read_bytes(resolved / POLICY_FILE, max_bytes=1024 * 1024)
        result["policy_sha256"] = hashlib.sha256(policy).hexdigest()
    return result


def same_project(old: dict[str, Any], new: dict[str, str]) -> bool:
    """True when two fingerprints are of the same project (git history first, then policy)."""
    if old.get("git_first_commit") and new.get("git_first_commit"):
        if old["git_first_commit"] != new["git_first_commit"]:
            return False
        if old.get("git_remote") and new.get("git_remote"):
            return bool(old["git_remote"] == new["git_remote"])
        return True
    return bool(old.get("policy_sha256")) and old.get("policy_sha256") == new.get("policy_sha256")


def _find_moved(resolved: Path) -> tuple[Path | None, bool]:
    """Return (the state directory of the project that moved here, whether git was asked)."""
    if not (resolved / POLICY_FILE).is_file():
        return None, False
    current: dict[str, str] | None = None
    candidates: list[Path] = []
    for record in projects():
        if record.root == resolved or (record.root / POLICY_FILE).is_file():
            continue  # still where it was: another clone, not this project moved
        identity = _read_json(record.directory / IDENTITY_FILE)
        old = identity.get("fingerprint")
        if not isinstance(old, dict):
            continue
        if current is None:
            current = fingerprint(resolved)
        if same_project(old, current):
            candidates.append(record.directory)
    return (candidates[0] if len(candidates) == 1 else None), current is not None
