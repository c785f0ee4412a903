"""The broker use case: start one for ``run`` (or stand-alone) from the project's policy.

The real values come from the developer's source env (keyring references resolved,
as ``provision`` does); the agent gets phantoms and the proxy variables. A brokered
entry whose grants in the ledger were all revoked (or expired) is not served: its
variable is dropped, so ``revoke --agent`` ends brokered access like any other.
This module is imported only when :func:`brokers_anything` says the policy needs it,
so ``run`` without brokered entries pays nothing for it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from agentauth.broker.events import ThreadedSink
from agentauth.broker.proxy import Broker
from agentauth.broker.resolver import ChainResolver, PhantomResolver, Resolved, StaticResolver
from agentauth.broker.session import BrokerThread
from agentauth.broker.wire import Limits
from agentauth.config import brokerpolicy
from agentauth.config.policy import POLICY_FILE, load_policy
from agentauth.errors import ConfigError
from agentauth.model import GrantStatus, Policy, Secret

if TYPE_CHECKING:
    from agentauth.broker.capresolve import Delegated
    from agentauth.service.brokerapp import AppToken


@dataclass
class BrokerSession:
    """A started broker and the variables the child gets from it."""

    thread: BrokerThread
    sink: ThreadedSink
    env: dict[str, str]
    """Proxy and CA variables plus one phantom per brokered variable."""
    variables: tuple[str, ...]
    skipped: tuple[str, ...] = ()
    """Brokered variables not served (revoked grant), for a warning."""
    notes: list[str] = field(default_factory=list)
    tokens: tuple[AppToken, ...] = ()
    """The GitHub App tokens this broker mints and refreshes itself."""

    @property
    def broker(self) -> Broker:
        """Return the running broker."""
        return self.thread.broker

    def alive(self) -> bool:
        """Return True while the broker serves."""
        return self.thread.alive()

    def stop(self) -> None:
        """Stop the broker, delete the App tokens it minted, flush its audit events."""
        self.thread.stop()
        for token in self.tokens:
            token.stop()
        self.sink.close()


def _grants(root: Path, agent: str) -> tuple[dict[str, str], set[str]]:
    """Return variable -> active grant id, and the variables that only have dead grants."""
    from agentauth.state.ledger import Ledger

    now = datetime.now(UTC)
    active: dict[str, str] = {}
    dead: set[str] = set()
    for grant in Ledger(root).grants():
        if grant.agent != agent or grant.provider not in ("http", "stripe", "github"):
            continue
        alive = grant.status is GrantStatus.ACTIVE and (
            grant.expires is None or grant.expires > now
        )
        if alive:
            active[grant.variable] = grant.id
        else:
            dead.add(grant.variable)
    return active, dead - set(active)


def _write_request_events(root: Path) -> Callable[[list[dict[str, object]]], None]:
    from agentauth.state import auditlog

    def write(events: list[dict[str, object]]) -> None:
        batch = []
        for event in events:
            fields = dict(event)
            batch.append(("request", str(fields.pop("agent", "agent")), fields))
        auditlog.append_many(root, batch)

    return write


def start(
    root: Path,
    *,
    agent: str | None = None,
    source_env: Mapping[str, Secret] | None = None,
    limits: Limits | None = None,
    extra: PhantomResolver | None = None,
    port: int = 0,
) -> BrokerSession | None:
    """Start the broker for the project at ``root``; None if the policy brokers nothing.

    ``extra`` is asked after the run's own phantoms (delegated phantoms plug in here).
    Raises ConfigError when a brokered variable is missing from the source env.
    """
    from agentauth.broker import phantom
    from agentauth.service.sourceenv import load_source_env

    policy = load_policy(root / POLICY_FILE)
    bp = brokerpolicy.load(policy, root)
    if not bp.entries:
        return None
    who = agent or policy.agent
    values = load_source_env(root, policy) if source_env is None else source_env
    active, dead = _grants(root, who)
    table: dict[str, Resolved] = {}
    env: dict[str, str] = {}
    skipped = []
    tokens: list[AppToken] = []
    try:
        for entry in bp.entries:
            if entry.variable in dead:
                skipped.append(entry.variable)
                continue
            real = _real(root, policy, entry, values, active.get(entry.variable), who, tokens)
            stand_in = phantom.make(real.reveal())
            env[entry.variable] = stand_in
            table[stand_in] = Resolved(
                entry=entry, real=real, rules=entry.rules, grant_id=active.get(entry.variable)
            )
    except BaseException:
        for token in tokens:
            token.stop()
        raise
    resolver: PhantomResolver = ChainResolver(
        StaticResolver(table), _Capabilities(root, table), *([extra] if extra else [])
    )
    sink = ThreadedSink(_write_request_events(root))
    broker = Broker(bp, resolver, agent=who, sink=sink, limits=limits or _limits(bp), root=root)
    thread = BrokerThread(broker, port=port)
    try:
        env.update(thread.start())
    except RuntimeError as exc:
        sink.close()
        for token in tokens:
            token.stop()
        raise ConfigError(str(exc)) from None
    return BrokerSession(thread, sink, env, tuple(table[p].entry.variable for p in table),
                         tuple(skipped), tokens=tuple(tokens))  # fmt: skip


def _real(
    root: Path,
    policy: Policy,
    entry: brokerpolicy.BrokeredEntry,
    values: Mapping[str, Secret],
    grant_id: str | None,
    agent: str,
    tokens: list[AppToken],
) -> Secret:
    """The value the broker injects: a GitHub App token it mints, or the source env's."""
    from agentauth.service.brokerapp import app_token

    written = next(c for c in policy.credentials if c.variable == entry.variable)
    source = app_token(root, policy, written, grant_id, agent)
    if source is not None:
        source.start()
        tokens.append(source)
        return source.value
    real = values.get(entry.variable)
    if real is None or not real.reveal().strip():
        raise ConfigError(
            f"{policy.path}:{entry.line}: {entry.variable} is brokered but not set in "
            f"{policy.source}; put the real value there (or lock it in the keyring)"
        )
    return real


