"""Ask git which files are tracked or staged, and read staged content from the index.

``check`` gates what is committed, so it reads git's view rather than the disk:
``git ls-files`` for tracked files and, for ``--staged``, the blobs in the index
(``git cat-file --batch``), which may differ from the working tree.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from agentauth.errors import ConfigError


def _git(root: Path, *args: str, stdin: bytes | None = None) -> bytes:
    """Run git in ``root``; translate a missing git or a non-repository into ConfigError."""
    try:
        proc = subprocess.run(
            ["git", *args], cwd=root, input=stdin, capture_output=True, check=False
        )
    except FileNotFoundError:
        raise ConfigError("git is not installed; install git or scan without --staged") from None
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        first = message[0] if message else f"git {args[0]} failed"
        if "not a git repository" in first.lower():
            raise ConfigError(
                f"{root} is not inside a git work tree; run `git init` or use `agentauth audit`"
            )
        raise ConfigError(f"git {args[0]} failed in {root}: {first}")
    return proc.stdout


def returncode(root: Path, *args: str, timeout: float = 20) -> int | None:
    """Run ``git ARGS`` in ``root`` for its exit code alone; None without git (never raises)."""
    try:
        proc = subprocess.run(["git", *args], cwd=root, capture_output=True, timeout=timeout,
                              check=False)  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.returncode


def prefix(root: Path) -> str | None:
    """Return ``root``'s path inside its git work tree ("" at the top), or None outside git."""
    try:
        proc = subprocess.run(["git", "rev-parse", "--show-prefix"], cwd=root,
                              capture_output=True, text=True, timeout=10, check=False)  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def _split_z(data: bytes) -> list[str]:
    return [os.fsdecode(p) for p in data.split(b"\0") if p]


def require_work_tree(root: Path) -> None:
    """Raise ConfigError unless ``root`` is inside a git work tree."""
    _git(root, "rev-parse", "--is-inside-work-tree")


def tracked(root: Path) -> list[str]:
    """Return the paths git tracks under ``root``, relative to it (POSIX separators)."""
    return _split_z(_git(root, "ls-files", "-z", "--cached"))


def staged(root: Path) -> list[tuple[str, bytes]]:
    """Return (path relative to ``root``, staged content) of each added/changed staged file.

    Symlinks and submodules are left out: they have no text of their own to scan.
    """
    names = set(
        _split_z(
            _git(root, "diff", "--cached", "--name-only", "--relative", "-z", "--diff-filter=ACMR")
        )
    )
    if not names:
        return []
    objects: list[tuple[str, str]] = []
    for record in _git(root, "ls-files", "-s", "-z").split(b"\0"):
        meta, _, raw_path = record.partition(b"\t")
        rel = os.fsdecode(raw_path)
        if not record or rel not in names:
            continue
        mode, oid, _stage = meta.decode().split(" ")
        if mode.startswith("100"):  # regular files; 120000 symlinks, 160000 submodules
            objects.append((rel, oid))
    if not objects:
        return []
    batch = _git(root, "cat-file", "--batch", stdin="".join(f"{o}\n" for _, o in objects).encode())
    found = []
    offset = 0
    for rel, _oid in objects:
        header_end = batch.index(b"\n", offset)
        header = batch[offset:header_end].split(b" ")
        if len(header) != 3:  # "<oid> missing": nothing staged to read
            offset = header_end + 1
            continue
        size = int(header[2])
        found.append((rel, batch[header_end + 1 : header_end + 1 + size]))
        offset = header_end + 1 + size + 1
    return found
