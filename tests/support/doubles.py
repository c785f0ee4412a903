"""The test doubles of the provider protocol's collaborators: a secret store and a prompter."""

from __future__ import annotations

from agentauth.errors import NonInteractiveError
from agentauth.secret import Secret


class MemorySecretStore:
    """An in-memory SecretStore (the real one is the OS keyring)."""

    def __init__(self, values: dict[str, Secret] | None = None) -> None:
        """Start with ``values`` (empty by default)."""
        self.values: dict[str, Secret] = dict(values or {})

    def get(self, name: str) -> Secret | None:
        """Return the stored value."""
        return self.values.get(name)

    def set(self, name: str, value: Secret) -> None:
        """Store a value."""
        self.values[name] = value

    def delete(self, name: str) -> None:
        """Forget a value (idempotent)."""
        self.values.pop(name, None)


class FakePrompter:
    """A Prompter with scripted answers that records what it was asked and told.

    ``FakePrompter("tok1", "tok2")`` pastes those values in turn;
    ``FakePrompter(secret="tok")`` pastes the same one every time; with neither, a
    prompt fails as it does without a terminal. ``confirm`` is the yes/no answer.
    """

    def __init__(self, *answers: str, secret: str | None = None, confirm: bool = False) -> None:
        """Script the answers."""
        self.answers = list(answers)
        self._secret = secret
        self._confirm = confirm
        self.asked: list[str] = []
        """Every prompt (secret or confirm), in order."""
        self.told: list[str] = []
        """Every info message, in order."""
        self.shown: list[str] = []
        """Prompts and info messages together, in order."""

    def secret(self, message: str) -> Secret:
        """Return the next scripted paste, or refuse like a missing terminal."""
        self.asked.append(message)
        self.shown.append(message)
        if self.answers:
            return Secret(self.answers.pop(0))
        if self._secret is not None:
            return Secret(self._secret)
        raise NonInteractiveError(f"{message}: no terminal")

    def confirm(self, message: str) -> bool:
        """Return the scripted answer."""
        self.asked.append(message)
        self.shown.append(message)
        return self._confirm

    def info(self, message: str) -> None:
        """Record a message."""
        self.told.append(message)
        self.shown.append(message)
