"""``CONNECT`` to a host nobody brokers: a byte pipe, TLS untouched, counted for the audit event."""

from __future__ import annotations

import asyncio
import contextlib
import ssl

from agentauth.broker.wire import BUF


async def tunnel(
    host: str,
    port: int,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    connect_timeout: float,
) -> tuple[int, int] | None:
    """Pipe the client to ``host:port`` both ways until either side ends.

    Returns the bytes sent (client to host, host to client); None, after answering
    502, when the host cannot be reached.
    """
    try:
        up_reader, up_writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, limit=BUF), connect_timeout
        )
    except (OSError, TimeoutError):
        writer.write(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n")
        return None
    writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
    counts = [0, 0]

    async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter, i: int) -> None:
        try:
            while data := await src.read(BUF):
                counts[i] += len(data)
                dst.write(data)
                await dst.drain()
        except (OSError, ssl.SSLError):
            pass
        finally:
            with contextlib.suppress(OSError):
                if dst.can_write_eof():
                    dst.write_eof()

    try:
        await asyncio.gather(pipe(reader, up_writer, 0), pipe(up_reader, writer, 1))
    finally:
        up_writer.close()
    return counts[0], counts[1]
