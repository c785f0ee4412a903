"""GitHub App tokens the broker mints itself (``mode: broker`` with ``app_id``), refreshed.

Why: an installation token lives one hour and a run can last many; the agent holds
only a phantom, so the broker can swap the real token under it without the agent
noticing. The token is minted before the broker serves (a failure stops ``run``),
then a thread mints the next one when the current one has half its life or five
minutes left (whichever comes first), swaps it in (every later request carries the
new one) and deletes the old one at GitHub. The current token is deleted when the
broker stops. Each mint is a ``mint`` audit event. Minting and the scope check are
the GitHub provider's (:func:`agentauth.providers.github.app.issue`).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from agentauth.broker.resolver import Renewable
from agentauth.errors import AgentAuthError
from agentauth.model import CredentialPolicy, Grant, GrantId, GrantStatus, Policy, Secret

if TYPE_CHECKING:
    from agentauth.providers.base import ProviderContext

MARGIN = timedelta(minutes=5)
RETRY = 30.0
"""Seconds between attempts after a failed refresh (the current token still serves)."""


@dataclass
class AppToken:
    """One brokered entry's installation tokens: the current one and its refresher."""

    root: Path
    policy: Policy
    grant: Grant
    value: Renewable = field(default_factory=lambda: Renewable(""))
    expires: datetime = field(default_factory=lambda: datetime.now(UTC))
    minted: datetime = field(default_factory=lambda: datetime.now(UTC))
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    failures: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def _context(self) -> ProviderContext:
        from agentauth.service.context import build_context

        return build_context(self.root, self.policy, source_env={}, now=self.now())

    def mint(self, reason: str) -> None:
        """Mint a token, swap it in, delete the one it replaces; raise ProviderError/ConfigError."""
        from agentauth.providers.github import app
        from agentauth.service.mint import log_mint

        old = Secret(self.value.reveal())
        grant, token, expires = app.issue(self.grant, self._context())
        self.grant = grant  # the installation id, once looked up
        self.value.renew(token)
        self.minted, self.expires = self.now(), expires
        log_mint(self.root, self.grant, [self.grant.variable], reason=reason, expires=expires)
        if old.reveal():
            self._delete(old)

    def _delete(self, token: Secret) -> None:
        from agentauth.providers.github import app, client

        # A failed delete costs nothing: the token expires within the hour and the
        # broker no longer sends it.
        with contextlib.suppress(AgentAuthError):
            client.revoke_installation_token(
                token, str(self.grant.objects["api_url"]), timeout=app.TIMEOUT
            )

    def due(self) -> float:
        """Seconds until the next refresh: half the token's life or MARGIN before expiry."""
        life = self.expires - self.minted
        at = self.expires - min(MARGIN, life / 2)
        return max(0.0, (at - self.now()).total_seconds())

    def start(self) -> None:
        """Mint the first token (errors reach the caller) and start refreshing."""
        self.mint("broker start")
        self._thread = threading.Thread(target=self._run, name="agentauth-app-token", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        wait = self.due()
        while not self._stop.wait(wait):
            try:
                self.mint("broker refresh before expiry")
                wait = self.due()
            except AgentAuthError:
                self.failures += 1
                wait = min(RETRY, max(1.0, self.due()))

    def stop(self) -> None:
        """Stop refreshing and delete the current token at GitHub."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        if self.value.reveal():
            self._delete(Secret(self.value.reveal()))


def app_token(
    root: Path, policy: Policy, entry: CredentialPolicy, grant_id: str | None, agent: str
) -> AppToken | None:
    """The App token source of ``entry`` when it names a GitHub App; None otherwise."""
    if entry.provider != "github":
        return None
    from agentauth.providers.github import app
    from agentauth.providers.github.options import brokered_app

    opts = brokered_app(entry)
    if opts is None:
        return None
    now = datetime.now(UTC)
    grant = Grant(
        id=GrantId(grant_id or f"github-broker-{entry.variable.lower()}"), agent=agent,
        provider="github", variable=entry.variable, created=now, expires=None,
        status=GrantStatus.ACTIVE, scope=opts.scope(), objects=app.objects(opts),
    )  # fmt: skip
    return AppToken(root, policy, grant)
