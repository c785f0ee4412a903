"""One request/response exchange: decided, sent upstream, and the response streamed back.

Both sides speak HTTP/1.1 through ``h11``, which rejects malformed framing and
re-frames bodies itself, so what reaches the upstream is never the client's raw
bytes (no smuggling through ambiguous framing). Bodies are relayed piece by piece
as they arrive, never buffered whole: a server-sent event reaches the client as
soon as the upstream sends it.

A response body with one ``Content-Length`` (the large downloads) is counted by the
broker itself once h11 has parsed the head: the bytes go from the upstream's
reader to the client's h11 connection (which still checks the length) without a
second parse, which is most of the broker's CPU on a streamed download. Chunked
and read-until-close bodies (SSE, LLM streams) stay with h11.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from dataclasses import dataclass

import h11

from agentauth.broker.enforce import Decision, forwardable, refusal_body
from agentauth.broker.upstream import Upstream
from agentauth.broker.wire import (
    BUF,
    Idle,
    Limits,
    ProtocolFailure,
    answer,
    has_body,
    next_event,
    send,
    watch,
)


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
        async with asyncio.timeout(1.0):
            await next_event(conn, reader)
    await answer(conn, writer, 403, refusal_body(decision), close)
    await send(conn, writer, h11.EndOfMessage())
    return Outcome(status=403, keep=not close, reason=decision.reason)


def counted_length(request: h11.Request, response: h11.Response) -> int | None:
    """The body length when the response is framed by one Content-Length, else None."""
    if request.method == b"HEAD" or response.status_code in (204, 304):
        return None
    lengths = [v for n, v in response.headers if n == b"content-length"]
    if len(lengths) != 1 or any(n == b"transfer-encoding" for n, _ in response.headers):
        return None
    return int(lengths[0])  # h11 has validated it (digits only)


def keeps_alive(response: h11.Response) -> bool:
    """Return True when the upstream lets the connection carry another request."""
    tokens = {
        t.strip().lower() for n, v in response.headers if n == b"connection" for t in v.split(b",")
    }
    return response.http_version == b"1.1" and b"close" not in tokens


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
    async with watch(limits.body_timeout) as idle:
        await _request_body(conn, reader, writer, request, decision, upstream, idle, out)
    try:
        async with asyncio.timeout(limits.response_timeout):
            event = await _response_head(conn, writer, upstream)
    except (h11.RemoteProtocolError, OSError, TimeoutError, ssl.SSLError) as exc:
        await upstream.close()
        return await _bad_gateway(conn, writer, request, out, f"the upstream failed: {exc}")
    out.status = event.status_code
    try:
        async with watch(limits.body_timeout) as idle:
            reused = await _relay_body(conn, writer, upstream, idle, out, event, request)
    except (ProtocolFailure, h11.ProtocolError, OSError, TimeoutError, ssl.SSLError) as exc:
        # The head went out, so no 502 can follow: the client sees the body cut short
        # (the connection closes), and the audit event says why.
        await upstream.close()
        out.keep = False
        out.reason = f"the response was cut off: {exc or type(exc).__name__}"[:300]
        return out
    if not reused:
        await upstream.close()
    return out


async def _request_body(
    conn: h11.Connection,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    request: h11.Request,
    decision: Decision,
    upstream: Upstream,
    idle: Idle,
    out: Outcome,
) -> None:
    """Send the request upstream, its body as it arrives (a small request in one write)."""
    assert upstream.writer is not None
    up = upstream.conn
    head = h11.Request(method=request.method, target=decision.target, headers=decision.headers)
    pending = [up.send(head) or b""]
    if conn.they_are_waiting_for_100_continue:
        await _flush(upstream.writer, pending)
        await send(conn, writer, h11.InformationalResponse(status_code=100, headers=[]))
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            await _flush(upstream.writer, pending)
            conn.receive_data(await reader.read(BUF))
            idle.kick()
        elif isinstance(event, h11.Data):
            out.bytes_in += len(event.data)
            pending.append(up.send(event) or b"")
        elif isinstance(event, h11.EndOfMessage):
            pending.append(up.send(h11.EndOfMessage()) or b"")
            await _flush(upstream.writer, pending)
            return
        else:
            raise ProtocolFailure("the client closed the connection inside a request body")


async def _response_head(
    conn: h11.Connection, writer: asyncio.StreamWriter, upstream: Upstream
) -> h11.Response:
    """Wait for the upstream's response head, passing 1xx answers on (never a 101)."""
    assert upstream.reader is not None
    while True:
        event = await next_event(upstream.conn, upstream.reader)
        if isinstance(event, h11.InformationalResponse):
            if event.status_code != 101:
                await send(conn, writer, event)
            continue
        if isinstance(event, h11.Response):
            return event
        raise h11.RemoteProtocolError("no response")


async def _flush(writer: asyncio.StreamWriter, pending: list[bytes]) -> None:
    """Write what is pending in one piece (one TLS record, one segment for a small reply)."""
    data = b"".join(pending)
    pending.clear()
    if data:
        writer.write(data)
        await writer.drain()


async def _relay_body(
    conn: h11.Connection,
    writer: asyncio.StreamWriter,
    upstream: Upstream,
    idle: Idle,
    out: Outcome,
    head: h11.Response,
    request: h11.Request,
) -> bool:
    """Relay the response head and body; return whether the upstream can be reused.

    What h11 already holds is sent with the head in one write. A chunked or
    read-until-close body stays with h11 event by event, each written before the
    next read (so an SSE event is never held back); a counted body continues raw.
    """
    assert upstream.reader is not None
    up = upstream.conn
    length = counted_length(request, head)
    pending = [conn.send(_forwarded(head)) or b""]
    while True:
        event = up.next_event()
        if event is h11.NEED_DATA:
            await _flush(writer, pending)
            if length is not None:
                break
            up.receive_data(await upstream.reader.read(BUF))
            idle.kick()
        elif isinstance(event, h11.Data):
            out.bytes_out += len(event.data)
            length = None if length is None else length - len(event.data)
            pending.append(conn.send(event) or b"")
        elif isinstance(event, h11.EndOfMessage):
            pending.append(conn.send(h11.EndOfMessage()) or b"")
            await _flush(writer, pending)
            return upstream.reusable()
        else:
            raise ProtocolFailure("the upstream closed the connection inside a response")
    while length > 0:
        data = await upstream.reader.read(min(BUF, length))
        if not data:
            raise ProtocolFailure("the upstream closed the connection inside a response")
        idle.kick()
        length -= len(data)
        out.bytes_out += len(data)
        await send(conn, writer, h11.Data(data=data))
    await send(conn, writer, h11.EndOfMessage())
    return upstream.counted_body_done(keeps_alive(head))


def _forwarded(response: h11.Response) -> h11.Response:
    return h11.Response(
        status_code=response.status_code,
        headers=forwardable(response.headers),
        reason=response.reason,
    )


async def _bad_gateway(
    conn: h11.Connection,
    writer: asyncio.StreamWriter,
    request: h11.Request,
    out: Outcome,
    reason: str,
) -> Outcome:
    body = json.dumps({"error": f"agentauth: {reason}"}).encode() + b"\n"
    close = has_body(request) and conn.their_state is not h11.DONE
    if conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):
        await answer(conn, writer, 502, body, close)
        await send(conn, writer, h11.EndOfMessage())
    out.status = 502
    out.reason = reason[:300]
    out.keep = not close
    return out
