"""A tiny HTTPS stand-in for an LLM API, for the broker walkthrough (never used by agentauth).

``python examples/broker_demo_upstream.py --port 9443 --ca demo-ca.pem`` makes a
throwaway CA and certificate for 127.0.0.1, writes the CA (public) to ``--ca`` and
answers like a small OpenAI-style API: ``GET /v1/models`` (200 when a bearer key
is sent, 401 otherwise), ``POST /v1/chat/completions`` (server-sent events), and
404 for the rest. It prints which key it received, masked, so the walkthrough can
show that the real key, not the phantom, reached the API.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import ipaddress
import json
import ssl
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _certificates(ca_path: Path) -> ssl.SSLContext:
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "agentauth demo upstream CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=7))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=7))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    pem = leaf.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.NamedTemporaryFile(suffix=".pem") as handle:
        handle.write(pem)
        handle.flush()
        context.load_cert_chain(handle.name)
    return context


def _masked(value: str) -> str:
    return f"{value[:8]}…{value[-4:]}" if len(value) > 16 else "***"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        return None

    def _key(self) -> str:
        auth = self.headers.get("Authorization", "")
        return auth[7:] if auth.lower().startswith("bearer ") else ""

    def _json(self, status: int, body: object) -> None:
        data = json.dumps(body).encode() + b"\n"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        key = self._key()
        print(f"demo upstream: {self.command} {self.path} key={_masked(key) if key else 'none'}",
              flush=True)  # fmt: skip
        if self.path.split("?")[0] != "/v1/models":
            self._json(404, {"error": {"message": "not found"}})
        elif not key:
            self._json(401, {"error": {"message": "missing API key"}})
        else:
            self._json(200, {"object": "list", "data": [{"id": "demo-model"}],
                             "key_seen": _masked(key)})  # fmt: skip

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        key = self._key()
        print(f"demo upstream: {self.command} {self.path} key={_masked(key) if key else 'none'}",
              flush=True)  # fmt: skip
        if self.path != "/v1/chat/completions":
            self._json(404, {"error": {"message": "not found"}})
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for word in ("Hello", " from", " the", " demo", "[DONE]"):
            event = f"data: {json.dumps({'delta': word})}\n\n".encode()
            self.wfile.write(f"{len(event):x}\r\n".encode() + event + b"\r\n")
            self.wfile.flush()
            time.sleep(0.2)
        self.wfile.write(b"0\r\n\r\n")


def main(argv: list[str] | None = None) -> int:
    """Serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=9443)
    parser.add_argument("--ca", type=Path, default=Path("demo-ca.pem"))
    args = parser.parse_args(argv)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), _Handler)
    context = _certificates(args.ca)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print(f"demo upstream: https://127.0.0.1:{args.port} (CA in {args.ca})", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
