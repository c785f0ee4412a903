"""The OS keyring behind one small interface, refusing backends that are not secure.

Why refuse: on a headless Linux machine ``keyring`` silently falls back to a failing
backend, and with ``keyrings.alt`` installed to a base64 *plaintext* file. agentauth
moves secrets out of the project precisely to stop them lying around in plaintext,
so it never writes to such a backend without being told to.

Headless machines (CI, containers, SSH sessions without a desktop) have agentauth's own
file backend, :class:`agentauth.state.filestore.FileKeyring`, chosen explicitly with
``PYTHON_KEYRING_BACKEND`` (:data:`FILE_BACKEND`): it never prompts.

Messages: a missing secure backend raises :class:`KeyringUnavailable`, one line, and is
remembered; the CLI prints :func:`remedy`, written for the command that hit it, once
at the end of the command however many grants touched the keyring.
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

FILE_BACKEND = "agentauth.state.filestore.FileKeyring"
"""``PYTHON_KEYRING_BACKEND`` value of agentauth's own headless file store."""

_COMMON = (
    f"  - headless (CI, containers, SSH): export PYTHON_KEYRING_BACKEND={FILE_BACKEND} "
    "(a 0600 file under AGENTAUTH_HOME, no prompt; see docs/run.md, Headless machines)",
    "  - or start and unlock a Secret Service: dbus-run-session -- sh -c "
    "'echo -n pass | gnome-keyring-daemon --unlock; agentauth ...'",
)
_FOR_COMMAND = {
    "lock": "  - or leave the secrets where they are (in CI: the CI's secret store) and do not "
    "lock them; agentauth never falls back to storing secrets in plaintext",
    "unlock": "  - the locked values are in the keyring that was active when you ran "
    "`agentauth lock`: run unlock where that keyring is",
    "provision": "  - provision reads what `agentauth lock` moved and keeps pasted keys and "
    "minted GitHub tokens in the keyring; run it where that keyring is",
    "run": "  - run reads the agentauth-keyring: references (locked values, MCP wrappers) "
    "and keeps minted GitHub tokens for `revoke` there",
    "revoke": "  - revoke deletes the tokens it kept there; tokens it could not delete "
    "expire by themselves (GitHub installation tokens within the hour)",
    "guard": "  - guard moves MCP servers' literal secrets there; until then they stay where "
    "they are",
}

_unavailable: list[str] = []
"""Backends found unusable during this process (the CLI's once-per-command notice)."""


class KeyringUnavailable(ConfigError):
    """No secure keyring backend: one line; how to fix it is :func:`remedy`."""


def take_unavailable() -> str | None:
    """The unusable backend this command ran into, if any; forgotten once taken (the notice)."""
    found = _unavailable[0] if _unavailable else None
    _unavailable.clear()
    return found


def remedy(command: str) -> list[str]:
    """What to do, written for ``command`` (``lock``, ``provision``, ``run``...)."""
    lines = [f"agentauth {command or ''}".rstrip() + " could not use a secure keyring. Options:",
             *_COMMON]  # fmt: skip
    if command in _FOR_COMMAND:
        lines.append(_FOR_COMMAND[command])
    return lines


def require_secure() -> None:
    """Raise :class:`KeyringUnavailable` (and remember it) unless the backend is secure."""
    name = backend_name()
    if not is_secure(name):
        if name not in _unavailable:
            _unavailable.append(name)
        raise KeyringUnavailable(f"no secure keyring backend on this machine (active: {name})")


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
        require_secure()

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
