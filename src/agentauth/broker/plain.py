"""Absolute-form ``http://`` requests through the proxy: decided, never given a credential.

A brokered host is refused in plain form (credentials travel only over TLS), other
hosts obey ``network``; the requests are still checked for phantoms (a phantom sent
in clear to anyone is refused). One client connection may reach several hosts.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol
from urllib.parse import urlsplit

import h11

from agentauth.broker.enforce import Decision
from agentauth.broker.forward import Outcome, exchange, refuse
from agentauth.broker.upstream import Target, Upstream
from agentauth.broker.wire import Limits
from agentauth.config.brokerpolicy import BrokerPolicy


class Broker(Protocol):
    """What plain serving needs of :class:`agentauth.broker.proxy.Broker` (no import cycle)."""

    policy: BrokerPolicy
    limits: Limits

    async def head(
        self,
        conn: h11.Connection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        timeout: float,
    ) -> h11.Request | None:
        """Read the next request head."""

    def authorized(self, request: h11.Request) -> bool:
        """Check the proxy credential."""

    def judge(self, request: h11.Request, host: str, method: str, target: str) -> Decision:
        """Decide one request."""

    def event(
        self,
        method: str,
        host: str,
        target: str,
        out: Outcome,
        verdict: str,
        reason: str,
        decision: Decision | None = None,
        started: float | None = None,
    ) -> None:
        """Log one request event."""


async def serve_plain(
    broker: Broker,
    conn: h11.Connection,
    request: h11.Request,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
) -> None:
    """Serve absolute-form ``http://`` requests (one connection, possibly several hosts)."""
    upstreams: dict[tuple[str, int], Upstream] = {}
    try:
        while True:
            out = await _one(broker, conn, request, reader, writer, upstreams)
            if not out.keep or conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                return
            conn.start_next_cycle()
            nxt = await broker.head(conn, reader, writer, broker.limits.idle_timeout)
            if nxt is None or not broker.authorized(nxt) or nxt.method == b"CONNECT":
                return
            request = nxt
    finally:
        for upstream in upstreams.values():
            await upstream.close()


async def _one(
    broker: Broker,
    conn: h11.Connection,
    request: h11.Request,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    upstreams: dict[tuple[str, int], Upstream],
) -> Outcome:
    started = time.perf_counter()
    method = request.method.decode("ascii", "replace")
    parts = urlsplit(request.target.decode("latin-1"))
    host = (parts.hostname or "").lower()
    try:
        port = parts.port or 80
    except ValueError:
        port = -1
    origin = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if parts.scheme != "http" or not host or port < 0:
        decision = Decision(allowed=False, reason="only http:// URLs are proxied in plain form")
    elif broker.policy.for_host(host):
        decision = Decision(
            allowed=False,
            reason=f"{host} is brokered: use https:// (credentials are only injected over TLS)",
        )
    elif not broker.policy.network.permits(host):
        decision = Decision(
            allowed=False,
            reason=f"network.default is deny and {host} is not "
            f"in network.allow ({broker.policy.path}:{broker.policy.network.line})",
        )
    else:
        decision = broker.judge(request, host, method, origin)
    if not decision.allowed:
        out = await refuse(conn, reader, writer, decision, request)
        broker.event(method, host, origin, out, "refused", decision.reason, decision, started)
        return out
    upstream = upstreams.get((host, port))
    if upstream is None:
        upstream = upstreams[(host, port)] = Upstream(Target(host, port, None), broker.limits)
    out = await exchange(conn, reader, writer, request, decision, upstream, broker.limits)
    broker.event(method, host, origin, out, "allowed", decision.reason, decision, started)
    return out
