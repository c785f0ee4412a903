"""Request counts per grant, from the broker's ``request`` audit events (for ``status``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def counts_by_grant(events: Iterable[Mapping[str, object]]) -> dict[str, dict[str, int]]:
    """Return grant id -> {"allowed": n, "refused": m}; events without a grant are skipped."""
    counts: dict[str, dict[str, int]] = {}
    for event in events:
        if event.get("event") != "request" or not event.get("grant"):
            continue
        slot = counts.setdefault(str(event["grant"]), {"allowed": 0, "refused": 0})
        decision = str(event.get("decision"))
        if decision in slot:
            slot[decision] += 1
    return counts


def describe(counts: Mapping[str, int] | None) -> str:
    """Return ``12 requests (2 refused)`` or '' when there were none."""
    if not counts:
        return ""
    total = counts.get("allowed", 0) + counts.get("refused", 0)
    refused = counts.get("refused", 0)
    return f"{total} request{'s' if total != 1 else ''}" + (
        f" ({refused} refused)" if refused else ""
    )
