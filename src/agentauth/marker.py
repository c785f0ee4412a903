"""The phantom marker: made by the broker, recognised by the audit engine (one home for both).

A phantom is a per-run stand-in for a brokered credential (``sk_live_`` +
:data:`MARKER` + 32 random characters). It is worthless outside its broker session,
so ``audit`` and ``check`` must never report one as a live credential.
"""

from __future__ import annotations

import re

MARKER = "AGENTAUTHphantom"
RANDOM_LEN = 32
PATTERN = re.compile(MARKER + f"[A-Za-z0-9]{{{RANDOM_LEN}}}")


def is_phantom(value: str) -> bool:
    """Return True if ``value`` is (or contains) an agentauth phantom."""
    return MARKER in value and PATTERN.search(value) is not None
