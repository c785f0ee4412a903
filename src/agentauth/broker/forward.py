"""One request/response exchange: decided, sent upstream, and the response streamed back.

Both sides speak HTTP/1.1 through ``h11``, which rejects malformed framing and
re-frames bodies itself, so what reaches the upstream is never the client's raw
bytes (no smuggling through ambiguous framing). Bodies are relayed chunk by chunk
as they arrive, never buffered whole: a server-sent event reaches the client as
soon as the upstream sends it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from dataclasses import dataclass

import h11

from agentauth.broker.enforce import Decision, forwardable, refusal_body

BUF = 256 * 1024


@dataclass(frozen=True)
class Limits:
    """Sizes and timeouts that keep a misbehaving client or upstream from holding the broker."""

    max_head: int = 32 * 1024
    """Largest request or response head (request line plus headers), bytes."""
    head_timeout: float = 30.0
    """A client must send a whole request head within this (slow-client defence)."""
    idle_timeout: float = 120.0
    """A keep-alive connection with no new request is closed after this."""
    body_timeout: float = 60.0
    """Longest wait for the next piece of a body, either way."""
    connect_timeout: float = 10.0
    response_timeout: float = 600.0
    """Longest wait for the upstream's response head (LLM calls can think for minutes)."""
    max_connections: int = 512
    ports: tuple[int, ...] = (443,)
    """Ports CONNECT may reach."""


@dataclass(frozen=True)
class Target:
    """Where requests of one client connection go: scheme, address and TLS settings."""

    host: str
    port: int
    tls: ssl.SSLContext | None
    server_hostname: str | None = None


class ProtocolFailure(Exception):
    """The client or upstream broke HTTP; the connection is closed."""


async def next_event(conn: h11.Connection, reader: asyncio.StreamReader, timeout: float) -> object:
    """Return the next h11 event, reading from ``reader`` as needed (``timeout`` per read)."""
    while True:
        event = conn.next_event()
        if event is not h11.NEED_DATA:
            return event
        data = await asyncio.wait_for(reader.read(BUF), timeout)
        conn.receive_data(data)


async def send(conn: h11.Connection, writer: asyncio.StreamWriter, event: h11.Event) -> None:
    """Send one h11 event and wait for the socket buffer to drain."""
    data = conn.send(event)
    if data:
        writer.write(data)
        await writer.drain()


def json_response(
    status: int, body: bytes, close: bool, extra: list[tuple[bytes, bytes]] | None = None
) -> tuple[h11.Response, h11.Data]:
    """Build a small JSON response (refusals, proxy errors)."""
    headers = [
        *(extra or []),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"x-agentauth", b"refused" if status == 403 else b"error"),
    ]
    if close:
        headers.append((b"connection", b"close"))
    return h11.Response(status_code=status, headers=headers), h11.Data(data=body)


def has_body(request: h11.Request) -> bool:
    """Return True if the request announces a body (chunked or a non-zero length)."""
    for name, value in request.headers:
        if name == b"transfer-encoding":
            return True
        if name == b"content-length" and value.strip() != b"0":
            return True
    return False


def framing_conflict(request: h11.Request) -> bool:
    """Return True for both Content-Length and Transfer-Encoding, or several lengths."""
    names = [name for name, _ in request.headers]
    return (b"transfer-encoding" in names and b"content-length" in names) or names.count(
        b"content-length"
    ) > 1


class Upstream:
    """A keep-alive HTTP/1.1 connection to one target, reopened when it cannot be reused."""

    def __init__(self, target: Target, limits: Limits) -> None:
        """Remember the target; the connection is opened on first use."""
        self.target = target
        self.limits = limits
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.conn = h11.Connection(h11.CLIENT, max_incomplete_event_size=limits.max_head)

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
        self.conn = h11.Connection(h11.CLIENT, max_incomplete_event_size=self.limits.max_head)
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

    async def close(self) -> None:
        """Close the connection (quietly)."""
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError, TimeoutError, ssl.SSLError, asyncio.CancelledError):
                await asyncio.wait_for(self.writer.wait_closed(), 1.0)
        self.reader = self.writer = None


