"""The :class:`Secret` wrapper, alone in a module so the fast paths can import it cheaply.

``agentauth run`` and the audit log need to recognise a secret without loading the
whole domain model (dataclasses and a dozen records cost tens of milliseconds).
"""

from __future__ import annotations

from typing import Any


class Secret:
    """A credential value that masks itself everywhere except :meth:`reveal`.

    Why a class and not a str: a str ends up in f-strings, reprs, tracebacks with
    locals, and JSON by accident. This one has to be opened on purpose.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        """Wrap ``value``; it is only ever returned by :meth:`reveal`."""
        self._value = value

    def reveal(self) -> str:
        """Return the plaintext; call sites are the places that must be reviewed."""
        return self._value

    def __repr__(self) -> str:
        """Return a mask, never the value."""
        return "Secret('***')"

    def __str__(self) -> str:
        """Return a mask, never the value."""
        return "***"

    def __eq__(self, other: object) -> bool:
        """Compare by value, so findings de-duplicate."""
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        """Hash by value, consistent with equality."""
        return hash(("Secret", self._value))

    def __len__(self) -> int:
        """Return the length of the value (safe to show)."""
        return len(self._value)

    def __reduce__(self) -> tuple[Any, ...]:
        """Refuse pickling so a secret cannot be serialised by accident."""
        raise TypeError("Secret values cannot be pickled")
