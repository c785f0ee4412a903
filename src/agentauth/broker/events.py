"""The ``request`` audit event: what was called, by whom, with what outcome; never a secret.

Headers and bodies are never recorded. Query strings are, with every value masked
whose name or shape suggests a credential (``?api_key=...``, ``&sig=...``, a phantom,
a value with a provider prefix), because a URL is where such values leak most.
The sink writes from a thread of its own, so a slow disk never stalls the proxy.
"""

from __future__ import annotations

import queue
import re
import threading
from collections.abc import Callable
from urllib.parse import parse_qsl

from agentauth.broker import phantom

_SECRET_NAME = re.compile(
    r"key|token|secret|sig|password|passwd|pass|auth|code|credential|session|jwt|bearer",
    re.IGNORECASE,
)
_LONG_TOKEN = re.compile(r"^[A-Za-z0-9_\-./+=]{24,}$")

Sink = Callable[[dict[str, object]], None]


def mask_query(query: str) -> str:
    """Return ``query`` with credential-looking values replaced by ``***``."""
    if not query:
        return ""
    out = []
    for name, value in parse_qsl(query, keep_blank_values=True):
        secretish = (
            _SECRET_NAME.search(name)
            or phantom.MARKER in value
            or phantom.prefix_of(value)
            or _LONG_TOKEN.match(value)
        )
        out.append(f"{name}={'***' if secretish and value else value}")
    return "&".join(out)


def shown_path(target: str) -> str:
    """Return the path plus its masked query, for the log (at most 512 characters)."""
    path, _, query = target.partition("?")
    masked = mask_query(query)
    if phantom.MARKER in path:
        path = phantom.PATTERN.sub("***", path)
    return (f"{path}?{masked}" if masked else path)[:512]


class ThreadedSink:
    """Hands events to ``write`` on a background thread; :meth:`close` flushes them."""

    def __init__(self, write: Sink) -> None:
        """Start the writer thread."""
        self._write = write
        self._queue: queue.SimpleQueue[dict[str, object] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="agentauth-audit", daemon=True)
        self._thread.start()
        self.errors = 0

    def __call__(self, event: dict[str, object]) -> None:
        """Queue one event."""
        self._queue.put(event)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            try:
                self._write(item)
            except Exception:  # an unwritable log must not kill the proxy
                self.errors += 1

    def close(self, timeout: float = 5.0) -> None:
        """Write what is queued, then stop the thread."""
        self._queue.put(None)
        self._thread.join(timeout)
