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

import fnmatch
import os
import stat
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from agentauth.engine import gitfiles
from agentauth.engine.filekinds import (
    BINARY_EXTENSIONS,
    BINARY_SNIFF_BYTES,
    DEFAULT_EXCLUDED_DIRS,
    DEFAULT_MAX_FILE_BYTES,
    ENV_HARD_CAP_BYTES,
    MIB,
    compose_env_files,
    decode,
    is_compose_file,
    is_env_file,
)
from agentauth.errors import ConfigError
from agentauth.model import Skip

__all__ = [
    "DEFAULT_EXCLUDED_DIRS",
    "DEFAULT_MAX_FILE_BYTES",
    "Selection",
    "SourceFile",
    "decode",
    "is_env_file",
    "read",
    "select",
]


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


class _Excludes:
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


class _Collector:
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
            self.skipped.append(
                Skip(rel, f"too large: {_human(size)} > {_human(limit)} limit{hint}")
            )
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


def _human(n: int) -> str:
    if n >= MIB:
        return f"{n / MIB:.1f} MiB"
    return f"{n / 1024:.1f} KiB" if n >= 1024 else f"{n} B"


def _rel(path: Path | str, root: Path | str) -> str:
    rel = os.path.relpath(path, root)
    return rel if os.sep == "/" else rel.replace(os.sep, "/")


def _inside(path: str, root_real: str) -> bool:
    return path == root_real or path.startswith(root_real.rstrip(os.sep) + os.sep)


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _walk(start: Path, root: Path, excludes: _Excludes, out: _Collector) -> list[str]:
    """Walk ``start`` (inside ``root``) with os.scandir; return compose files met on the way."""
    root_real = os.path.realpath(root)
    compose: list[str] = []
    try:
        start_stat = start.stat()
    except OSError as exc:
        raise ConfigError(f"cannot read {start}: {exc.strerror}; check the path") from None
    visited = {(start_stat.st_dev, start_stat.st_ino)}
    stack = [(str(start), _rel(start, root))]
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
    excludes: _Excludes,
    out: _Collector,
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
            elif not _inside(real, root_real):
                out.skipped.append(Skip(rel, "symlink to a folder outside the scanned root"))
            elif (target.st_dev, target.st_ino) in visited:
                out.skipped.append(Skip(rel, "symlink loop (folder already scanned)"))
            else:
                visited.add((target.st_dev, target.st_ino))
                subdirs.append((path, rel))
            return
        if not stat.S_ISREG(target.st_mode):
            out.skipped.append(Skip(rel, f"symlink to {_kind(target.st_mode)}"))
            return
        if _inside(real, root_real) and not excludes.excludes_path(_rel(real, root_real)):
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
    out.skipped.append(Skip(rel, _kind(mode)))


def _add_compose_env_files(compose: Iterable[str], root: Path, out: _Collector) -> None:
    """Mark (or add) every file named by a compose ``env_file:`` as an env file."""
    for compose_rel in compose:
        compose_path = root / compose_rel
        try:
            text = decode(compose_path.read_bytes())
        except OSError:
            continue
        for name in compose_env_files(text):
            path = Path(os.path.normpath(compose_path.parent / name))
            rel = _rel(path, root)
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


def _git_tracked(root: Path, excludes: _Excludes, out: _Collector) -> None:
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


def _git_staged(root: Path, excludes: _Excludes, out: _Collector) -> None:
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
    excludes = _Excludes(exclude_dirs, default_excludes)
    out = _Collector(max_file_bytes)
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
            _restrict(out, [_rel(p, root) for p in named])
        return out.selection()
    if not named:
        compose = _walk(root, root, excludes, out)
    else:
        compose = []
        for path in named:
            if path.is_dir():
                compose += _walk(path, root, excludes, out)
            else:
                _add_named_file(path, root, out)
                if is_compose_file(path.name):
                    compose.append(_rel(path, root))
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
        raise ConfigError(f"{path} is {_kind(st.st_mode)}, not a file; name a regular file")
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}; check its permissions") from None
    return path


def _add_named_file(path: Path, root: Path, out: _Collector) -> None:
    checked = _check_named(path)
    out.consider(str(checked), _rel(checked, root), checked.stat().st_size)


def _restrict(out: _Collector, named_rels: Sequence[str]) -> None:
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
    limit = ENV_HARD_CAP_BYTES if source.env else max_file_bytes
    data = source.blob
    if data is None:
        try:
            with open(source.path, "rb") as fh:
                data = fh.read(limit + 1)
        except OSError as exc:
            return Skip(source.rel, f"unreadable: {exc.strerror or exc}")
    if len(data) > limit:
        return Skip(source.rel, f"too large: more than {_human(limit)}")
    head = data[:BINARY_SNIFF_BYTES]
    if not source.env and b"\0" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return Skip(source.rel, "binary (NUL byte in the first 8 KiB)")
    return decode(data)
