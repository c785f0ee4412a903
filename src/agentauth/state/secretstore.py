"""The OS keyring behind one small interface, refusing backends that are not secure.

Why refuse: on a headless Linux machine ``keyring`` silently falls back to a failing
backend, and with ``keyrings.alt`` installed to a base64 *plaintext* file. agentauth
moves secrets out of the project precisely to stop them lying around in plaintext,
so it never writes to such a backend without being told to.
"""

from __future__ import annotations

from typing import Protocol

from agentauth.errors import ConfigError
from agentauth.secret import Secret

SERVICE = "agentauth"

# Backends that store nothing, fail everything, or store plaintext.
_INSECURE = (
    "keyring.backends.fail.",
    "keyring.backends.null.",
    "keyrings.alt.file.PlaintextKeyring",
    "keyrings.alt.",
)

NO_BACKEND_HELP = (
    "no secure keyring backend is available on this machine "
    "(common on headless Linux and in containers). Options:\n"
    "  1. start and unlock a Secret Service: dbus-run-session -- sh -c "
    "'echo -n pass | gnome-keyring-daemon --unlock; agentauth ...'\n"
    "  2. choose a backend explicitly with PYTHON_KEYRING_BACKEND "
    "(for example keyrings.cryptfile.cryptfile.CryptFileKeyring)\n"
    "  3. in CI, keep secrets in the CI's secret store and do not run `agentauth lock`.\n"
    "agentauth never falls back to storing secrets in plaintext."
)


def backend_name() -> str:
    """Return the fully-qualified class name of the active keyring backend."""
    import keyring

    backend = keyring.get_keyring()
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def is_secure(name: str) -> bool:
    """Return True when the named backend stores secrets somewhere other than plaintext."""
    if name.endswith("ChainerBackend"):
        return _chainer_has_secure()
    return not any(name.startswith(prefix) for prefix in _INSECURE)


def _chainer_has_secure() -> bool:
    import keyring

    backend = keyring.get_keyring()
    inner = getattr(backend, "backends", None)
    if not inner:
        return False
    names = [f"{type(b).__module__}.{type(b).__qualname__}" for b in inner]
    return any(not any(n.startswith(p) for p in _INSECURE) for n in names)


class SecretStore(Protocol):
    """Where long-lived values live outside the project (the OS keyring; tests pass a double)."""

    def get(self, name: str) -> Secret | None:
        """Return the stored value or None."""
        ...

    def set(self, name: str, value: Secret) -> None:
        """Store a value, replacing any previous one."""
        ...

    def delete(self, name: str) -> None:
        """Delete a value; a missing one is not an error."""
        ...


def default_store(store: SecretStore | None = None) -> SecretStore:
    """Return ``store`` if given, else the OS keyring: the one place a KeyringStore is built.

    Callers pass the store they were given (tests, a caller with its own) and get
    the keyring otherwise; nothing touches the keyring until a value is read or stored.
    """
    return store if store is not None else KeyringStore()


class KeyringStore:
    """A :class:`SecretStore` over the ``keyring`` package."""

    def __init__(self, service: str = SERVICE) -> None:
        """Use ``service`` as the keyring service name (one per project is typical)."""
        self._service = service

    def _check(self) -> None:
        name = backend_name()
        if not is_secure(name):
            raise ConfigError(f"{NO_BACKEND_HELP}\n(active backend: {name})")

    def get(self, name: str) -> Secret | None:
        """Return the stored value or None."""
        import keyring
        from keyring.errors import KeyringError

        self._check()
        try:
            value = keyring.get_password(self._service, name)
        except KeyringError as exc:
            raise ConfigError(f"the keyring refused to read {name}: {exc}") from None
        return None if value is None else Secret(value)

    def set(self, name: str, value: Secret) -> None:
        """Store ``value`` under ``name``."""
        import keyring
        from keyring.errors import KeyringError

        self._check()
        try:
            keyring.set_password(self._service, name, value.reveal())
        except KeyringError as exc:
            raise ConfigError(f"the keyring refused to store {name}: {exc}") from None

    def delete(self, name: str) -> None:
        """Delete ``name``; a missing entry is fine."""
        import keyring
        from keyring.errors import KeyringError, PasswordDeleteError

        self._check()
        try:
            keyring.delete_password(self._service, name)
        except PasswordDeleteError:
            return
        except KeyringError as exc:
            raise ConfigError(f"the keyring refused to delete {name}: {exc}") from None
