"""A loopback container-credentials endpoint: refreshable AWS sessions for the life of a run.

Why: an STS session lasts an hour, an agent works for many. Every AWS SDK and the CLI
ask ``AWS_CONTAINER_CREDENTIALS_FULL_URI`` (with ``AWS_CONTAINER_AUTHORIZATION_TOKEN``
in the ``Authorization`` header) for credentials and ask again before the
``Expiration`` it returned, exactly as on ECS; aws-vault's ``--ecs-server`` serves
developers the same way. This server answers on 127.0.0.1 only, refuses any request
without the per-run token (compared in constant time), and mints a new session
through ``refresh`` only when the one it holds is within ``margin`` of its expiry.
It never logs a request line or a value.
"""

from __future__ import annotations

import hmac
import json
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from agentauth.model import Secret
from agentauth.redact import Scrubber

FULL_URI = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
AUTH_TOKEN = "AWS_CONTAINER_AUTHORIZATION_TOKEN"  # noqa: S105 - a variable name
STATIC = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
)
"""What the child must not also get: static keys in the environment win over the endpoint."""
_PATH = "/credentials"

Refresh = Callable[[], Mapping[str, Secret]]
"""Returns a session's variables (AWS_ACCESS_KEY_ID... and AWS_CREDENTIAL_EXPIRATION)."""


@dataclass(frozen=True)
class Endpoint:
    """Where the running server answers, and the variables that point the child at it."""

    url: str
    token: Secret

    def env(self) -> dict[str, str]:
        """The two variables every AWS SDK reads (the token is the child's to hold)."""
        return {FULL_URI: self.url, AUTH_TOKEN: self.token.reveal()}


def _expiry(session: Mapping[str, Secret]) -> datetime | None:
    raw = session.get("AWS_CREDENTIAL_EXPIRATION")
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw.reveal().strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class CredentialServer:
    """Serve one grant's AWS sessions on loopback; ``start`` then ``stop`` (or ``with``)."""

    def __init__(
        self,
        refresh: Refresh,
        *,
        initial: Mapping[str, Secret] | None = None,
        margin: timedelta = timedelta(minutes=5),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """Keep ``refresh`` (called lazily) and an optional still-fresh first session."""
        self._refresh = refresh
        self._session: Mapping[str, Secret] | None = dict(initial) if initial else None
        self._margin = margin
        self._clock = clock
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._token = Secret(secrets.token_urlsafe(32))
        self.mints = 0
        """How many sessions ``refresh`` produced (tests and the run-end event read it)."""
        self.refused = 0
        """Requests refused for a missing or wrong token."""

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Endpoint:
        """Bind 127.0.0.1 on a free port and serve in a daemon thread."""
        if self._server is not None:
            raise RuntimeError("the credential server is already running")
        server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, name="agentauth-credserver", daemon=True
        )
        self._thread.start()
        port = server.server_address[1]
        return Endpoint(f"http://127.0.0.1:{port}{_PATH}", self._token)

    def stop(self) -> None:
        """Stop serving and close the socket; idempotent."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._session = None

    def __enter__(self) -> Endpoint:
        """Start, for ``with CredentialServer(...) as endpoint``."""
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        """Stop."""
        self.stop()

    # ------------------------------------------------------------------ answers

    def current(self) -> Mapping[str, Secret]:
        """Return a session valid for at least ``margin``, minting one if needed."""
        with self._lock:
            session = self._session
            expiry = _expiry(session) if session else None
            if session is None or expiry is None or expiry - self._margin <= self._clock():
                session = dict(self._refresh())
                self._session = session
                self.mints += 1
            return session

    def _authorised(self, header: str | None) -> bool:
        return header is not None and hmac.compare_digest(
            header.encode(), self._token.reveal().encode()
        )

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "agentauth"
            sys_version = ""

            def do_GET(self) -> None:
                if self.path.split("?", 1)[0] != _PATH:
                    self._send(404, {"code": "NotFound", "message": "no such path"})
                    return
                if not owner._authorised(self.headers.get("Authorization")):
                    owner.refused += 1
                    self._send(401, {"code": "Unauthorized", "message": "wrong token"})
                    return
                try:
                    session = owner.current()
                except Exception as exc:  # answered, never raised into the server thread
                    text = Scrubber(owner._session.values() if owner._session else ())(
                        f"{type(exc).__name__}: {exc}"
                    )
                    self._send(500, {"code": "RefreshFailed", "message": text[:300]})
                    return
                body = {
                    "AccessKeyId": session["AWS_ACCESS_KEY_ID"].reveal(),
                    "SecretAccessKey": session["AWS_SECRET_ACCESS_KEY"].reveal(),
                    "Token": session["AWS_SESSION_TOKEN"].reveal(),
                    "Expiration": session["AWS_CREDENTIAL_EXPIRATION"].reveal(),
                }
                self._send(200, body)

            def _send(self, status: int, body: Mapping[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return None  # never log a request: no line, no header, no value

        return Handler


def child_env(env: Mapping[str, str], endpoint: Endpoint) -> dict[str, str]:
    """Return ``env`` pointed at ``endpoint``: static session keys out, the endpoint in."""
    out = {k: v for k, v in env.items() if k not in STATIC}
    out.update(endpoint.env())
    return out


class AwsSessions:
    """The ``run`` sidecar: serves one AWS grant's sessions to the child while it runs.

    ``start`` returns the endpoint's two variables and ``None`` for the static session
    variables (the SDKs prefer static keys in the environment over the endpoint, so
    they must not be there too); sessions are minted through
    :func:`agentauth.service.provision.mint_grant`, which refuses a revoked grant.
    """

    def __init__(
        self, project_root: Path, grant_id: str, initial: Mapping[str, str] | None = None
    ) -> None:
        """Remember the grant; ``initial`` is the still-fresh session ``.env.ai`` holds."""
        self._root = project_root
        self._grant = grant_id
        first = {k: Secret(v) for k, v in (initial or {}).items() if k in STATIC}
        self._server = CredentialServer(self._mint, initial=first if len(first) == 4 else None)

    def _mint(self) -> Mapping[str, Secret]:
        from agentauth.service.provision import mint_grant

        return mint_grant(self._root, self._grant, reason="run: credential server refresh")

    def start(self, env: Mapping[str, str]) -> Mapping[str, str | None]:
        """Start serving; the child's AWS SDKs find the endpoint in the returned variables."""
        endpoint = self._server.start()
        return {**dict.fromkeys(STATIC), **endpoint.env()}

    def stop(self) -> None:
        """Stop serving (the child has exited)."""
        self._server.stop()
