"""Read ``git log -p --unified=0`` output as hunks of added lines, a hunk at a time.

Why hunks and not lines: a history is mostly added lines, and a Python step per line
(tens of thousands of them) cost more than detecting credentials in them. A hunk header
``@@ -a,b +c,d @@`` says how many lines were removed (``b``) and added (``d``), so the
parser jumps over the removed ones, takes the ``d`` added ones as one slice, and strips
their ``+`` in one ``bytes.replace``; only headers are matched by a regex. Jumping by the
counts is also what keeps an added line that reads ``++ x`` (written ``+++ x``) from being
taken for a file header. The output is read in blocks that end where a hunk, a file or a
commit starts, so memory stays bounded whatever the size of the history.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO

FORMAT = "--format=%x00%H %ct"
"""The ``git log`` format the parser reads: a NUL, the commit id and its committer time."""
BLOCK_BYTES = 256 * 1024
"""The output is read up to this much at a time, as git writes it (then cut where the last
hunk, file or commit starts), so parsing keeps pace with git instead of waiting for its
last byte."""

_HEADER = re.compile(
    rb"^(?:\x00(?P<commit>[^\n]*)|(?P<diff>diff --git )[^\n]*|\+\+\+ (?P<path>[^\n]*)"
    rb"|@@ -\d+(?:,(?P<old>\d+))? \+(?P<first>\d+)(?:,(?P<new>\d+))? @@[^\n]*)$",
    re.MULTILINE,
)


@dataclass(frozen=True)
class Commit:
    """A commit as findings name it: full id and committer date (ISO 8601, UTC)."""

    sha: str
    date: str


@dataclass(frozen=True)
class Hunk:
    """The lines one hunk added: their text (``+`` removed, each ending in a newline)."""

    commit: Commit
    path: str
    first: int
    """The new-side line number of the first added line."""
    count: int
    text: bytes


def hunks(stream: IO[bytes], block_bytes: int = BLOCK_BYTES) -> Iterator[Hunk]:
    """Yield every hunk that added lines, in the order git wrote them."""
    state = _State()
    for block in _blocks(stream, block_bytes):
        yield from _parse(block, state)


@dataclass
class _State:
    """What the headers said so far: it carries over from one block to the next."""

    commit: Commit | None = None
    path: str | None = None


_STARTS = (b"\n\x00", b"\ndiff --git ", b"\n@@ ")
"""Where a block may end: before a commit, a file or a hunk (an added or removed line
starts with ``+`` or ``-``, so these never begin one). Not whole commits: a repository's
first commit often adds the whole tree, megabytes held at once."""


def _blocks(stream: IO[bytes], size: int) -> Iterator[bytes]:
    """The output in pieces of about ``size`` bytes, each ending where a hunk, a file or a
    commit starts."""
    pending: list[bytes] = []
    read = getattr(stream, "read1", stream.read)
    while True:
        data = read(size)
        if not data:
            if pending:
                yield b"".join(pending)
            return
        cut = max(data.rfind(mark) for mark in _STARTS)
        if cut < 0:
            pending.append(data)  # NOTE: one hunk larger than a block: keep reading it
            continue
        yield b"".join([*pending, data[: cut + 1]])
        pending = [data[cut + 1 :]]


def _parse(block: bytes, state: _State) -> Iterator[Hunk]:
    pos = 0
    while (header := _HEADER.search(block, pos)) is not None:
        pos = header.end() + 1
        if header["commit"] is not None:
            sha, _, stamp = header["commit"].decode("ascii", "replace").partition(" ")
            state.commit, state.path = Commit(sha, _iso(stamp)), None
        elif header["diff"] is not None:
            state.path = None
        elif header["path"] is not None:
            state.path = _diff_path(header["path"])
        else:
            start = _past_marker(block, _skip(block, pos, _count(header["old"])))
            count = _count(header["new"])
            end = _skip(block, start, count)
            pos = _past_marker(block, end)
            if count and state.commit is not None and state.path is not None:
                text = block[start + 1 : end].replace(b"\n+", b"\n")
                if not text.endswith(b"\n"):
                    text += b"\n"  # NOTE: the output's last line
                yield Hunk(state.commit, state.path, int(header["first"]), count, text)


def _count(raw: bytes | None) -> int:
    """A hunk side's line count: git leaves out ``,1``."""
    return 1 if raw is None else int(raw)


def _skip(block: bytes, pos: int, lines: int) -> int:
    """The offset ``lines`` lines after ``pos``."""
    for _ in range(lines):
        end = block.find(b"\n", pos)
        if end < 0:
            return len(block)
        pos = end + 1
    return pos


def _past_marker(block: bytes, pos: int) -> int:
    """Past a ``\\ No newline at end of file`` line at ``pos``, if one is there."""
    if not block.startswith(b"\\", pos):
        return pos
    end = block.find(b"\n", pos)
    return len(block) if end < 0 else end + 1


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
