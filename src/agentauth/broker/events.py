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
import time
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
    """Hands events to ``write`` on one background thread; :meth:`close` flushes them.

    The request thread only queues (no lock, no signature on its path). The writer
    collects events for up to ``linger`` seconds after the first one and hands them
    to ``write`` as one ordered batch (``auditlog.append_many``: one signed head per
    batch), so a stream of requests costs a few appends, not one signature each.
    """

    def __init__(
        self,
        write: Callable[[list[dict[str, object]]], None],
        batch: int = 256,
        linger: float = 0.05,
    ) -> None:
        """Start the writer; a batch is at most ``batch`` events or ``linger`` seconds old."""
        self._write = write
        self._batch = batch
        self._linger = linger
        self._queue: queue.SimpleQueue[dict[str, object] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="agentauth-audit", daemon=True)
        self._thread.start()
        self.errors = 0

    def __call__(self, event: dict[str, object]) -> None:
        """Queue one event."""
        self._queue.put(event)

    def _run(self) -> None:
        done = False
        while not done:
            item = self._queue.get()
            items: list[dict[str, object]] = []
            deadline = time.monotonic() + self._linger
            while item is not None:
                items.append(item)
                left = deadline - time.monotonic()
                if len(items) >= self._batch or left <= 0:
                    break
                try:
                    item = self._queue.get(timeout=left)
                except queue.Empty:
                    break
            done = item is None
            if not items:
                continue
            try:
                self._write(items)
            except Exception:  # an unwritable log must not kill the proxy
                self.errors += len(items)

    def close(self, timeout: float = 5.0) -> None:
        """Write what is queued, then stop the thread."""
        self._queue.put(None)
        self._thread.join(timeout)
