"""Where each rule's Python regex runs in a text: the spans around its keywords.

A line rule runs on each line holding one of its keywords (on a very long line, in a
window around the keyword); a text rule runs on the whole text (in a big text, in a
window around each keyword). Two ways compute the same spans:

* :func:`keyword_spans` walks the prefilter's keyword hits (every engine reports them);
* :func:`gated_spans` starts from where hyperscan says a rule's loosened regex matches
  (:mod:`agentauth.engine.hsregex`) and looks for the rule's keywords only there, then
  keeps only the spans in which such a match ends. A Python match inside a span is a
  match of the loosened regex ending inside it, so the dropped spans hold no match: the
  rule finds exactly what it finds on every keyword span, and on ordinary source
  hyperscan reports no keyword callbacks and Python reads a few lines.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from agentauth.engine.rules import Rule

WINDOW_BEFORE = 2048
WINDOW_AFTER = 8192
"""On a line longer than both, a line rule reads this far around its keyword (a token's
keyword is its prefix or a label just before it; the longest tokens are under 8 KiB)."""
TEXT_WINDOW_BEFORE = 16 * 1024
TEXT_WINDOW_AFTER = 48 * 1024
"""A multi-line rule reads this far around its keyword in a text longer than both (a PEM
body is at most 32 KiB after its armour; a service-account JSON names its type first)."""

Spans = dict[str, set[tuple[int, int]]]
"""Rule id -> (start, end) spans to run it on (``whole`` rules run on the whole text)."""


def merged(spans: set[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping (start, end) spans joined, so no byte is scanned twice by one rule."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def _line(data: bytes, end: int) -> tuple[int, int]:
    """The line holding byte ``end - 1`` (start, end of line without its newline)."""
    start = data.rfind(b"\n", 0, end - 1) + 1
    stop = data.find(b"\n", end - 1)
    return start, len(data) if stop < 0 else stop


def _line_span(line_start: int, line_end: int, end: int) -> tuple[int, int]:
    if line_end - line_start > WINDOW_BEFORE + WINDOW_AFTER:
        # NOTE: a minified bundle or a one-line JSON dump is one huge "line": run the rule
        # around the keyword, not over megabytes for each hit.
        return max(line_start, end - WINDOW_BEFORE), min(line_end, end + WINDOW_AFTER)
    return line_start, line_end


def _text_span(size: int, end: int) -> tuple[int, int]:
    return max(0, end - TEXT_WINDOW_BEFORE), min(size, end + TEXT_WINDOW_AFTER)


def _is_big(size: int) -> bool:
    return size > TEXT_WINDOW_BEFORE + TEXT_WINDOW_AFTER


def keyword_spans(
    data: bytes,
    hits: Sequence[tuple[int, int]],
    line_rules: Sequence[Sequence[Rule]],
    text_rules: Sequence[Sequence[Rule]],
    skip: frozenset[str] = frozenset(),
) -> tuple[Spans, dict[str, Rule]]:
    """Spans from keyword hits; rules in ``skip`` are left to :func:`gated_spans`.

    Returns (spans by rule id, every rule with a span or a whole-text run, by id); a text
    rule with no span in the first mapping runs on the whole text.
    """
    spans: Spans = {}
    rules: dict[str, Rule] = {}
    line_start = line_end = -1
    size = len(data)
    big = _is_big(size)
    for end, kw in hits:
        for rule in text_rules[kw]:
            if rule.id in skip:
                continue
            rules[rule.id] = rule
            if big:
                spans.setdefault(rule.id, set()).add(_text_span(size, end))
        todo = [rule for rule in line_rules[kw] if rule.id not in skip] if skip else line_rules[kw]
        if not todo:
            continue
        if not line_start <= end - 1 < line_end:
            line_start, line_end = _line(data, end)
        span = _line_span(line_start, line_end, end)
        for rule in todo:
            rules[rule.id] = rule
            spans.setdefault(rule.id, set()).add(span)
    return spans, rules


class Lowered:
    """A text's lower-cased copy, made once when a rule first needs it.

    Why: every text rule with a match looks for its keywords in the whole text; lowering
    the text for each of them made a big text (a history buffer) cost rules x size.
    """

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._lowered: bytes | None = None

    def get(self) -> bytes:
        if self._lowered is None:
            self._lowered = self._data.lower()
        return self._lowered


def gated_spans(
    data: bytes, rule: Rule, ends: Sequence[int], keywords: Sequence[bytes], lowered: Lowered
) -> list[tuple[int, int]] | None:
    """The merged spans of ``rule`` in which a match of its loosened regex ends (``ends``).

    ``keywords`` are the rule's keywords (lower-case bytes), ``lowered`` the text's
    lower-cased copy. None means "the whole text" (a text rule in a small text whose
    keyword occurs); [] means nowhere.
    """
    size = len(data)
    found: set[tuple[int, int]] = set()
    if rule.scope == "text":
        keyword_ends = _occurrences(lowered.get(), keywords, 0)
        if not keyword_ends:
            return []
        if not _is_big(size):
            return None
        found = {_text_span(size, end) for end in keyword_ends}
    else:
        seen_line = -1
        for end in ends:
            line_start, line_end = _line(data, end)
            if line_start == seen_line:
                continue
            seen_line = line_start
            line = data[line_start:line_end].lower()
            if line_end - line_start > WINDOW_BEFORE + WINDOW_AFTER:
                for kw_end in _occurrences(line, keywords, line_start):
                    found.add(_line_span(line_start, line_end, kw_end))
            elif any(k in line for k in keywords):
                found.add((line_start, line_end))
    return [span for span in merged(found) if ends_inside(ends, *span)]


def ends_inside(ends: Sequence[int], start: int, end: int) -> bool:
    """True when some match end lies in (start, end] (``ends`` ascending)."""
    i = bisect.bisect_right(ends, start)
    return i < len(ends) and ends[i] <= end


def _occurrences(lowered: bytes, keywords: Sequence[bytes], offset: int) -> list[int]:
    """End offsets (plus ``offset``) of every occurrence of every keyword, overlaps included."""
    out = []
    for keyword in keywords:
        pos = lowered.find(keyword)
        while pos >= 0:
            out.append(offset + pos + len(keyword))
            pos = lowered.find(keyword, pos + 1)
    return out
