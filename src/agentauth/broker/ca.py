"""The per-run session CA: made in memory, name-constrained, trusted only by the child.

Why per run: a CA that outlives the session is a CA an attacker can steal and reuse.
Its private key exists only in this process's memory (never on disk, never in the
child's environment); what the child gets is a bundle file of public certificates.
The CA is name-constrained (critical ``nameConstraints``) to the brokered hosts, and
every IP range is excluded, so even a stolen key could not sign for any other site
with OpenSSL, Go, NSS or Node clients, which all enforce the extension. Leaf
certificates are made per host on first use and cached for the session.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import os
import secrets
import ssl
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SYSTEM_BUNDLES = (
    "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu, Alpine
    "/etc/pki/tls/certs/ca-bundle.crt",  # Fedora, RHEL
    "/etc/ssl/cert.pem",  # macOS, BSD
)
_LIFETIME = datetime.timedelta(days=2)
_CA_USAGE = x509.KeyUsage(
    digital_signature=True, key_cert_sign=True, crl_sign=True,
    content_commitment=False, key_encipherment=False, data_encipherment=False,
    key_agreement=False, encipher_only=False, decipher_only=False,
)  # fmt: skip


def system_bundle() -> str:
    """Return the PEM text of the system's trusted CAs (certifi's when the system has none)."""
    for candidate in SYSTEM_BUNDLES:
        try:
            return Path(candidate).read_text(encoding="ascii", errors="replace")
        except OSError:
            continue
    import certifi

    return Path(certifi.where()).read_text(encoding="ascii", errors="replace")


class SessionCA:
    """A CA for one broker session, and the leaf certificates it signs."""

    def __init__(self, hosts: Iterable[str], agent: str = "agent") -> None:
        """Make the CA key and certificate, constrained to ``hosts`` (DNS names)."""
        self._key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "agentauth broker"),
                x509.NameAttribute(NameOID.COMMON_NAME, f"agentauth session CA ({agent})"),
            ]
        )
        permitted = [x509.DNSName(h) for h in sorted(set(hosts))]
        excluded: list[x509.GeneralName] = [
            x509.IPAddress(ipaddress.ip_network("0.0.0.0/0")),
            x509.IPAddress(ipaddress.ip_network("::/0")),
        ]
        builder = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + _LIFETIME)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_CA_USAGE, critical=True)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(self._key.public_key()), critical=False
            )
        )
        if permitted:
            builder = builder.add_extension(
                x509.NameConstraints(permitted_subtrees=permitted, excluded_subtrees=excluded),
                critical=True,
            )
        self.cert = builder.sign(self._key, hashes.SHA256())
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._lock = threading.Lock()
        self._dir: tempfile.TemporaryDirectory[str] | None = None

    @property
    def pem(self) -> str:
        """Return the CA certificate (public) as PEM."""
        return self.cert.public_bytes(serialization.Encoding.PEM).decode("ascii")

    def _leaf(self, host: str, password: bytes) -> tuple[bytes, bytes]:
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + _LIFETIME)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()),
                critical=False,
            )
            .sign(self._key, hashes.SHA256())
        )
        key_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(password),
        )
        return cert.public_bytes(serialization.Encoding.PEM), key_pem

    def server_context(self, host: str) -> ssl.SSLContext:
        """Return the TLS server context presenting a leaf for ``host`` (made once, cached).

        ``ssl`` loads keys only from files, so the leaf's key passes through one: a 0600
        file in a 0700 directory, encrypted with a random password kept in memory,
        deleted as soon as it is loaded.
        """
        with self._lock:
            ctx = self._contexts.get(host)
            if ctx is not None:
                return ctx
            password = secrets.token_bytes(32).hex().encode()
            cert_pem, key_pem = self._leaf(host, password)
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
            ctx.set_alpn_protocols(["http/1.1"])
            scratch = tempfile.mkdtemp(prefix="agentauth-leaf-")
            path = os.path.join(scratch, "leaf.pem")
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as handle:
                    handle.write(cert_pem + self.cert.public_bytes(serialization.Encoding.PEM))
                    handle.write(key_pem)
                ctx.load_cert_chain(path, password=password)
            finally:
                with contextlib.suppress(OSError):
                    os.unlink(path)
                with contextlib.suppress(OSError):
                    os.rmdir(scratch)
            self._contexts[host] = ctx
            return ctx

    def write_bundle(self, directory: Path | None = None) -> Path:
        """Write system CAs + this CA to a 0644 file in a private directory; return its path."""
        if directory is None:
            self._dir = tempfile.TemporaryDirectory(prefix="agentauth-broker-")
            directory = Path(self._dir.name)
        path = directory / "ca-bundle.pem"
        text = system_bundle().rstrip("\n") + "\n" + self.pem
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(text)
        return path

    def cleanup(self) -> None:
        """Remove the bundle's temporary directory, if this CA made one."""
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None
