"""Decide which files an audit reads, and read them safely, skipping what holds no secret.

An agent started in a directory can read every file under it, git-ignored or not,
so the walk includes ignored files (``.env``, ``terraform.tfvars``, ``*.pem``) and
only skips, by name, the folders that hold installed third-party packages or tool
caches (``node_modules``, ``.venv``...) and binaries; lockfiles and build output are
read. Env files are never skipped as binary and get a higher size cap. Every file that is
not read leaves a :class:`~agentauth.model.Skip` or a counted note; nothing raises a
traceback.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from agentauth.engine import gitfiles
from agentauth.engine.filekinds import (
    BINARY_SNIFF_BYTES,
    DEFAULT_EXCLUDED_DIRS,
    DEFAULT_MAX_FILE_BYTES,
    ENV_HARD_CAP_BYTES,
    compose_env_files,
    decode,
    is_compose_file,
    is_env_file,
    utf8,
)
from agentauth.engine.walk import (
    Collector,
    Excludes,
    Selection,
    SourceFile,
    human,
    kind,
    relative,
    walk,
)
from agentauth.errors import ConfigError
from agentauth.fsutil import read_at_most
from agentauth.model import Skip

__all__ = [
    "DEFAULT_EXCLUDED_DIRS",
    "DEFAULT_MAX_FILE_BYTES",
    "Selection",
    "SourceFile",
    "decode",
    "is_env_file",
    "read",
    "read_utf8",
    "select",
]


def _add_compose_env_files(compose: Iterable[str], root: Path, out: Collector) -> None:
    """Mark (or add) every file named by a compose ``env_file:`` as an env file."""
    for compose_rel in compose:
        compose_path = root / compose_rel
        try:
            text = decode(compose_path.read_bytes())
        except OSError:
            continue
        for name in compose_env_files(text):
            path = Path(os.path.normpath(compose_path.parent / name))
            rel = relative(path, root)
            known = out.files.get(rel)
            if known is not None:
                out.files[rel] = replace(known, env=True)
                continue
            try:
                st = path.stat()
            except OSError:
                out.notes.append(f"{compose_rel}: env_file {name} does not exist")
                continue
            if stat.S_ISREG(st.st_mode):
                out.consider(str(path), rel, st.st_size, env=True)


def _git_tracked(root: Path, excludes: Excludes, out: Collector) -> None:
    """Collect the regular files git tracks under ``root`` (working-tree content)."""
    for rel in gitfiles.tracked(root):
        if excludes.excludes_path(rel):
            out.excluded_files += 1
            continue
        path = root / rel
        try:
            st = path.lstat()
        except FileNotFoundError:
            continue  # deleted in the work tree; nothing for an agent to read
        except OSError as exc:
            out.skipped.append(Skip(rel, f"unreadable: {exc.strerror}"))
            continue
        if stat.S_ISREG(st.st_mode):
            out.consider(str(path), rel, st.st_size)


def _git_staged(root: Path, excludes: Excludes, out: Collector) -> None:
    """Collect the files staged for commit, with their STAGED content from the index."""
    for rel, blob in gitfiles.staged(root):
        if excludes.excludes_path(rel):
            out.excluded_files += 1
            continue
        out.consider(str(root / rel), rel, len(blob))
        if rel in out.files:
            out.files[rel] = replace(out.files[rel], blob=blob)


def select(
    root: Path,
    *,
    paths: Sequence[Path] = (),
    git_tracked_only: bool = False,
    staged_only: bool = False,
    exclude_dirs: Sequence[str] = (),
    default_excludes: bool = True,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
) -> Selection:
    """Return the files to scan under ``root`` (or among ``paths``) and what was skipped.

    Raises ConfigError when ``root`` or a named path does not exist or cannot be read,
    and, in the git modes, when ``root`` is not in a git work tree.
    """
    if not root.exists():
        raise ConfigError(f"{root} does not exist; pass an existing file or folder")
    excludes = Excludes(exclude_dirs, default_excludes)
    out = Collector(max_file_bytes)
    if root.is_file():
        _add_named_file(root, root.parent, out)
        return out.selection()
    named = [_check_named(p if p.is_absolute() else root / p) for p in paths]
    if staged_only or git_tracked_only:
        gitfiles.require_work_tree(root)
        if staged_only:
            _git_staged(root, excludes, out)
        else:
            _git_tracked(root, excludes, out)
        if named:
            _restrict(out, [relative(p, root) for p in named])
        return out.selection()
    if not named:
        compose = walk(root, root, excludes, out)
    else:
        compose = []
        for path in named:
            if path.is_dir():
                compose += walk(path, root, excludes, out)
            else:
                _add_named_file(path, root, out)
                if is_compose_file(path.name):
                    compose.append(relative(path, root))
    if compose:
        _add_compose_env_files(compose, root, out)
    return out.selection()


def _check_named(path: Path) -> Path:
    """Refuse a path the user named that does not exist or cannot be opened."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise ConfigError(f"{path} does not exist; check the path") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}; check the path") from None
    if stat.S_ISDIR(st.st_mode):
        return path
    if not stat.S_ISREG(st.st_mode):
        raise ConfigError(f"{path} is {kind(st.st_mode)}, not a file; name a regular file")
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}; check its permissions") from None
    return path


def _add_named_file(path: Path, root: Path, out: Collector) -> None:
    checked = _check_named(path)
    out.consider(str(checked), relative(checked, root), checked.stat().st_size)


def _restrict(out: Collector, named_rels: Sequence[str]) -> None:
    """Keep only git-selected files that are, or are under, a path the user named."""
    prefixes = [r.rstrip("/") + "/" for r in named_rels]
    wanted = set(named_rels)
    for rel in list(out.files):
        if rel not in wanted and not rel.startswith(tuple(prefixes)):
            del out.files[rel]
    for rel in named_rels:
        if rel not in out.files and not any(f.startswith(rel + "/") for f in out.files):
            out.notes.append(f"{rel}: not selected by git (untracked, unstaged or skipped)")


def read(source: SourceFile, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> str | Skip:
    """Return the text of ``source``, or a Skip saying why it was not read."""
    data = _read(source, max_file_bytes)
    return data if isinstance(data, Skip) else decode(data)


def read_utf8(source: SourceFile, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> bytes | Skip:
    """Return the text of ``source`` as UTF-8 bytes (what the detector reads), or a Skip."""
    data = _read(source, max_file_bytes)
    return data if isinstance(data, Skip) else utf8(data)


def _read(source: SourceFile, max_file_bytes: int) -> bytes | Skip:
    """Return the bytes of ``source`` (or its staged blob), or a Skip saying why not."""
    limit = ENV_HARD_CAP_BYTES if source.env else max_file_bytes
    data = source.blob
    if data is None:
        try:
            data = read_at_most(source.path, limit, source.size)
        except OSError as exc:
            return Skip(source.rel, f"unreadable: {exc.strerror or exc}")
    if len(data) > limit:
        return Skip(source.rel, f"too large: more than {human(limit)}")
    head = data[:BINARY_SNIFF_BYTES]
    if not source.env and b"\0" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return Skip(source.rel, "binary (NUL byte in the first 8 KiB)")
    return data
