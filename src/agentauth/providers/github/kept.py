"""Where minted installation tokens wait for ``revoke``: a small ring of keyring slots per grant.

Why a ring in the store and not a list in the grant: tokens are minted at every
``agentauth run``, by processes that do not rewrite the ledger, and GitHub revokes an
installation token only when called *with that token*. Each grant owns ``SLOTS``
entries named ``github/<grant id>/token-<n>`` holding ``{"token", "expires"}``; a
mint takes the first free or expired slot, ``revoke`` walks them all.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from agentauth.errors import ConfigError
from agentauth.model import Grant, Secret
from agentauth.providers.base import ProviderContext
from agentauth.providers.github.token import parse_iso
from agentauth.state.secretstore import SecretStore, default_store

SLOTS = 8
"""Installation tokens kept per grant; more concurrent runs than this reuse the oldest slot."""


def store_of(ctx: ProviderContext) -> SecretStore:
    """The context's store, or the OS keyring when the caller did not pass one."""
    return default_store(ctx.store)


def slot_name(grant_id: str, index: int) -> str:
    """The store entry of slot ``index`` of a grant."""
    return f"github/{grant_id}/token-{index}"


@dataclass(frozen=True)
class Kept:
    """One kept token and the slot it lives in."""

    name: str
    token: Secret = field(repr=False)
    expires: datetime | None


def _read(store: SecretStore, name: str) -> Kept | None:
    raw = store.get(name)
    if raw is None:
        return None
    try:
        data = json.loads(raw.reveal())
        return Kept(name, Secret(str(data["token"])), parse_iso(str(data.get("expires") or "")))
    except (ValueError, KeyError, TypeError):
        return Kept(name, Secret(""), None)


def keep(grant_id: str, token: Secret, expires: datetime, ctx: ProviderContext) -> str | None:
    """Store ``token`` in a free (or expired, or else the oldest) slot; return a warning or None.

    Never raises: without a secure keyring the token is simply not kept (it expires
    within the hour), and the warning says so.
    """
    store = store_of(ctx)
    try:
        chosen, oldest = None, None
        for index in range(SLOTS):
            name = slot_name(grant_id, index)
            kept = _read(store, name)
            if kept is None or (kept.expires is not None and kept.expires <= ctx.now):
                chosen = name
                break
            if oldest is None or (kept.expires or ctx.now) < (oldest.expires or ctx.now):
                oldest = kept
        warning = None
        if chosen is None and oldest is not None:
            chosen = oldest.name
            until = f"{oldest.expires:%H:%M} UTC" if oldest.expires else "its expiry"
            warning = (
                f"more than {SLOTS} live GitHub tokens for grant {grant_id}: the oldest is no "
                f"longer tracked by `agentauth revoke` and stays valid until {until}"
            )
        assert chosen is not None
        value = json.dumps({"token": token.reveal(), "expires": expires.isoformat()})
        store.set(chosen, Secret(value))
    except ConfigError:
        return NOT_KEPT
    return warning


NOT_KEPT = (
    "no secure keyring to keep the GitHub token for `agentauth revoke`; "
    "it expires by itself within the hour"
)
"""The warning of a token minted without a keyring: by :func:`keep`, and ahead by
:func:`check_store`, so that ``provision --dry-run`` says what ``provision`` will."""


def check_store(grant: Grant, ctx: ProviderContext) -> None:
    """Raise ConfigError when the store cannot answer at all (it would fail after a mint).

    "No secure keyring" (ConfigError from the store) is accepted: tokens are then not
    kept and expire within the hour, as :func:`keep` documents, and ``ctx.warn`` says so
    now (the dry run's only chance to). Anything else (a backend that wants a prompt
    with no terminal, a locked collection) is refused up front.
    """
    try:
        store_of(ctx).get(slot_name(grant.id, 0))
    except ConfigError:
        ctx.warn(f"{grant.variable}: {NOT_KEPT}")
        return
    except Exception as exc:
        raise ConfigError(
            f"the keyring cannot be used here ({type(exc).__name__}: {exc}); agentauth keeps "
            "minted GitHub tokens there so that `revoke` can find them. Unlock it or choose "
            "a backend with PYTHON_KEYRING_BACKEND, then provision again"
        ) from None


def kept_tokens(grant_id: str, ctx: ProviderContext) -> Iterator[Kept]:
    """Yield every kept token of a grant (expired ones too); ConfigError without a keyring."""
    store = store_of(ctx)
    for index in range(SLOTS):
        kept = _read(store, slot_name(grant_id, index))
        if kept is not None:
            yield kept


def forget(name: str, ctx: ProviderContext, on_error: Callable[[str], None] | None = None) -> None:
    """Delete one slot; a keyring failure is reported to ``on_error`` (if given), never raised."""
    try:
        store_of(ctx).delete(name)
    except ConfigError as exc:
        if on_error is not None:
            on_error(str(exc))
