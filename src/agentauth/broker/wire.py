"""HTTP/1.1 plumbing shared by both sides of the broker: limits, h11 reads and writes, timeouts.

Timeouts are a moving deadline (:class:`Idle`) rather than one ``asyncio.wait_for``
per read: ``wait_for`` wraps every read in a new task and timer, which cost more
CPU than the decryption on a streamed response; :class:`Idle` costs one clock read
per piece and re-arms its single timer only when it fires.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import h11

BUF = 256 * 1024
"""Read size on both sides (and the StreamReader limit)."""


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


class ProtocolFailure(Exception):
    """The client or upstream broke HTTP; the connection is closed."""


class Idle:
    """How long the current wait may last; :meth:`kick` after each piece of progress."""

    def __init__(self, seconds: float) -> None:
        """Start the clock: ``seconds`` without progress end the enclosing :func:`watch`."""
        self._loop = asyncio.get_running_loop()
        self.seconds = seconds
        self.last = self._loop.time()

    def kick(self) -> None:
        """Record progress (one clock read: cheap enough for every chunk)."""
        self.last = self._loop.time()

    def expect(self, seconds: float) -> None:
        """Allow ``seconds`` for the next wait (e.g. the response head), counting from now."""
        self.seconds = seconds
        self.last = self._loop.time()


@contextlib.asynccontextmanager
async def watch(seconds: float) -> AsyncIterator[Idle]:
    """Raise TimeoutError out of the block once it makes no progress for ``idle.seconds``."""
    idle = Idle(seconds)
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(None) as limit:

        def check() -> None:
            due = idle.last + idle.seconds
            if loop.time() >= due:
                limit.reschedule(due)  # in the past: the timeout fires now
            else:
                handle[0] = loop.call_at(due, check)

        handle = [loop.call_at(idle.last + seconds, check)]
        try:
            yield idle
        finally:
            handle[0].cancel()


async def next_event(
    conn: h11.Connection, reader: asyncio.StreamReader, idle: Idle | None = None
) -> object:
    """Return the next h11 event, reading from ``reader`` as needed (kicking ``idle``).

    The caller bounds the wait (:func:`watch`, or ``asyncio.timeout`` for a whole head).
    """
    while True:
        event = conn.next_event()
        if event is not h11.NEED_DATA:
            return event
        conn.receive_data(await reader.read(BUF))
        if idle is not None:
            idle.kick()


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


async def answer(
    conn: h11.Connection, writer: asyncio.StreamWriter, status: int, body: bytes, close: bool,
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:  # fmt: skip
    """Send a whole small JSON response (head and body; the caller ends the message)."""
    response, data = json_response(status, body, close, extra)
    await send(conn, writer, response)
    await send(conn, writer, data)


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
