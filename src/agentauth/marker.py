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


CAPABILITY_MARKER = "AGENTAUTHcap_"
"""Delegated phantoms carry an attenuable Biscuit token after this (broker/capability.py)."""
CAPABILITY_PATTERN = re.compile(re.escape(CAPABILITY_MARKER) + r"[A-Za-z0-9_=-]{40,8192}")


def is_phantom(value: str) -> bool:
    """Return True if ``value`` is (or contains) an agentauth phantom (delegated ones too)."""
    if MARKER in value and PATTERN.search(value) is not None:
        return True
    return CAPABILITY_MARKER in value and CAPABILITY_PATTERN.search(value) is not None
