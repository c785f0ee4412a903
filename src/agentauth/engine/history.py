"""Scan git history: the lines each commit added, streamed from ``git log -p``.

An agent can run ``git log -p`` and read a key that was committed and later deleted, so
``audit --history`` reads every commit reachable (or those after ``--since REF``) and
``check --range BASE..HEAD`` the commits of a pull request: a key added and removed
inside the branch still fails.

The added lines of many commits (:mod:`agentauth.engine.gitpatch` reads them a hunk at a
time) are packed into buffers of :data:`CHUNK_BYTES` with a map from each hunk's first
buffer line to (commit, path, line number); the detector runs once per buffer, so its
prefilter sees many diffs at a time instead of one small diff per call, and memory stays
bounded whatever the size of the history. Pure reading: git is only asked.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from agentauth import gitcmd
from agentauth.config.envwrite import ENV_AI_MARKER
from agentauth.engine.embedded import SEGMENT_BREAK
from agentauth.engine.gitpatch import FORMAT, Commit, Hunk, hunks
from agentauth.errors import ConfigError
from agentauth.model import Candidate

__all__ = ["CHUNK_BYTES", "Commit", "HistoryCandidate", "log_arguments", "scan"]

CHUNK_BYTES = 128 * 1024
"""Added lines are scanned in buffers of about this size: small enough that scanning one
takes less time than git needs to fill the pipe (:data:`PIPE_BYTES`), so git never
waits, and memory stays low; large enough for one pass of the prefilter to pay.
Measured on 4,000 commits: 64 KiB to 256 KiB alike, 1 MiB 40% slower."""
PIPE_BYTES = 1024 * 1024
_OWN_MARK = ENV_AI_MARKER.encode()
_OWN_PROBE = 4096


@dataclass(frozen=True)
class HistoryCandidate:
    """A detector candidate located in history: the commit that added it and where."""

    candidate: Candidate
    commit: Commit
    path: str
    line: int
    own_output: bool = False
    """True when the file is one agentauth wrote (``.env.ai``): its header says so in
    the commit that created it, in an earlier commit, or in the work tree."""


@dataclass
class _Chunk:
    """Added lines of several commits, and where each hunk of them came from."""

    data: bytearray = field(default_factory=bytearray)
    lines: int = 0
    starts: array[int] = field(default_factory=lambda: array("i"))
    """The buffer line (0-based) where each hunk starts; a break line is a hunk of -1."""
    firsts: array[int] = field(default_factory=lambda: array("i"))
    segment: array[int] = field(default_factory=lambda: array("i"))
    segments: list[tuple[Commit, str]] = field(default_factory=list)
    own: list[bool] = field(default_factory=list)

    def add(self, hunk: Hunk) -> None:
        self.starts.append(self.lines)
        self.firsts.append(hunk.first)
        self.segment.append(len(self.segments) - 1)
        self.data += hunk.text
        self.lines += hunk.count

    def start_segment(self, commit: Commit, path: str) -> None:
        if self.segments:
            # NOTE: a line of its own keeps two files' lines from joining, and tells the
            # embedded extractors that what follows is another file
            self.starts.append(self.lines)
            self.firsts.append(0)
            self.segment.append(-1)
            self.data += SEGMENT_BREAK + b"\n"
            self.lines += 1
        self.segments.append((commit, path))
        self.own.append(False)

    def locate(self, line: int) -> tuple[int, int] | None:
        """(segment, line number in its file) of buffer ``line`` (1-based), or None."""
        index = line - 1
        at = bisect_right(self.starts, index) - 1
        if at < 0 or self.segment[at] < 0:
            return None
        return self.segment[at], self.firsts[at] + index - self.starts[at]


def log_arguments(*, since: str | None = None, commit_range: str | None = None) -> list[str]:
    """The ``git log`` arguments for every reachable commit, ``since..HEAD`` or a range."""
    args = [
        "-c",
        "core.quotePath=false",
        # NOTE: git's own default (96 MiB) made git the largest process of an audit (59 MB
        # on 4,000 commits); 16 MiB, its default for years, gave 36 MB at the same speed
        "-c",
        "core.deltaBaseCacheLimit=16m",
        "log",
        "-p",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--no-renames",
        "--relative",
        "--unified=0",
        "--reverse",
        FORMAT,
    ]
    if commit_range:
        _check_revision(commit_range, "--range")
        args.append(commit_range)
    elif since:
        _check_revision(since, "--since")
        args.append(f"{since}..HEAD")
    else:
        args.append("--all")
    args.append("--")
    return args


def _check_revision(text: str, flag: str) -> None:
    if not text or text.startswith("-") or any(c.isspace() for c in text):
        raise ConfigError(f"{flag} {text!r} is not a git revision or range (e.g. main..HEAD)")


def scan(
    root: Path,
    detect: Callable[[bytes], list[Candidate]],
    *,
    since: str | None = None,
    commit_range: str | None = None,
) -> Iterator[HistoryCandidate]:
    """Yield every candidate in the lines the selected commits added (oldest commit first)."""
    args = log_arguments(since=since, commit_range=commit_range)
    try:
        proc = gitcmd.popen(root, *args, pipe_bytes=PIPE_BYTES)
    except gitcmd.GitError:
        raise ConfigError("git is not installed; install git or scan without history") from None
    assert proc.stdout is not None
    chunk = _Chunk()
    own = _OwnFiles(root)
    try:
        for hunk in hunks(proc.stdout):
            if not chunk.segments or chunk.segments[-1] != (hunk.commit, hunk.path):
                chunk.start_segment(hunk.commit, hunk.path)
                chunk.own[-1] = own.marked(hunk.path)
            if (
                hunk.first <= _OWN_HEADER_LINES
                and _OWN_MARK in hunk.text
                and _OWN_MARK in _head(hunk)
            ):
                chunk.own[-1] = own.mark(hunk.path)
            chunk.add(hunk)
            if len(chunk.data) >= CHUNK_BYTES:
                yield from _scan_chunk(chunk, detect, own)
                chunk = _Chunk()
        if chunk.data:
            yield from _scan_chunk(chunk, detect, own)
    finally:
        proc.stdout.close()
        stderr = proc.stderr.read() if proc.stderr is not None else b""
        code = proc.wait()
    if code != 0:
        failed = gitcmd.failure(args, code, stderr)
        if failed.not_a_repository:
            raise ConfigError(
                f"{root} is not inside a git work tree; run it in a repository or drop --history"
            )
        raise ConfigError(f"git log failed in {root}: {failed.detail}")


_OWN_HEADER_LINES = 10
"""agentauth's header is at the top of the files it writes."""


