"""The broker's resolver for delegated (capability) phantoms: plugs into ``ChainResolver``.

A delegated phantom carries its own rules and expiry inside a Biscuit token
(:mod:`agentauth.broker.capability`); the broker only needs the real value of the
entry it names. :class:`CapabilityResolver` verifies the signature chain and the
ledger's revocation ids, then hands the broker a :class:`Resolved` whose only rule
runs the token's Datalog: every block's method/path check and expiry, at request
time. The host is checked by the broker against the entry's hosts (the token's
authority block lists the same hosts).

What the token cannot say in a form fit for people (who holds it, its rules as
written) comes from the delegation's ledger grant (``delegated``, asked by grant
id): the chain names the audit events, the rules name the 403s like a policy's.
The token alone still decides: a rule matches only when every block allows the call.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from agentauth.broker import capability
from agentauth.broker.resolver import Resolved
from agentauth.config.brokerpolicy import AllowRule, BrokeredEntry, parse_rule
from agentauth.errors import ConfigError
from agentauth.secret import Secret

_EXPIRY = re.compile(r"\$t <= (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")
_DELEGATED = re.compile(r'delegated\("([^"]+)"\)')


ANY = "(delegated capability)"
"""The pattern of the one rule of a token whose delegation the ledger does not describe."""


@dataclass(frozen=True)
class Delegated:
    """What the ledger says about a delegated grant: its holder and its rules as written."""

    agent: str
    rules: tuple[str, ...]


@dataclass(frozen=True)
class CapabilityRule(AllowRule):
    """A delegated rule: it matches when its own glob does *and* every block of the token does."""

    token: str = ""
    root_public: bytes = b""
    host: str = ""

    def matches(self, method: str, path: str) -> bool:
        """Return True when this rule and every block of the token allow ``method path`` now."""
        if self.pattern != ANY and not AllowRule.matches(self, method, path):
            return False
        return capability.authorize(
            self.token, self.root_public, host=self.host, method=method, path=path
        ).allowed


class CapabilityResolver:
    """Resolves ``...AGENTAUTHcap_<token>`` phantoms for the entries this broker holds."""

    def __init__(
        self,
        entries: Mapping[str, tuple[BrokeredEntry, Secret]],
        root_public: bytes,
        revoked: Callable[[], Collection[str]] = frozenset,
        delegated: Callable[[str], Delegated | None] = lambda _grant: None,
    ) -> None:
        """Keep the entries with their real values, the root key, revocations, delegations."""
        self._entries = dict(entries)
        self._root = root_public
        self._revoked = revoked
        self._delegated = delegated

    def resolve(self, phantom: str) -> Resolved | None:
        """Return what a delegated phantom stands for; None for anything else or a forgery."""
        token = capability.token_of(phantom)
        if token is None:
            return None
        try:
            parsed = capability.verify_token(token, self._root)
        except ValueError:
            return None
        sources = [parsed.block_source(i) for i in range(parsed.block_count())]
        found = re.search(r'variable\("([^"]+)"\)', sources[0])
        held = self._entries.get(found.group(1)) if found else None
        if held is None:
            return None
        entry, real = held
        grants = [m.group(1) for s in sources[1:] for m in _DELEGATED.finditer(s)]
        grant = grants[-1] if grants else None
        ends = [datetime.fromisoformat(m.replace("Z", "+00:00")).timestamp()
                for s in sources for m in _EXPIRY.findall(s)]  # fmt: skip
        revoked = self._revoked()
        info = self._delegated(grant) if grant else None
        agent = info.agent if info else None
        if any(i in revoked for i in parsed.revocation_ids):
            return Resolved(entry=entry, real=real, rules=(), grant_id=grant, expires=0.0,
                            revoked=True, agent=agent)  # fmt: skip
        written = _written(info, entry)
        rules = tuple(
            CapabilityRule(method=r.method, pattern=r.pattern, line=entry.line, regex=r.regex,
                           token=token, root_public=self._root, host=entry.hosts[0])
            for r in written or [AllowRule("*", ANY, entry.line, re.compile(r"(?!)"))]
        )  # fmt: skip
        return Resolved(entry=entry, real=real, rules=rules, grant_id=grant,
                        expires=min(ends) if ends else None, agent=agent)  # fmt: skip


def _written(info: Delegated | None, entry: BrokeredEntry) -> list[AllowRule]:
    """The delegation's rules as written; none (the token alone) if the ledger has none."""
    try:
        return [parse_rule(r, entry.line, "delegation") for r in info.rules] if info else []
    except ConfigError:
        return []
