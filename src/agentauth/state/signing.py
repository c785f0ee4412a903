"""agentauth's own Ed25519 signing key: signs the audit-log head and attestations.

Why a key of its own, outside the project: a signature is evidence only if the
thing that could rewrite the signed data cannot also make the signature. The key
lives in the OS keyring when a secure backend exists, else in a 0600 file under
``AGENTAUTH_HOME`` (``signing.key``, 32 raw bytes in hex). The public half is kept
beside it in ``signing.pub`` together with where the private half lives, so that
readers (``log --verify``, ``verify-attestation``) never touch the keyring, and the
hot path (``run``, one ``request`` event per brokered call) imports ``keyring`` only
when the key really is there.

Honest limit: the file fallback protects against a change made by someone who can
write the project's state but not the user's home directory (another tool, a
sandboxed agent); the same Unix user can read it. Only the keyring, or a key kept
on another machine, raises the bar further.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from agentauth.errors import StateError
from agentauth.state import paths

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

KEY_FILE = "signing.key"
PUB_FILE = "signing.pub"
KEYRING_SERVICE = "agentauth-signing"
"""A keyring service of its own: the user's locked secrets and agentauth's key never mix."""
KEYRING_NAME = "ed25519"


def _home() -> Path:
    return paths.home()


def _write_private(path: Path, text: str, mode: int) -> None:
    """Write ``text`` atomically with ``mode`` (the key file is 0600 from its first byte)."""
    from agentauth.fsutil import write_atomic

    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomic(path, text, mode=mode)
    except OSError as exc:
        raise StateError(f"cannot write {path}: {exc.strerror}") from None


def _keyring_usable() -> bool:
    from agentauth.state import secretstore

    try:
        return secretstore.is_secure(secretstore.backend_name())
    except Exception:  # any keyring failure means: use the file
        return False


def _read_marker() -> dict[str, str] | None:
    try:
        data = json.loads((_home() / PUB_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise StateError(f"cannot read {_home() / PUB_FILE}: {exc}") from None
    if not isinstance(data, dict) or "public" not in data or "store" not in data:
        raise StateError(f"{_home() / PUB_FILE} is damaged; move it aside to make a new key")
    return {str(k): str(v) for k, v in data.items()}


def _load_private_hex(store: str) -> str | None:
    if store == "keyring":
        from agentauth.state.secretstore import KeyringStore

        value = KeyringStore(KEYRING_SERVICE).get(KEYRING_NAME)
        return None if value is None else value.reveal()
    try:
        return (_home() / KEY_FILE).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StateError(f"cannot read the signing key {_home() / KEY_FILE}: {exc}") from None


def _create() -> Ed25519PrivateKey:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    private_hex = key.private_bytes_raw().hex()
    store = "file"
    if _keyring_usable():
        from agentauth.secret import Secret
        from agentauth.state.secretstore import KeyringStore

        try:
            KeyringStore(KEYRING_SERVICE).set(KEYRING_NAME, Secret(private_hex))
            store = "keyring"
        except Exception:  # fall back to the 0600 file
            store = "file"
    if store == "file":
        _write_private(_home() / KEY_FILE, private_hex + "\n", 0o600)
    marker = {"public": key.public_key().public_bytes_raw().hex(), "store": store}
    _write_private(_home() / PUB_FILE, json.dumps(marker) + "\n", 0o644)
    return key


@lru_cache(maxsize=4)
def _private_for(home: str) -> Ed25519PrivateKey:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    marker = _read_marker()
    if marker is None:
        return _create()
    private_hex = _load_private_hex(marker["store"])
    if private_hex is None:
        raise StateError(
            f"the signing key is missing from the {marker['store']} although "
            f"{_home() / PUB_FILE} names it; restore it, or move {PUB_FILE} aside to start a "
            "new key (earlier signatures then no longer verify with the new key)"
        )
    try:
        key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(private_hex))
    except ValueError:
        raise StateError("the stored signing key is damaged") from None
    if key.public_key().public_bytes_raw().hex() != marker["public"]:
        raise StateError(f"the signing key does not match {_home() / PUB_FILE}")
    return key


def private_key() -> Ed25519PrivateKey:
    """Return this user's signing key, creating it on first use (cached per process)."""
    return _private_for(str(_home()))


def public_key_hex() -> str | None:
    """Return the public key (64 hex digits) without touching the private half; None if none."""
    marker = _read_marker()
    return marker["public"] if marker else None


def public_key(hex_key: str | None = None) -> Ed25519PublicKey | None:
    """Return ``hex_key`` (or this user's public key) as a key object; None when there is none."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    text = hex_key if hex_key is not None else public_key_hex()
    if text is None:
        return None
    try:
        return Ed25519PublicKey.from_public_bytes(bytes.fromhex(text))
    except ValueError:
        raise StateError(f"not an Ed25519 public key: {text[:16]}...") from None


def sign(data: bytes) -> bytes:
    """Sign ``data`` with this user's key."""
    return private_key().sign(data)


def verify(data: bytes, signature: bytes, hex_key: str | None = None) -> bool:
    """Return True when ``signature`` over ``data`` verifies with the given or own public key."""
    from cryptography.exceptions import InvalidSignature

    key = public_key(hex_key)
    if key is None:
        return False
    try:
        key.verify(signature, data)
    except InvalidSignature:
        return False
    return True


def public_key_pem(hex_key: str | None = None) -> str:
    """Return the public key as a PEM ``SubjectPublicKeyInfo`` (what ``--key`` files hold)."""
    from cryptography.hazmat.primitives import serialization

    key = public_key(hex_key)
    if key is None:
        raise StateError("there is no signing key yet (agentauth makes one on first use)")
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def load_public_key_file(path: Path) -> str:
    """Read a public key file (PEM, or 64 hex digits) and return it as hex."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise StateError(f"cannot read the key file {path}: {exc.strerror}") from None
    if "BEGIN" in text:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        try:
            key = serialization.load_pem_public_key(text.encode("ascii"))
        except ValueError:
            raise StateError(f"{path} is not a PEM public key") from None
        if not isinstance(key, Ed25519PublicKey):
            raise StateError(f"{path} is not an Ed25519 public key")
        return key.public_bytes_raw().hex()
    try:
        if len(bytes.fromhex(text)) == 32:
            return text.lower()
    except ValueError:
        pass
    raise StateError(f"{path} holds neither a PEM nor a hex Ed25519 public key")


def key_id(hex_key: str) -> str:
    """Return a short, stable identifier of a public key (DSSE ``keyid``)."""
    import hashlib

    return hashlib.sha256(bytes.fromhex(hex_key)).hexdigest()
