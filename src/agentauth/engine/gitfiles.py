"""Ask git which files are tracked or staged, and read staged content from the index.

``check`` gates what is committed, so it reads git's view rather than the disk:
``git ls-files`` for tracked files and, for ``--staged``, the blobs in the index
(``git cat-file --batch``), which may differ from the working tree.
"""

from __future__ import annotations

import os
from pathlib import Path

from agentauth import gitcmd
from agentauth.errors import ConfigError


def _git(root: Path, *args: str, stdin: bytes | None = None) -> bytes:
    """Read from git in ``root``; a missing git or a non-repository: ConfigError with a remedy."""
    try:
        return gitcmd.read(root, *args, stdin=stdin)
    except gitcmd.GitError as exc:
        if exc.missing:
            raise ConfigError(
                "git is not installed; install git or scan without --staged"
            ) from None
        if exc.not_a_repository:
            raise ConfigError(
                f"{root} is not inside a git work tree; run `git init` or use `agentauth audit`"
            ) from None
        raise ConfigError(f"git {args[0]} failed in {root}: {exc.detail}") from None


def prefix(root: Path) -> str | None:
    """Return ``root``'s path inside its git work tree ("" at the top), or None outside git."""
    return gitcmd.answer(root, "rev-parse", "--show-prefix")


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
