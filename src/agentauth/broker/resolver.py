"""The seam between a phantom value and what it stands for.

The broker never looks phantoms up itself: it asks a :class:`PhantomResolver`. The
per-run resolver (:class:`StaticResolver`) maps the phantoms ``run`` generated to
their policy entries; delegation plugs in a resolver for attenuated (Biscuit)
phantoms that carry narrower rules, an expiry and their own grant id. Chain them
with :class:`ChainResolver`.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from agentauth.config.brokerpolicy import AllowRule, BrokeredEntry
from agentauth.secret import Secret


class Renewable(Secret):
    """A real value the broker replaces while it runs (a GitHub App installation token).

    Every request reads :meth:`reveal` afresh, so once :meth:`renew` has run no
    request carries the old value; one assignment, so a request sees old or new.
    """

    __slots__ = ()

    def renew(self, value: Secret) -> None:
        """Hold ``value`` from now on."""
        self._value = value.reveal()


@dataclass(frozen=True)
class Resolved:
    """What one phantom stands for in this session."""

    entry: BrokeredEntry
    """The policy entry: variable, hosts, auth kind (where the phantom may travel)."""
    real: Secret
    """The value the broker injects in place of the phantom."""
    rules: tuple[AllowRule, ...]
    """The calls this phantom may make: the entry's, or a strict subset (delegation)."""
    grant_id: str | None = None
    expires: float | None = None
    """Epoch seconds after which the phantom is refused; None: the life of the broker."""
    revoked: bool = False
    """True for a delegated phantom whose grant was revoked: refused, saying so."""
    agent: str | None = None
    """Who holds this phantom when it is not the broker's agent: a sub-agent's chain
    (``claude-code>reviewer``), named in its requests' audit events and 403s."""

    def expired(self, now: float | None = None) -> bool:
        """Return True once :attr:`expires` has passed."""
        return (
            self.expires is not None and (now if now is not None else time.time()) >= self.expires
        )


class PhantomResolver(Protocol):
    """Turns a phantom string found in a request into what it stands for, or None."""

    def resolve(self, phantom: str) -> Resolved | None:
        """Return the resolution of ``phantom``; None if this resolver does not know it."""
        ...


class StaticResolver:
    """The per-run phantoms: a fixed map, compared in constant time per candidate."""

    def __init__(self, table: Mapping[str, Resolved]) -> None:
        """Keep ``table`` (phantom -> resolution)."""
        self._table = dict(table)

    def resolve(self, phantom: str) -> Resolved | None:
        """Return the resolution of ``phantom`` (dictionary lookup, then a constant-time check)."""
        found = self._table.get(phantom)
        if found is None:
            return None
        for key in self._table:
            if hmac.compare_digest(key.encode(), phantom.encode()):
                return found
        return None

    def phantoms(self) -> Iterable[str]:
        """Return the phantoms this resolver knows (for the child's environment)."""
        return tuple(self._table)


class ChainResolver:
    """Asks each resolver in turn; the first answer wins."""

    def __init__(self, *resolvers: PhantomResolver) -> None:
        """Keep ``resolvers`` in order."""
        self._resolvers = resolvers

    def resolve(self, phantom: str) -> Resolved | None:
        """Return the first non-None resolution."""
        for resolver in self._resolvers:
            found = resolver.resolve(phantom)
            if found is not None:
                return found
        return None