class _Capabilities:
    """The resolver for delegated phantoms (``agentauth delegate``) of the entries served.

    Asked after the run's own phantoms. Its root key is agentauth's signing key, the
    one ``delegate`` mints with, loaded on the first delegated phantom only (so a run
    whose agent never delegates pays nothing at start). The revocations are read from
    the ledger on each delegated request: revoking a sub-agent's grant ends it at once.
    """

    def __init__(self, root: Path, table: Mapping[str, Resolved]) -> None:
        """Keep the served entries with their real values; nothing is loaded yet."""
        self._root = root
        self._held = {r.entry.variable: (r.entry, r.real) for r in table.values()}
        self._resolver: PhantomResolver | None = None
        self._delegations: dict[str, Delegated] = {}

    def resolve(self, phantom: str) -> Resolved | None:
        """Return what a delegated phantom stands for; None for anything else."""
        from agentauth.broker import capability

        if capability.token_of(phantom) is None:
            return None
        if self._resolver is None:
            from agentauth.broker.capresolve import CapabilityResolver
            from agentauth.service.delegate import revoked_ids
            from agentauth.state import signing
            from agentauth.state.ledger import Ledger

            public = signing.private_key().public_key().public_bytes_raw()
            root = self._root
            self._resolver = CapabilityResolver(
                self._held,
                public,
                revoked=lambda: revoked_ids(Ledger(root).grants()),
                delegated=self._delegated,
            )
        return self._resolver.resolve(phantom)

    def _delegated(self, grant_id: str) -> Delegated | None:
        """The delegation's holder (chain) and rules from its ledger grant; cached (immutable)."""
        from agentauth.broker.capresolve import Delegated
        from agentauth.state.ledger import Ledger

        if grant_id not in self._delegations:
            grant = Ledger(self._root).get(grant_id)
            rules = grant.objects.get("rules") if grant is not None else None
            if grant is None or not isinstance(rules, list):
                return None
            self._delegations[grant_id] = Delegated(grant.agent, tuple(str(r) for r in rules))
        return self._delegations[grant_id]


def _limits(bp: brokerpolicy.BrokerPolicy) -> Limits:
    return Limits(ports=bp.network.ports)


def wait(session: BrokerSession, stop: Callable[[], bool], interval: float = 0.5) -> None:
    """Block until ``stop()`` is true or the broker dies (stand-alone mode)."""
    while session.alive() and not stop():
        time.sleep(interval)


class BrokerSidecar:
    """``run``'s sidecar: starts the broker before the child, stops it after."""

    def __init__(self, root: Path, agent: str) -> None:
        """Nothing starts until :meth:`start`."""
        self.root = root
        self.agent = agent
        self.session: BrokerSession | None = None

    def start(self, env: Mapping[str, str]) -> Mapping[str, str]:
        """Start the broker; return the proxy, CA and phantom variables (nothing if none)."""
        self.session = start(self.root, agent=self.agent)
        return self.session.env if self.session is not None else {}

    def stop(self) -> None:
        """Stop the broker and flush its events."""
        if self.session is not None:
            self.session.stop()
            self.session = None
