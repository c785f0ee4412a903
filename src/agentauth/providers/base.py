"""The provider protocol: what every provider module implements, and the context it gets.

One module per provider (``providers/redis/provider.py``, ``providers/postgres/provider.py``...)
exposes ``PROVIDER: Provider``, so mypy checks that it conforms. Heavy SDKs are imported
inside the methods, never at module import, so ``agentauth audit`` and ``agentauth run``
start fast. Grant ids, pending grants and option errors come from
:mod:`agentauth.providers.kit` only.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Protocol

from agentauth.model import (
    Applied,
    CredentialPolicy,
    Finding,
    Grant,
    Plan,
    Policy,
    RevokeResult,
    Secret,
    Verification,
)
from agentauth.state.secretstore import SecretStore


class Prompter(Protocol):
    """Asks the human; the CLI implements it, tests inject answers.

    Implementations raise :class:`agentauth.errors.NonInteractiveError` when there is
    no terminal, so a provider never hangs in CI.
    """

    def secret(self, message: str) -> Secret:
        """Read a pasted secret without echo (or from stdin when it is not a terminal)."""
        ...

    def confirm(self, message: str) -> bool:
        """Ask a yes/no question; default no."""
        ...

    def info(self, message: str) -> None:
        """Show a message to the human (on stderr); never a secret."""
        ...


@dataclass(frozen=True)
class ProviderContext:
    """Everything a provider may read while planning, applying, minting or revoking."""

    project_root: Path
    policy: Policy
    source_env: Mapping[str, Secret]
    """The developer's own env file (``policy.source``), every value wrapped."""
    environ: Mapping[str, str]
    """The process environment, for endpoint overrides (``AWS_ENDPOINT_URL``)."""
    now: datetime
    """Timezone-aware UTC; injected so tests control expiry."""
    existing: Sequence[Grant] = ()
    """Live ledger grants of this project, for idempotency and rotation."""
    prompter: Prompter | None = None
    store: SecretStore | None = None
    warn: Callable[[str], None] = field(default=lambda _m: None)
    """Reports a non-fatal problem to the user (already redacted text only)."""


@dataclass(frozen=True)
class VerifyContext:
    """What ``audit --verify`` gives a provider besides the finding itself."""

    related: Mapping[str, Secret]
    """Other variables of the same file or environment (an AWS key id's secret, a session token)."""
    environ: Mapping[str, str]
    timeout: float = 10.0


class Provider(Protocol):
    """The contract of a provider module. Every method translates its SDK's exceptions.

    The order ``provision`` calls them in: ``validate`` and ``plan`` for every entry
    (``--dry-run`` stops here, after ``preflight``), ``preflight`` for every plan that
    changes something, and only when every preflight passed, ``apply`` one by one.
    """

    name: ClassVar[str]
    presets: ClassVar[Mapping[str, Mapping[str, Any]]]
    """``init --preset NAME`` -> this provider's starting options for that job."""

    def validate(self, entry: CredentialPolicy) -> CredentialPolicy:
        """Check and normalise an entry's options; raise ``kit.OptionError`` naming the key."""
        ...

    def verify(self, finding: Finding, ctx: VerifyContext) -> Verification:
        """Ask the provider, read-only, what the credential can do; never raises for 'unknown'."""
        ...

    def plan(self, entry: CredentialPolicy, ctx: ProviderContext) -> Plan:
        """Build the plan without touching anything (may read: connect, describe)."""
        ...

    def preflight(self, plan: Plan, ctx: ProviderContext) -> None:
        """Check every precondition of ``apply`` (admin rights, a usable keyring) and
        raise an AgentAuthError with the remedy; creates nothing, may read."""
        ...

    def apply(self, plan: Plan, ctx: ProviderContext) -> Applied:
        """Create what the plan says. The plan's grant is already in the ledger as pending.

        Sets ``Grant.mints_per_run`` and ``Grant.expiry_variable`` for ``run``. A failure
        after something was created undoes it before raising (the pending grant stays in
        the ledger so that ``revoke`` can finish the job if the undo fails too).
        """
        ...

    def mint(self, grant: Grant, ctx: ProviderContext) -> Applied | None:
        """Issue a fresh short-lived credential for a run; None if the provider has none."""
        ...

    def revoke(self, grant: Grant, ctx: ProviderContext) -> RevokeResult:
        """Remove what the grant created; idempotent (already gone is success)."""
        ...


