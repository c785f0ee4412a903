"""Parse the built-in catalog's TOML once per catalog version, not once per process.

Why: ``tomllib`` is pure Python and the catalog is hundreds of rules, so parsing it costs
about 50 ms of every ``agentauth check --staged`` (several times that on a loaded machine),
while ``json`` (C) reads the same data in a quarter of the time. The parsed data is kept
as JSON (never pickle or marshal: a cache file must not be able to run code) under the
user's cache folder, keyed by the SHA-256 of the TOML text, so an edited or upgraded
catalog is parsed again. Any problem with the cache (unreadable, corrupt, read-only
folder) falls back to parsing the TOML: the cache can make a start faster, never wrong.
Set ``AGENTAUTH_NO_CACHE=1`` to bypass it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from pathlib import Path
from typing import Any

_KEEP = 3
"""Older versions of a cache file kept (see :func:`prune`)."""


def cache_dir() -> Path | None:
    """Return the folder for cached catalogs (``$XDG_CACHE_HOME/agentauth`` or ``~/.cache``)."""
    if os.environ.get("AGENTAUTH_NO_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME")
    try:
        root = Path(base) if base else Path.home() / ".cache"
    except RuntimeError:  # no home directory to expand
        return None
    return root / "agentauth" / "catalog"


def load_toml(text: str, name: str) -> dict[str, Any]:
    """Return ``tomllib.loads(text)``, from the JSON cache when it holds this exact text.

    Raises ``tomllib.TOMLDecodeError`` exactly as ``tomllib.loads`` does (a bad file is
    never cached, so its error is reported on every run).
    """
    folder = cache_dir()
    if folder is None:
        return tomllib.loads(text)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    path = cache_path(folder, name, digest)
    cached = _read(path, digest)
    if cached is not None:
        return cached
    data = tomllib.loads(text)
    _write(folder, name, digest, data)
    return data


def cache_path(folder: Path, name: str, digest: str) -> Path:
    """The cache file of one version of ``name``.

    The digest is in the name so that checkouts with different catalogs (a branch, an
    upgrade beside an old install) do not overwrite each other's file on every start.
    """
    return folder / f"{name}.{digest[:16]}.json"


def prune(folder: Path, pattern: str, current: Path) -> None:
    """Keep the newest few files matching ``pattern`` beside ``current``; delete the others.

    Why: every edited catalog leaves a file behind; a few are kept for the checkouts
    that alternate (two branches, two installs).
    """
    others = sorted(
        (p for p in folder.glob(pattern) if p != current),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for stale in others[_KEEP:]:
        stale.unlink(missing_ok=True)


def _read(path: Path, digest: str) -> dict[str, Any] | None:
    from agentauth.errors import AgentAuthError
    from agentauth.fsutil import read_text

    try:  # NOTE: the safe reader: a FIFO or device in the cache is a miss, never a hang
        raw = json.loads(read_text(path, what="cache file"))
    except (OSError, ValueError, AgentAuthError):
        return None
    if not isinstance(raw, dict) or raw.get("sha256") != digest:
        return None
    data = raw.get("data")
    return data if isinstance(data, dict) else None


def _write(folder: Path, name: str, digest: str, data: dict[str, Any]) -> None:
    try:
        text = json.dumps({"sha256": digest, "data": data}, ensure_ascii=False)
    except (TypeError, ValueError):  # a TOML date or other non-JSON value: parse every time
        return
    store(cache_path(folder, name, digest), text.encode("utf-8"), f"{name}.*.json")


def store(path: Path, content: bytes, versions: str) -> None:
    """Write ``content`` to ``path`` atomically, then :func:`prune` the other ``versions``.

    A concurrent reader sees the old file or the new one, never half of one; a folder
    that cannot be written is silently left alone (the cache is an optimisation).
    """
    from agentauth.fsutil import write_atomic

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, content, durable=False)  # NOTE: losing a cache only costs speed
        prune(path.parent, versions, path)
    except OSError:
        return
