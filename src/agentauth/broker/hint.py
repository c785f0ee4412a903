"""Does this project's policy broker anything? A text test cheap enough for ``run``'s fast path.

``run`` must start in well under 100 ms without a broker, so it cannot parse YAML
or import the proxy to find out. A false positive only costs the real check
(:func:`agentauth.service.broker.start` returns None); a false negative is
impossible because both spellings that make an entry brokered contain the words
tested here.
"""

from __future__ import annotations

import re
from pathlib import Path

_HINT = re.compile(r"provider:\s*['\"]?http\b|mode:\s*['\"]?broker")


def brokers_anything(policy_file: Path) -> bool:
    """Return True if ``policy_file`` may hold a brokered entry."""
    try:
        text = policy_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return _HINT.search(text) is not None
