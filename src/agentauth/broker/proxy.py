"""The broker's listener: a loopback HTTP proxy that terminates TLS for brokered hosts only.

Every connection must present the per-run proxy credential (``Proxy-Authorization``,
checked in constant time), so other local users and processes cannot use the
broker or its injected credentials. ``CONNECT`` to a brokered host is answered with
a session-CA certificate and its requests are decided one by one
(:mod:`agentauth.broker.enforce`); ``CONNECT`` elsewhere is tunnelled untouched, or
refused under ``network.default: deny``. Plain ``http://`` requests are decided the
same way (a phantom in them is refused) but never get a credential injected.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hmac
import json
import secrets
import ssl
import time
from collections.abc import Callable
from pathlib import Path

import h11

from agentauth.broker.ca import SessionCA
from agentauth.broker.enforce import Decision, decide
from agentauth.broker.events import Sink, shown_path
from agentauth.broker.forward import Outcome, exchange, refuse
from agentauth.broker.plain import serve_plain
from agentauth.broker.resolver import PhantomResolver
from agentauth.broker.tunnel import tunnel
from agentauth.broker.upstream import Target, Upstream, make_target
from agentauth.broker.wire import (
    BUF,
    Limits,
    ProtocolFailure,
    answer,
    framing_conflict,
    next_event,
)
from agentauth.config.brokerpolicy import BrokerPolicy

USER = "agentauth"
CONFLICT = "conflicting Content-Length/Transfer-Encoding"


def _done(conn: h11.Connection) -> bool:
    return conn.our_state is h11.DONE and conn.their_state is h11.DONE


class Broker:
    """One broker session: policy, resolver, session CA, listener."""

    def __init__(
        self,
        policy: BrokerPolicy,
        resolver: PhantomResolver,
        *,
        agent: str,
        sink: Sink,
        limits: Limits | None = None,
        root: Path | None = None,
        token: str | None = None,
    ) -> None:
        """Prepare (no socket yet); ``root`` resolves relative ``upstream_ca`` paths."""
        self.policy = policy
        self.resolver = resolver
        self.agent = agent
        self.sink = sink
        self.limits = limits or Limits()
        self.root = root or Path.cwd()
        self.token = token or secrets.token_urlsafe(24)
        self._expected = f"{USER}:{self.token}".encode()
        self.ca = SessionCA({h for e in policy.entries for h in e.hosts}, agent)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._active = 0
        self.failures = 0
        self._targets: dict[tuple[str, int], Target] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.now: Callable[[], float] = time.time

    @property
    def proxy_url(self) -> str:
        """Return ``http://agentauth:<token>@127.0.0.1:<port>`` (holds the proxy credential)."""
        return f"http://{USER}:{self.token}@127.0.0.1:{self.port}"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen on ``host`` (loopback) and a random port; return the port."""
        self._server = await asyncio.start_server(self._accept, host, port, limit=BUF)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    async def close(self) -> None:
        """Stop listening and drop open connections."""
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # ------------------------------------------------------------------ connections

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        self._active += 1
        try:
            if self._active > self.limits.max_connections:
                return
            await self._first(reader, writer)
        except (OSError, TimeoutError, ssl.SSLError, ProtocolFailure, h11.ProtocolError):
            pass
        except asyncio.CancelledError:
            pass  # the broker is stopping; ending quietly keeps asyncio from printing a trace
        except Exception:  # a bug must cost one connection, never the broker (nor print a header)
            self.failures += 1
        finally:
            self._active -= 1
            writer.close()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(writer.wait_closed(), 1.0)
            if task is not None:
                self._tasks.discard(task)

    def authorized(self, request: h11.Request) -> bool:
        """Return True when ``request`` carries this run's proxy credential (constant time)."""
        for name, value in request.headers:
            if name != b"proxy-authorization":
                continue
            scheme, _, token = value.partition(b" ")
            if scheme.lower() != b"basic":
                return False
            try:
                given = base64.b64decode(token.strip(), validate=True)
            except (binascii.Error, ValueError):
                return False
            return hmac.compare_digest(given, self._expected)
        return False

    async def head(
        self,
        conn: h11.Connection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        timeout: float,
    ) -> h11.Request | None:
        """Read one request head within ``timeout``; answer 400/431 to a malformed one."""
        try:
            async with asyncio.timeout(timeout):
                event = await next_event(conn, reader)
        except h11.RemoteProtocolError as exc:
            status = exc.error_status_hint or 400
            with contextlib.suppress(h11.ProtocolError):
                body = b'{"error": "agentauth: malformed or oversized request"}\n'
                await answer(conn, writer, status, body, True)
            return None
        if isinstance(event, h11.Request):
            return event
        return None

    async def _first(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=self.limits.max_head)
        request = await self.head(conn, reader, writer, self.limits.head_timeout)
        if request is None:
            return
        if not self.authorized(request):
            body = b'{"error": "agentauth: proxy credential missing or wrong"}\n'
            challenge = [(b"proxy-authenticate", b'Basic realm="agentauth"')]
            await answer(conn, writer, 407, body, True, challenge)
            self.event(
                request.method.decode(),
                "-",
                "-",
                Outcome(status=407),
                "refused",
                "proxy credential missing or wrong",
            )
            return
        if request.method == b"CONNECT":
            await self._connect(conn, request, reader, writer)
        else:
            await serve_plain(self, conn, request, reader, writer)

    async def _connect(
        self,
        conn: h11.Connection,
        request: h11.Request,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        authority = request.target.decode("latin-1")
        host, _, port_text = authority.rpartition(":")
        host = host.strip("[]").lower().rstrip(".")
        started = time.perf_counter()
        if not port_text.isdigit() or not host:
            await self._answer(conn, writer, 400, "CONNECT needs host:port", authority, started)
            return
        port = int(port_text)
        if port not in self.limits.ports:
            await self._answer(
                conn, writer, 403, f"CONNECT to port {port} is not allowed", host, started
            )
            return
        trailing, _closed = conn.trailing_data
        if trailing:
            return  # a client that does not wait for the 200 is not speaking CONNECT properly
        entries = self.policy.for_host(host)
        if entries:
            writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            await writer.drain()
            await writer.start_tls(
                self.ca.server_context(host), ssl_handshake_timeout=self.limits.head_timeout
            )
            await self._serve(reader, writer, host, self._target(host, port))
            return
        network = self.policy.network
        if not network.permits(host):
            reason = (
                f"network.default is deny and {host} is not in network.allow "
                f"({self.policy.path}:{network.line})"
            )
            await self._answer(conn, writer, 403, reason, host, started)
            return
        await self._tunnel(host, port, reader, writer, started)

    async def _answer(
        self,
        conn: h11.Connection,
        writer: asyncio.StreamWriter,
        status: int,
        reason: str,
        host: str,
        started: float,
    ) -> None:
        body = json.dumps({"error": f"agentauth: {reason}"}).encode() + b"\n"
        await answer(conn, writer, status, body, True)
        out = Outcome(status=status, reason=reason)
        self.event("CONNECT", host, "-", out, "refused", reason, started=started)

    async def _tunnel(
        self,
        host: str,
        port: int,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        started: float,
    ) -> None:
        counts: tuple[int, int] | None = None
        try:
            counts = await tunnel(host, port, reader, writer, self.limits.connect_timeout)
        finally:
            if counts is None:
                out, why = Outcome(status=502), "tunnel: upstream unreachable"
            else:
                out, why = Outcome(200, *counts), "tunnelled (not brokered)"
            self.event("CONNECT", host, "-", out, "allowed", why, started=started)

    def _target(self, host: str, port: int) -> Target:
        """Where requests for ``host`` go; cached, since a TLS context loads the CA store."""
        key = (host, port)
        if key not in self._targets:
            self._targets[key] = make_target(self.policy.for_host(host)[0], host, port, self.root)
        return self._targets[key]

    # ------------------------------------------------------------------ requests

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, target: Target
    ) -> None:
        """Serve the requests of a terminated TLS connection to brokered ``host``."""
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=self.limits.max_head)
        upstream = Upstream(target, self.limits)
        timeout = self.limits.head_timeout
        try:
            while True:
                request = await self.head(conn, reader, writer, timeout)
                if request is None:
                    return
                timeout = self.limits.idle_timeout
                out = await self._one(conn, reader, writer, request, host, upstream)
                if (
                    not out.keep
                    or conn.our_state is not h11.DONE
                    or conn.their_state is not h11.DONE
                ):
                    return
                conn.start_next_cycle()
        finally:
            await upstream.close()

    async def _one(
        self,
        conn: h11.Connection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        request: h11.Request,
        host: str,
        upstream: Upstream,
    ) -> Outcome:
        started = time.perf_counter()
        method = request.method.decode("ascii", "replace")
        target = request.target.decode("latin-1")
        decision = self.judge(request, host, method, target)
        if not decision.allowed:
            out = await refuse(conn, reader, writer, decision, request)
            self.event(method, host, target, out, "refused", decision.reason, decision, started)
            return out
        out = await exchange(conn, reader, writer, request, decision, upstream, self.limits)
        self.event(method, host, target, out, "allowed", decision.reason, decision, started)
        return out

    def judge(self, request: h11.Request, host: str, method: str, target: str) -> Decision:
        """The one decision for a request to a brokered host: framing first, then the policy."""
        if framing_conflict(request):
            return Decision(allowed=False, reason=CONFLICT)
        return decide(
            self.policy,
            self.resolver,
            host=host,
            method=method,
            target=target,
            headers=list(request.headers),
            now=self.now(),
        )

    # ------------------------------------------------------------------ audit

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
        """Hand one ``request`` audit event to the sink (no header, no body, no secret)."""
        latency = (time.perf_counter() - started) * 1000 if started is not None else 0.0
        self.sink(
            {
                "agent": (decision.agent if decision else None) or self.agent,
                "grant": decision.grant_id if decision else None,
                "variable": decision.variable if decision else None,
                "method": method,
                "host": host,
                "path": shown_path(target) if target != "-" else "-",
                "status": out.status,
                "bytes_in": out.bytes_in,
                "bytes_out": out.bytes_out,
                "latency_ms": round(latency, 2),
                "decision": verdict,
                "reason": (out.reason or reason)[:300] if verdict == "allowed" else reason[:300],
            }
        )
