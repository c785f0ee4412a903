"""Scan git history: the lines each commit added, streamed from ``git log -p``.

An agent can run ``git log -p`` and read a key that was committed and later deleted, so
``audit --history`` reads every commit reachable (or those after ``--since REF``) and
``check --range BASE..HEAD`` the commits of a pull request: a key added and removed
inside the branch still fails.

The added lines of many commits are packed into one buffer of a few MiB with a map from
each buffer line to (commit, path, line number); the detector runs once per buffer, so
its prefilter sees megabytes at a time instead of one small diff per call, and memory
stays bounded whatever the size of the history. Pure reading: git is only asked.
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from agentauth import gitcmd
from agentauth.config.envwrite import ENV_AI_MARKER
from agentauth.engine.embedded import SEGMENT_BREAK
from agentauth.errors import ConfigError
from agentauth.model import Candidate

CHUNK_BYTES = 4 * 1024 * 1024
"""Added lines are scanned in buffers of about this size."""
_COMMIT_MARK = b"\x00"
_OWN_MARK = ENV_AI_MARKER.encode()
_OWN_PROBE = 4096


@dataclass(frozen=True)
class Commit:
    """A commit as findings name it: full id and committer date (ISO 8601, UTC)."""

    sha: str
    date: str


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
    """Added lines of several commits, and where each line came from."""

    data: bytearray = field(default_factory=bytearray)
    segment: array[int] = field(default_factory=lambda: array("i"))
    number: array[int] = field(default_factory=lambda: array("i"))
    segments: list[tuple[Commit, str]] = field(default_factory=list)
    own: list[bool] = field(default_factory=list)

    def add(self, line: bytes, number: int) -> None:
        self.data += line
        self.data += b"\n"
        self.segment.append(len(self.segments) - 1)
        self.number.append(number)

    def start_segment(self, commit: Commit, path: str) -> None:
        if self.segments and self.segment and self.segment[-1] >= 0:
            # NOTE: a line of its own keeps two files' lines from joining, and tells the
            # embedded extractors that what follows is another file
            self.data += SEGMENT_BREAK + b"\n"
            self.segment.append(-1)
            self.number.append(0)
        self.segments.append((commit, path))
        self.own.append(False)


def log_arguments(*, since: str | None = None, commit_range: str | None = None) -> list[str]:
    """The ``git log`` arguments for every reachable commit, ``since..HEAD`` or a range."""
    args = [
        "-c",
        "core.quotePath=false",
        "log",
        "-p",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--no-renames",
        "--relative",
        "--unified=0",
        "--reverse",
        "--format=%x00%H %ct",
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
    detect: Callable[[str], list[Candidate]],
    *,
    since: str | None = None,
    commit_range: str | None = None,
) -> Iterator[HistoryCandidate]:
    """Yield every candidate in the lines the selected commits added (oldest commit first)."""
    args = log_arguments(since=since, commit_range=commit_range)
    try:
        proc = gitcmd.popen(root, *args)
    except gitcmd.GitError:
        raise ConfigError("git is not installed; install git or scan without history") from None
    assert proc.stdout is not None
    chunk = _Chunk()
    own = _OwnFiles(root)
    try:
        for commit, path, number, line in _added_lines(proc.stdout):
            if not chunk.segments or chunk.segments[-1] != (commit, path):
                chunk.start_segment(commit, path)
                chunk.own[-1] = own.known(path)
            if number <= _OWN_HEADER_LINES and _OWN_MARK in line:
                chunk.own[-1] = own.mark(path)
            chunk.add(line, number)
            if len(chunk.data) >= CHUNK_BYTES:
                yield from _scan_chunk(chunk, detect)
                chunk = _Chunk()
        if chunk.data:
            yield from _scan_chunk(chunk, detect)
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

    def known(self, path: str) -> bool:
        """True once a commit added the header to ``path``, or the work tree's copy has it.

        The work tree answers for ``--since`` and ``--range``, whose commits may not
        include the one that created the file.
        """
        found = self._paths.get(path)
        if found is None:
            found = self._paths[path] = _tree_header(self._root / path)
        return found

    def mark(self, path: str) -> bool:
        self._paths[path] = True
        return True


def _tree_header(path: Path) -> bool:
    from agentauth.fsutil import read_head

    head = read_head(path, _OWN_PROBE)
    return head is not None and _OWN_MARK in head


def _added_lines(stream: Iterator[bytes]) -> Iterator[tuple[Commit, str, int, bytes]]:
    """Parse ``git log -p --unified=0``: (commit, new path, new line number, added line)."""
    commit: Commit | None = None
    path: str | None = None
    number = 0
    in_hunk = False
    for raw in stream:
        line = raw[:-1] if raw.endswith(b"\n") else raw
        if line.startswith(_COMMIT_MARK):
            sha, _, stamp = line[1:].decode("ascii", "replace").partition(" ")
            commit = Commit(sha, _iso(stamp))
            path, in_hunk = None, False
            continue
        if line.startswith(b"diff --git "):
            path, in_hunk = None, False
            continue
        if not in_hunk:
            if line.startswith(b"+++ "):
                path = _diff_path(line[4:])
            elif line.startswith(b"@@ ") and path is not None:
                number, in_hunk = _hunk_start(line), True
            continue
        if line.startswith(b"+"):
            if commit is not None and path is not None:
                yield commit, path, number, line[1:]
            number += 1
        elif line.startswith(b"@@ "):
            number = _hunk_start(line)
        elif line.startswith((b"-", b"\\")):
            continue
        else:
            in_hunk = False


def _hunk_start(line: bytes) -> int:
    """The first new-side line number of ``@@ -a,b +c,d @@``."""
    try:
        plus = line.split(b" ")[2]
        return int(plus[1:].split(b",")[0])
    except (IndexError, ValueError):
        return 0


def _diff_path(raw: bytes) -> str | None:
    """``b/path`` (or a C-quoted ``"b/pa\\tth"``) as a POSIX path; None for /dev/null."""
    if raw == b"/dev/null":
        return None
    if raw.startswith(b'"') and raw.endswith(b'"'):
        raw = raw[1:-1].decode("unicode_escape").encode("latin-1")
    if raw.startswith(b"b/"):
        raw = raw[2:]
    return os.fsdecode(raw)


def _iso(stamp: str) -> str:
    try:
        return datetime.fromtimestamp(int(stamp), UTC).isoformat(timespec="seconds")
    except (ValueError, OverflowError, OSError):
        return ""


def _scan_chunk(
    chunk: _Chunk, detect: Callable[[str], list[Candidate]]
) -> Iterator[HistoryCandidate]:
    text = bytes(chunk.data).decode("utf-8", "replace")
    for candidate in detect(text):
        index = candidate.line - 1
        if not 0 <= index < len(chunk.segment) or chunk.segment[index] < 0:
            continue
        segment = chunk.segment[index]
        commit, path = chunk.segments[segment]
        yield HistoryCandidate(
            candidate, commit, path, chunk.number[index], own_output=chunk.own[segment]
        )
