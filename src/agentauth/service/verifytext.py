"""One line for a failed verification: what HTTP libraries say, said the way a person would.

requests/urllib3 errors are reprs of reprs (``HTTPSConnectionPool(host=...): Max retries
exceeded ... (Caused by NewConnectionError('<urllib3.connection.HTTPSConnection object at
0x7f...>: Failed to establish a new connection: [Errno 111] Connection refused'))``) that
fill nine lines of a table. The reader needs the host and the cause.
"""

from __future__ import annotations

import re

MAX_SUMMARY = 160
"""A summary longer than this is cut at the last clause boundary (``; ``) before it."""
MAX_FIRST_CLAUSE = 400
"""The first clause (a provider puts its most important fact there) is kept up to this."""
_HOST = re.compile(r"host='([^']+)'|host=\"([^\"]+)\"|https?://([A-Za-z0-9.\-]+)")
_CAUSES = (
    (re.compile(r"\[Errno -?\d+\] ([^'\"()\]]+)"), None),
    (re.compile(r"certificate verify failed", re.IGNORECASE), "TLS certificate not trusted"),
    (re.compile(r"(?:read |connect )?timed? ?out", re.IGNORECASE), "timed out"),
    (re.compile(r"Name or service not known|nodename nor servname|getaddrinfo failed"), None),
    (re.compile(r"Connection refused", re.IGNORECASE), "connection refused"),
    (re.compile(r"Connection reset by peer|RemoteDisconnected", re.IGNORECASE), "connection reset"),
)
_REPR = re.compile(r"<[A-Za-z_][\w.]* object at 0x[0-9a-f]+>:?\s*")
_LIBRARY = re.compile(r"HTTPS?ConnectionPool|Max retries exceeded|Caused by|urllib3|requests\.")


def one_line(text: str) -> str:
    """Return ``text`` on one line, a library's connection error as "cannot reach HOST: CAUSE"."""
    flat = " ".join(text.split())
    if _LIBRARY.search(flat):
        host = next((g for m in _HOST.finditer(flat) for g in m.groups() if g), "")
        cause = ""
        for pattern, label in _CAUSES:
            found = pattern.search(flat)
            if found:
                cause = label or (found.group(1) if found.groups() else found.group(0))
                break
        cause = cause.strip().rstrip(".").lower() or "connection failed"
        flat = f"cannot reach {host}: {cause}" if host else f"network error: {cause}"
    return _shorten(_REPR.sub("", flat))


def _shorten(flat: str) -> str:
    """Cut between clauses, never inside one: a half clause ("…; the…") says nothing.

    Providers write ``who on where: most important fact; next; ...``, so the first
    clause is kept whole even past :data:`MAX_SUMMARY` (a trust-auth warning on a long
    RDS host name); only a runaway text is cut at :data:`MAX_FIRST_CLAUSE`.
    """
    if len(flat) <= MAX_SUMMARY:
        return flat
    cut = flat.rfind("; ", 0, MAX_SUMMARY - 2)
    if cut < 0:
        cut = flat.find("; ")
    if 0 <= cut <= MAX_FIRST_CLAUSE - 3:
        return flat[:cut] + "; …"
    return flat if len(flat) <= MAX_FIRST_CLAUSE else flat[: MAX_FIRST_CLAUSE - 1] + "…"
