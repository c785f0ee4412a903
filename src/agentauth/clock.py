"""Times as agentauth shows them: ISO-8601 UTC, and "in 1h59m" / "2h ago" (import-light).

One home for both spellings, so ``run``'s banner, ``status`` and the reports agree.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime


def iso_utc(timestamp: float) -> str:
    """Return ``timestamp`` as ISO-8601 UTC with a ``Z`` (the aws-vault spelling)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


def parse_iso(text: str) -> float | None:
    """Return the Unix time of an ISO-8601 text (naive means UTC), or None when unreadable."""
    moment = parse_instant(text)
    return None if moment is None else moment.timestamp()


def parse_instant(text: str) -> datetime | None:
    """Return an ISO-8601 text (``Z`` accepted, naive means UTC) as an aware datetime, or None."""
    from datetime import UTC, datetime

    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def span(seconds: float) -> str:
    """Return a duration as ``45s``, ``12m``, ``1h59m`` or ``3d4h`` (always positive)."""
    whole = abs(int(seconds))
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m"
    if whole < 86400:
        return f"{whole // 3600}h{(whole % 3600) // 60:02d}m"
    return f"{whole // 86400}d{(whole % 86400) // 3600}h"


def relative(seconds: float | None) -> str:
    """Return ``in 1h59m``, ``2h00m ago``, ``now`` or ``never`` for an offset from now."""
    if seconds is None:
        return "never"
    if int(seconds) == 0:
        return "now"
    return f"{span(seconds)} ago" if seconds < 0 else f"in {span(seconds)}"
