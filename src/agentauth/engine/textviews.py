"""What the detector reads besides the text as written, and how the readings are joined.

A text holding ``\\"`` is also read with its string escapes undone (a notebook cell, JSON
inside a JSON string); the embedded extractors' name/value pairs are read too. Their
matches are mapped back to offsets of the text as written and merged with the direct
ones; overlapping matches of one reading are resolved by priority, then length.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from agentauth.engine.rules import Rule


@dataclass(frozen=True)
class Match:
    """One rule match: byte offsets of the secret, what it is, and the name it is assigned to."""

    start: int
    end: int
    rule: Rule
    secret: str
    variable: str | None
    extra: dict[str, str]


def resolve_overlaps(found: list[Match]) -> list[Match]:
    """Keep one match per region: higher priority first, then the longer one."""
    if len(found) <= 1:
        return found
    found.sort(key=lambda m: (-m.rule.priority, m.start - m.end, m.start))
    starts: list[int] = []
    kept: list[Match] = []
    for m in found:
        i = bisect.bisect_left(starts, m.end)
        if i > 0 and kept[i - 1].end > m.start:
            continue
        starts.insert(i, m.start)
        kept.insert(i, m)
    return kept


_ESCAPE = re.compile(rb"\\([\"\\/nrt'])")
_UNESCAPE = {
    b'"': b'"', b"\\": b"\\", b"/": b"/", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"'": b"'"
}  # fmt: skip


@dataclass(frozen=True)
class View:
    """Text with string escapes undone, and the map back to the text as written."""

    data: bytes
    new: list[int]
    old: list[int]

    def original(self, offset: int) -> int:
        """Offset in the text as written of ``offset`` in this view."""
        i = bisect.bisect_right(self.new, offset) - 1
        return offset if i < 0 else self.old[i] + offset - self.new[i]


def unescaped_view(data: bytes) -> View | None:
    """Undo JSON/Python string escapes when the text holds an escaped quote (else None)."""
    if b'\\"' not in data:
        return None
    parts: list[bytes] = []
    new: list[int] = []
    old: list[int] = []
    pos = size = 0
    for match in _ESCAPE.finditer(data):
        chunk = data[pos : match.start()]
        parts.append(chunk)
        parts.append(_UNESCAPE[match.group(1)])
        size += len(chunk) + 1
        new.append(size)
        old.append(match.end())
        pos = match.end()
    parts.append(data[pos:])
    return View(b"".join(parts), new, old)


def _overlaps(a: Match, b: Match) -> bool:
    return a.start < b.end and b.start < a.end


def merge_view(direct: list[Match], view: list[Match]) -> list[Match]:
    """Add the view's matches where the text as written gave none (or an escaped one)."""
    if not view:
        return direct
    kept = list(direct)
    for m in view:
        clash = [d for d in kept if _overlaps(d, m)]
        if any(d.rule.id != m.rule.id or "\\" not in d.secret for d in clash):
            continue
        kept = [d for d in kept if d not in clash]
        kept.append(m)
    kept.sort(key=lambda m: m.start)
    return kept


def merge_pairs(direct: list[Match], pairs: list[tuple[Match, bool]]) -> list[Match]:
    """A decoded value replaces what matched its encoded form; a plain one adds, or
    replaces a lower-priority match of the same place (``password:`` of a Rails
    ``database.yml`` is the PostgreSQL password, not a generic secret)."""
    if not pairs:
        return direct
    kept = list(direct)
    for m, decoded in pairs:
        clash = [d for d in kept if _overlaps(d, m)]
        if clash and not decoded and any(d.rule.priority >= m.rule.priority for d in clash):
            continue  # NOTE: a pair's engine-specific rule beats the generic one on its line
        kept = [d for d in kept if d not in clash]
        kept.append(m)
    kept.sort(key=lambda m: m.start)
    return kept