@dataclass(frozen=True)
class Orphan:
    """An object with agentauth's name on a server the policy names, held by no ledger grant.

    A lost or damaged ledger leaves them (issue 15): ``revoke --scan`` lists them and
    removes them through the provider's own :meth:`Provider.revoke`, given ``grant``.
    """

    kind: str
    """What it is on the server: ``role``, ``user``, ``ACL user``, ``IAM role``, ``IAM user``."""
    name: str
    where: str
    """The server (``host:port``, an account's IAM); never a credential."""
    grant: Grant
    """A ledger-shaped record of it (never stored), so ``revoke`` knows what to remove."""
    note: str = ""
    """What the server says about it (``valid until 2026-12-01``, the grant tag) to judge by."""


class OrphanScanner(Protocol):
    """The optional part of a provider: finding its orphans. A provider without one cannot scan.

    Implemented in ``providers/<name>/orphans.py`` as ``SCANNER`` and found through
    :func:`agentauth.providers.orphan_scanner` (None: unsupported), so the provider
    modules themselves need not change.
    """

    def find_orphans(
        self, entry: CredentialPolicy, ctx: ProviderContext, held: Collection[str]
    ) -> list[Orphan]:
        """Return the objects named ``agentauth_<ctx.policy.agent>_*`` (or tagged so) that
        ``entry``'s admin credential can see, minus every name in ``held`` (the ledgers').

        Only agentauth's exact naming pattern counts: a look-alike is never returned.
        Raises an AgentAuthError when the server cannot be asked (it is reported).
        """
        ...


class ExceedsParent(Exception):
    """A sub-agent asked for more than its parent holds; ``items`` names each excess.

    Raised by :meth:`Narrowing.narrow` before anything is created, so ``delegate`` can
    report every excess of every variable at once and create nothing.
    """

    def __init__(self, items: Sequence[str]) -> None:
        super().__init__("; ".join(items))
        self.items = tuple(items)


class Narrowing(Protocol):
    """How a provider gives a sub-agent a credential of its own, never wider than its parent's.

    Optional: a provider exposes one as its ``narrowing`` attribute (see :func:`narrowing_of`);
    one without it cannot delegate, so every provider keeps conforming to :class:`Provider`.
    """

    name_room: int
    """How many characters of the identity chain fit in the provider's login names."""

    def narrow(
        self, entry: CredentialPolicy, parent: Grant, rules: Sequence[str] | None
    ) -> dict[str, Any]:
        """Offline: the child's options, a subset of ``entry.options`` (the parent's).

        ``rules`` are the ``--only VAR=RULE,...`` items (None: all the parent holds).
        Raise :class:`ExceedsParent` naming what the parent does not hold, and
        ``ConfigError`` for a rule that means nothing to this provider.
        """
        ...

    def issue(self, entry: CredentialPolicy, parent: Grant, ctx: ProviderContext) -> Applied | None:
        """Create the child's credential from the narrowed ``entry`` and return it, or None
        to have ``delegate`` run the provider's own plan, preflight and apply on ``entry``
        (a database login is made like any other, with ``ctx.policy.agent`` the chain)."""
        ...


class SubsetNarrowing:
    """A :class:`Narrowing` whose child login the provider's own plan and apply make.

    Subclasses say how many name characters fit and implement :meth:`subset`; a request
    with no rules keeps all the parent holds (still a login of the child's own).
    """

    name_room: int = 63

    def narrow(
        self, entry: CredentialPolicy, parent: Grant, rules: Sequence[str] | None
    ) -> dict[str, Any]:
        """The parent's options, or :meth:`subset` of them when rules are given."""
        options = dict(entry.options)
        return options if rules is None else self.subset(entry, parent, options, rules)

    def subset(
        self, entry: CredentialPolicy, parent: Grant, options: dict[str, Any], rules: Sequence[str]
    ) -> dict[str, Any]:
        """The child's options from a copy of the parent's; raise ExceedsParent naming excess."""
        raise NotImplementedError

    def issue(self, entry: CredentialPolicy, parent: Grant, ctx: ProviderContext) -> Applied | None:
        """None: ``delegate`` runs the provider's plan, preflight and apply on ``entry``."""
        return None


def narrowing_of(provider: Provider) -> Narrowing | None:
    """The provider's :class:`Narrowing`, or None (the default) when it cannot delegate."""
    found: Narrowing | None = getattr(provider, "narrowing", None)
    return found
