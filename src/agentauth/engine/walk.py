"""Walk a folder the way an agent could read it: what to read, what to skip, and why.

The walk (``os.scandir``, no ``Path`` per entry: thousands of files) includes git-ignored
files and skips, by name, only folders that hold installed packages or tool caches and
binaries by extension; symlinks are followed inside the scanned root only, loops are
caught, and every file not read leaves a :class:`~agentauth.model.Skip` or a counted note.
:mod:`agentauth.engine.sources` chooses between this walk and git's file lists.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from agentauth.engine.filekinds import (
    BINARY_EXTENSIONS,
    DEFAULT_EXCLUDED_DIRS,
    ENV_HARD_CAP_BYTES,
    MIB,
    is_compose_file,
    is_env_file,
)
from agentauth.errors import ConfigError
from agentauth.model import Skip


@dataclass(frozen=True)
class SourceFile:
    """One file the audit will read.

    ``rel`` is the POSIX path relative to the scanned root, as reports show it.
    ``blob`` holds the staged content in ``staged_only`` mode, read instead of ``path``.
    """

    path: str
    """Where to read it (an OS path string; cheaper than Path for thousands of files)."""
    rel: str
    size: int
    env: bool = False
    blob: bytes | None = None


@dataclass(frozen=True)
class Selection:
    """The files to read, plus what was skipped while choosing them."""

    files: tuple[SourceFile, ...]
    skipped: tuple[Skip, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def total_bytes(self) -> int:
        """Sum of the sizes of the selected files (for progress and the pool decision)."""
        return sum(f.size for f in self.files)


class Excludes:
    """Folder exclusion: plain names in a set, glob patterns (and relative paths) in a list."""

    def __init__(self, extra: Sequence[str], defaults: bool) -> None:
        patterns = set(DEFAULT_EXCLUDED_DIRS) if defaults else set()
        for raw in extra:
            item = raw.strip().strip("/")
            if item.startswith("!"):
                patterns.discard(item[1:].strip("/"))
            elif item:
                patterns.add(item)
        self.names = {p for p in patterns if not _is_glob(p) and "/" not in p}
        self.globs = [p for p in patterns if p not in self.names]

    def __call__(self, name: str, rel: str) -> str | None:
        """Return the pattern that excludes folder ``name`` at ``rel``, or None."""
        if name in self.names:
            return name
        for pattern in self.globs:
            if fnmatch.fnmatchcase(rel if "/" in pattern else name, pattern):
                return pattern
        return None

    def excludes_path(self, rel: str) -> bool:
        """True when any folder on the way to file ``rel`` is excluded."""
        parts = rel.split("/")[:-1]
        return any(self(part, "/".join(parts[: i + 1])) for i, part in enumerate(parts))


def _is_glob(pattern: str) -> bool:
    return any(c in pattern for c in "*?[")


class Collector:
    """Accumulates files, skips and name-based counts while one selection is built."""

    def __init__(self, max_file_bytes: int) -> None:
        self.max_file_bytes = max_file_bytes
        self.files: dict[str, SourceFile] = {}
        self.skipped: list[Skip] = []
        self.notes: list[str] = []
        self.excluded_dirs: Counter[str] = Counter()
        self.excluded_files = 0
        self.binary_by_name = 0

    def consider(self, path: str, rel: str, size: int, *, env: bool = False) -> None:
        """Add a regular file unless its name or size says it cannot hold a secret."""
        name = rel.rsplit("/", 1)[-1]
        env = env or is_env_file(name)
        if not env and "." + name.rpartition(".")[2].lower() in BINARY_EXTENSIONS:
            self.binary_by_name += 1
            return
        limit = ENV_HARD_CAP_BYTES if env else self.max_file_bytes
        if size > limit:
            hint = "" if env else "; raise --max-file-size to scan it"
            self.skipped.append(Skip(rel, f"too large: {human(size)} > {human(limit)} limit{hint}"))
            return
        self.files[rel] = SourceFile(path, rel, size, env)

    def selection(self) -> Selection:
        """Freeze what was collected into a :class:`Selection` with summary notes."""
        counts = []
        if self.excluded_dirs:
            dirs = ", ".join(f"{n} ({c})" for n, c in sorted(self.excluded_dirs.items()))
            counts.append(f"excluded folders: {dirs}")
        if self.excluded_files:
            counts.append(f"{self.excluded_files} file(s) in excluded folders")
        if self.binary_by_name:
            counts.append(f"{self.binary_by_name} binary file(s) by extension")
        notes = list(self.notes)
        if counts:
            notes.append("not scanned by name: " + "; ".join(counts))
        files = tuple(sorted(self.files.values(), key=lambda f: f.rel))
        return Selection(files, tuple(self.skipped), tuple(notes))


def human(n: int) -> str:
    if n >= MIB:
        return f"{n / MIB:.1f} MiB"
    return f"{n / 1024:.1f} KiB" if n >= 1024 else f"{n} B"


def relative(path: Path | str, root: Path | str) -> str:
    rel = os.path.relpath(path, root)
    return rel if os.sep == "/" else rel.replace(os.sep, "/")


def inside(path: str, root_real: str) -> bool:
    return path == root_real or path.startswith(root_real.rstrip(os.sep) + os.sep)


def kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def walk(start: Path, root: Path, excludes: Excludes, out: Collector) -> list[str]:
    """Walk ``start`` (inside ``root``) with os.scandir; return compose files met on the way."""
    root_real = os.path.realpath(root)
    compose: list[str] = []
    try:
        start_stat = start.stat()
    except OSError as exc:
        raise ConfigError(f"cannot read {start}: {exc.strerror}; check the path") from None
    visited = {(start_stat.st_dev, start_stat.st_ino)}
    stack = [(str(start), relative(start, root))]
    while stack:
        directory, dir_rel = stack.pop()
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            if directory == str(start):
                raise ConfigError(f"cannot read {start}: {exc.strerror}; check the path") from None
            out.skipped.append(Skip(dir_rel, f"unreadable folder: {exc.strerror}"))
            continue
        if directory != str(start) and any(e.name == "pyvenv.cfg" for e in entries):
            out.excluded_dirs["virtualenv"] += 1
            continue
        subdirs: list[tuple[str, str]] = []
        for entry in entries:
            rel = entry.name if dir_rel == "." else f"{dir_rel}/{entry.name}"
            try:
                _visit(entry, rel, root_real, excludes, out, visited, subdirs, compose)
            except OSError as exc:
                out.skipped.append(Skip(rel, f"unreadable: {exc.strerror or exc}"))
        stack.extend(reversed(subdirs))
    return compose


def _visit(
    entry: os.DirEntry[str],
    rel: str,
    root_real: str,
    excludes: Excludes,
    out: Collector,
    visited: set[tuple[int, int]],
    subdirs: list[tuple[str, str]],
    compose: list[str],
) -> None:
    """Classify one directory entry: descend, collect, or record why not."""
    path = entry.path
    if entry.is_symlink():
        try:
            target = os.stat(entry.path)
        except OSError:
            out.skipped.append(Skip(rel, "broken symlink (or a symlink loop)"))
            return
        real = os.path.realpath(entry.path)
        if stat.S_ISDIR(target.st_mode):
            matched = excludes(entry.name, rel)
            if matched:
                out.excluded_dirs[matched] += 1
            elif not inside(real, root_real):
                out.skipped.append(Skip(rel, "symlink to a folder outside the scanned root"))
            elif (target.st_dev, target.st_ino) in visited:
                out.skipped.append(Skip(rel, "symlink loop (folder already scanned)"))
            else:
                visited.add((target.st_dev, target.st_ino))
                subdirs.append((path, rel))
            return
        if not stat.S_ISREG(target.st_mode):
            out.skipped.append(Skip(rel, f"symlink to {kind(target.st_mode)}"))
            return
        if inside(real, root_real) and not excludes.excludes_path(relative(real, root_real)):
            return  # NOTE: the target itself is scanned where it lives; don't report it twice.
        out.consider(path, rel, target.st_size)
        if is_compose_file(entry.name):
            compose.append(rel)
        return
    if entry.is_dir(follow_symlinks=False):
        matched = excludes(entry.name, rel)
        if matched:
            out.excluded_dirs[matched] += 1
            return
        st = entry.stat(follow_symlinks=False)
        key = (st.st_dev, st.st_ino)
        if key in visited:
            out.skipped.append(Skip(rel, "folder already scanned (bind mount loop)"))
            return
        visited.add(key)
        subdirs.append((path, rel))
        return
    if entry.is_file(follow_symlinks=False):
        out.consider(path, rel, entry.stat(follow_symlinks=False).st_size)
        if is_compose_file(entry.name):
            compose.append(rel)
        return
    mode = entry.stat(follow_symlinks=False).st_mode
    out.skipped.append(Skip(rel, kind(mode)))
