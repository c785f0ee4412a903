"""Where a brokered request goes: the target of a host, and a reusable connection to it."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import h11

from agentauth.broker.wire import BUF, Limits
from agentauth.config.brokerpolicy import BrokeredEntry


@dataclass(frozen=True)
class Target:
    """Where requests of one client connection go: scheme, address and TLS settings."""

    host: str
    port: int
    tls: ssl.SSLContext | None
    server_hostname: str | None = None


def make_target(entry: BrokeredEntry, host: str, port: int, root: Path) -> Target:
    """The target of ``host`` for ``entry``: its ``upstream`` (tests, gateways) or the host.

    The context trusts the system CAs plus ``upstream_ca`` (relative to ``root``) and
    offers only HTTP/1.1 (the broker relays HTTP/1.1; see docs/walkthrough-broker.md).
    """
    context = ssl.create_default_context()
    if entry.upstream_ca:
        ca = Path(entry.upstream_ca)
        context.load_verify_locations(cafile=str(ca if ca.is_absolute() else root / ca))
    context.set_alpn_protocols(["http/1.1"])
    if entry.upstream:
        parts = urlsplit(entry.upstream)
        tls = parts.scheme == "https"
        name = parts.hostname or host
        return Target(name, parts.port or (443 if tls else 80), context if tls else None, name)
    return Target(host, port, context, host)


class Upstream:
    """A keep-alive HTTP/1.1 connection to one target, reopened when it cannot be reused."""

    def __init__(self, target: Target, limits: Limits) -> None:
        """Remember the target; the connection is opened on first use."""
        self.target = target
        self.limits = limits
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.conn = self._fresh()

    def _fresh(self) -> h11.Connection:
        return h11.Connection(h11.CLIENT, max_incomplete_event_size=self.limits.max_head)

    async def ready(self) -> None:
        """Open the connection if there is none or the last one cannot take another request."""
        if (
            self.writer is not None
            and self.conn.our_state is h11.IDLE
            and not self.writer.is_closing()
            and not (self.reader and self.reader.at_eof())
        ):
            return
        await self.close()
        self.conn = self._fresh()
        t = self.target
        self.reader, self.writer = await asyncio.wait_for(
            asyncio.open_connection(
                t.host,
                t.port,
                ssl=t.tls,
                server_hostname=t.server_hostname if t.tls else None,
                limit=BUF,
            ),
            self.limits.connect_timeout,
        )

    def reusable(self) -> bool:
        """Start the next cycle if both sides finished cleanly; return whether it worked."""
        if self.conn.our_state is h11.DONE and self.conn.their_state is h11.DONE:
            self.conn.start_next_cycle()
            return True
        return False

    def counted_body_done(self, keep_alive: bool) -> bool:
        """After a response body the broker counted itself: reuse with a fresh h11 state.

        h11 saw the head and then no more bytes, so its state is mid-body; the socket
        is at a message boundary (exactly Content-Length bytes were read), which is
        all a new cycle needs. Returns whether the connection can be reused.
        """
        if not keep_alive or self.conn.our_state is not h11.DONE:
            return False
        self.conn = self._fresh()
        return True

    async def close(self) -> None:
        """Close the connection (quietly)."""
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError, TimeoutError, ssl.SSLError, asyncio.CancelledError):
                await asyncio.wait_for(self.writer.wait_closed(), 1.0)
        self.reader = self.writer = None