@dataclass
class Outcome:
    """What one exchange did, for the audit event."""

    status: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    keep: bool = True
    reason: str = ""


async def refuse(
    conn: h11.Connection,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    decision: Decision,
    request: h11.Request,
) -> Outcome:
    """Answer 403 with the JSON body; close if the request had a body we will not read."""
    close = has_body(request)
    if not close:  # read the empty body's end, so the connection can take the next request
        await next_event(conn, reader, 1.0)
    response, data = json_response(403, refusal_body(decision), close)
    await send(conn, writer, response)
    await send(conn, writer, data)
    await send(conn, writer, h11.EndOfMessage())
    return Outcome(status=403, keep=not close, reason=decision.reason)


async def exchange(
    conn: h11.Connection,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    request: h11.Request,
    decision: Decision,
    upstream: Upstream,
    limits: Limits,
) -> Outcome:
    """Relay one allowed request and its response; see the module docstring."""
    out = Outcome(reason=decision.reason)
    try:
        await upstream.ready()
    except (OSError, TimeoutError, ssl.SSLError) as exc:
        return await _bad_gateway(conn, writer, request, out, f"cannot reach the upstream: {exc}")
    assert upstream.reader is not None and upstream.writer is not None
    up = upstream.conn
    head = h11.Request(method=request.method, target=decision.target, headers=decision.headers)
    await send(up, upstream.writer, head)
    if conn.they_are_waiting_for_100_continue:
        await send(conn, writer, h11.InformationalResponse(status_code=100, headers=[]))
    while True:
        event = await next_event(conn, reader, limits.body_timeout)
        if isinstance(event, h11.Data):
            out.bytes_in += len(event.data)
            await send(up, upstream.writer, event)
        elif isinstance(event, h11.EndOfMessage):
            await send(up, upstream.writer, h11.EndOfMessage())
            break
        else:
            raise ProtocolFailure("the client closed the connection inside a request body")
    try:
        while True:
            event = await next_event(up, upstream.reader, limits.response_timeout)
            if isinstance(event, h11.InformationalResponse):
                if event.status_code != 101:
                    await send(conn, writer, event)
                continue
            if isinstance(event, h11.Response):
                break
            raise h11.RemoteProtocolError("no response")
    except (h11.RemoteProtocolError, OSError, TimeoutError, ssl.SSLError) as exc:
        await upstream.close()
        return await _bad_gateway(conn, writer, request, out, f"the upstream failed: {exc}")
    out.status = event.status_code
    await send(
        conn,
        writer,
        h11.Response(
            status_code=event.status_code, headers=forwardable(event.headers), reason=event.reason
        ),
    )
    while True:
        event = await next_event(up, upstream.reader, limits.body_timeout)
        if isinstance(event, h11.Data):
            out.bytes_out += len(event.data)
            await send(conn, writer, event)
        elif isinstance(event, h11.EndOfMessage):
            await send(conn, writer, h11.EndOfMessage())
            break
        else:
            raise ProtocolFailure("the upstream closed the connection inside a response")
    if not upstream.reusable():
        await upstream.close()
    return out


async def _bad_gateway(
    conn: h11.Connection,
    writer: asyncio.StreamWriter,
    request: h11.Request,
    out: Outcome,
    reason: str,
) -> Outcome:
    body = json.dumps({"error": f"agentauth: {reason}"}).encode() + b"\n"
    close = has_body(request) and conn.their_state is not h11.DONE
    response, data = json_response(502, body, close)
    if conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):
        await send(conn, writer, response)
        await send(conn, writer, data)
        await send(conn, writer, h11.EndOfMessage())
    out.status = 502
    out.reason = reason[:300]
    out.keep = not close
    return out
