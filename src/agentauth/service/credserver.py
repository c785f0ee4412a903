"""A loopback container-credentials endpoint: refreshable AWS sessions for the life of a run.

Why: an STS session lasts an hour, an agent works for many. Every AWS SDK and the CLI
ask ``AWS_CONTAINER_CREDENTIALS_FULL_URI`` (with ``AWS_CONTAINER_AUTHORIZATION_TOKEN``
in the ``Authorization`` header) for credentials and ask again before the
``Expiration`` it returned, exactly as on ECS; aws-vault's ``--ecs-server`` serves
developers the same way. This server answers on 127.0.0.1 only, refuses any request
without the per-run token (compared in constant time), and mints a new session
through ``refresh`` only when the one it holds is within ``margin`` of its expiry.
It never logs a request line or a value.

Every AWS grant of the run is served, not only the first: the first on the default
chain (``AWS_CONTAINER_CREDENTIALS_FULL_URI``), and each one as a named profile in an
AWS config file written for the run (``AWS_CONFIG_FILE``), whose
``credential_process`` asks this server for that grant's path. SDKs refresh
``credential_process`` credentials before their ``Expiration`` as they do the
endpoint's, so every profile stays fresh for the life of the run.
"""

from __future__ import annotations

import hmac
import json
import os
import re
import secrets
import shlex
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from agentauth.clock import parse_instant
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
_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
CONFIG_FILE = "AWS_CONFIG_FILE"

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
    return None if raw is None else parse_instant(raw.reveal())


class _Slot:
    """One grant's session: minted through ``refresh`` only when near expiry."""

    def __init__(self, refresh: Refresh, initial: Mapping[str, Secret] | None) -> None:
        self.refresh = refresh
        self.session: Mapping[str, Secret] | None = dict(initial) if initial else None
        self.lock = threading.Lock()
        self.mints = 0


