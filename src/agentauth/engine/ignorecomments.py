"""Inline ignore comments: which lines of a text hold one, and which matches they hide.

A candidate is suppressed when a line it touches contains ``agentauth:ignore``,
``gitleaks:allow`` or ``pragma: allowlist secret`` (the markers users of gitleaks and
detect-secrets already wrote), or the line just before it contains
``agentauth:ignore-next-line`` or ``pragma: allowlist nextline secret``.
"""

from __future__ import annotations

IGNORE_MARKERS: tuple[bytes, ...] = (
    b"agentauth:ignore",
    b"gitleaks:allow",
    b"pragma: allowlist secret",
)
IGNORE_NEXT_LINE_MARKERS: tuple[bytes, ...] = (
    b"agentauth:ignore-next-line",
    b"pragma: allowlist nextline secret",
)


def marker_lines(data: bytes) -> list[tuple[int, int, bool]] | None:
    """Return (line start, line end, next-line marker) for each line holding a marker."""
    found: list[tuple[int, int, bool]] = []
    for marker in IGNORE_MARKERS + IGNORE_NEXT_LINE_MARKERS:
        pos = data.find(marker)
        while pos >= 0:
            start = data.rfind(b"\n", 0, pos) + 1
            end = data.find(b"\n", pos)
            found.append((start, len(data) if end < 0 else end, marker in IGNORE_NEXT_LINE_MARKERS))
            pos = data.find(marker, pos + len(marker))
    return found or None


def suppressed_at(markers: list[tuple[int, int, bool]], line_start: int, end: int) -> bool:
    """True when a marker is on a line the secret touches, or a next-line marker just before."""
    for start, stop, next_line in markers:
        if next_line:
            if stop + 1 == line_start:
                return True
        elif start <= end and stop >= line_start:
            return True
    return False