class _OwnFiles:
    """Which paths are files agentauth wrote, as the history goes (oldest commit first)."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._paths: dict[str, bool] = {}
        self._tree: dict[str, bool] = {}

    def marked(self, path: str) -> bool:
        """True once a commit (of those read so far) added the header to ``path``."""
        return self._paths.get(path, False)

    def in_tree(self, path: str) -> bool:
        """True when the work tree's copy of ``path`` has the header: the answer for
        ``--since`` and ``--range``, whose commits may not include the one that created
        the file. Asked only where a candidate is (reading every path's head cost more
        than the scan of a big history)."""
        found = self._tree.get(path)
        if found is None:
            found = self._tree[path] = _tree_header(self._root / path)
        return found

    def mark(self, path: str) -> bool:
        self._paths[path] = True
        return True


def _tree_header(path: Path) -> bool:
    from agentauth.fsutil import read_head

    head = read_head(path, _OWN_PROBE)
    return head is not None and _OWN_MARK in head


def _head(hunk: Hunk) -> bytes:
    """The hunk's lines that can hold agentauth's header (within the file's first lines)."""
    keep = _OWN_HEADER_LINES - hunk.first + 1
    end = -1
    for _ in range(keep):
        end = hunk.text.find(b"\n", end + 1)
        if end < 0:
            return hunk.text
    return hunk.text[: end + 1]


def _scan_chunk(
    chunk: _Chunk, detect: Callable[[bytes], list[Candidate]], own: _OwnFiles
) -> Iterator[HistoryCandidate]:
    raw = bytes(chunk.data)
    data = raw if raw.isascii() else raw.decode("utf-8", "replace").encode()
    for candidate in detect(data):
        where = chunk.locate(candidate.line)
        if where is None:
            continue
        segment, number = where
        commit, path = chunk.segments[segment]
        output = chunk.own[segment] or own.in_tree(path)
        yield HistoryCandidate(candidate, commit, path, number, own_output=output)