class CredentialServer:
    """Serve AWS sessions on loopback; ``start`` then ``stop`` (or ``with``).

    ``refresh`` is the default session (``/credentials``); :meth:`add` serves more
    grants, each at ``/credentials/<name>``, behind the same token.
    """

    def __init__(
        self,
        refresh: Refresh,
        *,
        initial: Mapping[str, Secret] | None = None,
        margin: timedelta = timedelta(minutes=5),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """Keep ``refresh`` (called lazily) and an optional still-fresh first session."""
        self._slots: dict[str, _Slot] = {_PATH: _Slot(refresh, initial)}
        self._margin = margin
        self._clock = clock
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._token = Secret(secrets.token_urlsafe(32))
        self.refused = 0
        """Requests refused for a missing or wrong token."""

    @property
    def mints(self) -> int:
        """How many sessions were minted, over every grant (tests and the run-end event)."""
        return sum(slot.mints for slot in self._slots.values())

    def add(self, name: str, refresh: Refresh) -> str:
        """Serve another grant's sessions at ``/credentials/<name>``; return that path."""
        if not _NAME.fullmatch(name):
            raise ValueError(f"not a credential path name: {name!r}")
        path = f"{_PATH}/{name}"
        self._slots[path] = _Slot(refresh, None)
        return path

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
        for slot in self._slots.values():
            slot.session = None

    def __enter__(self) -> Endpoint:
        """Start, for ``with CredentialServer(...) as endpoint``."""
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        """Stop."""
        self.stop()

    # ------------------------------------------------------------------ answers

    def current(self, path: str = _PATH) -> Mapping[str, Secret]:
        """Return the session at ``path``, valid for at least ``margin``, minting one if needed."""
        slot = self._slots[path]
        with slot.lock:
            session = slot.session
            expiry = _expiry(session) if session else None
            if session is None or expiry is None or expiry - self._margin <= self._clock():
                session = dict(slot.refresh())
                slot.session = session
                slot.mints += 1
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
                path = self.path.split("?", 1)[0]
                if path not in owner._slots:
                    self._send(404, {"code": "NotFound", "message": "no such path"})
                    return
                if not owner._authorised(self.headers.get("Authorization")):
                    owner.refused += 1
                    self._send(401, {"code": "Unauthorized", "message": "wrong token"})
                    return
                try:
                    session = owner.current(path)
                except Exception as exc:  # answered, never raised into the server thread
                    held = owner._slots[path].session
                    text = Scrubber(held.values() if held else ())(f"{type(exc).__name__}: {exc}")
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


def profile_name(variable: str) -> str:
    """A grant's AWS profile: its policy entry's name in lower case (AWS_DEPLOY: aws_deploy)."""
    return re.sub(r"[^a-z0-9_.-]+", "-", variable.lower()).strip("-") or "agentauth"


def config_text(base_url: str, profiles: Sequence[tuple[str, str]]) -> str:
    """An AWS config file whose profiles fetch their sessions from this run's server.

    ``credential_process`` runs this module (:func:`main`) with the server's path of
    that grant; it reads the token from the child's ``AWS_CONTAINER_AUTHORIZATION_TOKEN``,
    so the file itself holds no secret.
    """
    python = shlex.quote(sys.executable)
    lines = ["# written by agentauth run for this session; removed when it ends"]
    for profile, path in profiles:
        lines += ["", f"[profile {profile}]",
                  f"credential_process = {python} -m agentauth.service.credserver "
                  f"{base_url}{path}"]  # fmt: skip
    return "\n".join(lines) + "\n"


class AwsSessions:
    """The ``run`` sidecar: serves every AWS grant's sessions to the child while it runs.

    ``grants`` are (grant id, policy entry name), the first on the default chain.
    ``start`` returns the endpoint's two variables, ``AWS_CONFIG_FILE`` (one profile
    per grant, see :func:`config_text`) and ``None`` for the static session variables
    (the SDKs prefer static keys in the environment over the endpoint, so they must
    not be there too); sessions are minted through
    :func:`agentauth.service.mint.mint_grant`, which refuses a revoked grant.
    """

    def __init__(
        self,
        project_root: Path,
        grants: Sequence[tuple[str, str]],
        initial: Mapping[str, str] | None = None,
    ) -> None:
        """Remember the grants; ``initial`` is the still-fresh session ``.env.ai`` holds."""
        self._root = project_root
        self._grants = list(grants)
        first = {k: Secret(v) for k, v in (initial or {}).items() if k in STATIC}
        # NOTE: with several AWS grants .env.ai holds one session and cannot say whose:
        # the default grant then mints its own on the first request.
        if len(self._grants) > 1:
            first = {}
        self._server = CredentialServer(
            self._minter(self._grants[0][0]), initial=first if len(first) == 4 else None
        )
        self._profiles: list[tuple[str, str]] = []
        for grant_id, variable in self._grants:
            self._profiles.append(
                (profile_name(variable), self._server.add(grant_id, self._minter(grant_id)))
            )
        self._folder: str | None = None

    @property
    def profiles(self) -> list[str]:
        """The profile names the child can pass as ``AWS_PROFILE``."""
        return [name for name, _path in self._profiles]

    def _minter(self, grant_id: str) -> Refresh:
        def mint() -> Mapping[str, Secret]:
            from agentauth.service.mint import mint_grant

            return mint_grant(self._root, grant_id, reason="run: credential server refresh")

        return mint

    def start(self, env: Mapping[str, str]) -> Mapping[str, str | None]:
        """Start serving; the child's AWS SDKs find the endpoint in the returned variables."""
        endpoint = self._server.start()
        base = endpoint.url[: -len(_PATH)]
        self._folder = tempfile.mkdtemp(prefix="agentauth-aws-")
        config = Path(self._folder) / "config"
        from agentauth.fsutil import write_atomic

        write_atomic(config, config_text(base, self._profiles), mode=0o600)
        return {**dict.fromkeys(STATIC), **endpoint.env(), CONFIG_FILE: str(config)}

    def stop(self) -> None:
        """Stop serving (the child has exited) and remove the run's config file."""
        self._server.stop()
        if self._folder is not None:
            import shutil

            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None


def main(argv: Sequence[str] | None = None) -> int:
    """``credential_process``: print the session at URL in the AWS process-credentials format."""
    import urllib.error
    import urllib.request

    args = list(sys.argv[1:] if argv is None else argv)
    token = os.environ.get(AUTH_TOKEN, "")
    if len(args) != 1 or not args[0].startswith("http://127.0.0.1:") or not token:
        sys.stderr.write("usage: a credential_process inside `agentauth run` (no endpoint/token)\n")
        return 2
    request = urllib.request.Request(args[0], headers={"Authorization": token})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - loopback
            body = json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        sys.stderr.write(f"agentauth credential server: {exc.code} {exc.read()[:300]!r}\n")
        return 1
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"agentauth credential server unreachable: {type(exc).__name__}\n")
        return 1
    out = {"Version": 1, "AccessKeyId": body["AccessKeyId"],
           "SecretAccessKey": body["SecretAccessKey"], "SessionToken": body["Token"],
           "Expiration": body["Expiration"]}  # fmt: skip
    sys.stdout.write(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
