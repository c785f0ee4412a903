"""``revoke --scan``: agentauth's objects on the policy's servers that no ledger holds.

A lost or damaged ledger leaves roles and users that ``revoke`` can no longer name
(issue 15). Each policy entry whose provider has an
:class:`~agentauth.providers.base.OrphanScanner` is asked, with the admin credential
of the source env, for objects named (or tagged) as agentauth's for this agent. What
any ledger on this machine holds is never returned: every project's live grants count,
so another project sharing the server keeps its roles. Removal goes through
:func:`~agentauth.service.revoke.revoke_grants` like any grant: the provider's own
revoke, a ledger record (a failure stays there for ``revoke --all`` to retry) and a
``revoke`` event with reason ``orphan``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from agentauth import providers
from agentauth.errors import AgentAuthError
from agentauth.model import Action, Grant, RevokeResult
from agentauth.providers.base import Orphan, ProviderContext
from agentauth.redact import Scrubber
from agentauth.service.context import live_grants, secret_values
from agentauth.service.revoke import revoke_grants
from agentauth.state.ledger import Ledger, every_project

__all__ = ["Found", "ScanReport", "held_names", "remove", "scan"]


@dataclass(frozen=True)
class Found:
    """One orphan and the policy entry (variable, provider) whose server holds it."""

    variable: str
    provider: str
    orphan: Orphan


@dataclass(frozen=True)
class ScanReport:
    """What a scan found, which entries could not be scanned, and why."""

    found: tuple[Found, ...]
    unsupported: tuple[tuple[str, str], ...] = ()
    """(variable, provider) of entries whose provider cannot list its objects."""
    errors: tuple[tuple[str, str], ...] = ()
    """(variable, message) of entries whose server could not be asked."""


def _strings(value: Any) -> Iterable[str]:
    """Every string inside a ledger record's objects (names, ARNs, lists of them)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def held_names(ctx: ProviderContext) -> set[str]:
    """Every object name and grant id a live grant holds, in every project on this machine.

    NOTE: deliberately wide (any string of any live record): a name too many only
    means an orphan is not offered for removal; a name too few could drop a role
    another project still hands to its agent. An unreadable ledger of another project
    is a warning: this project's own must be readable (building ``ctx`` read it).
    """
    grants: list[Grant] = list(Ledger(ctx.project_root).grants())
    for project in every_project():
        if project.error:
            ctx.warn(f"{project.error}; its grants cannot be told apart from orphans")
        grants.extend(project.grants)
    held: set[str] = set()
    for grant in live_grants(grants):
        held.add(grant.id)
        held.update(_strings(dict(grant.objects)))
    return held


def scan(ctx: ProviderContext) -> ScanReport:
    """Ask every ``provision`` entry's server for orphans of ``ctx.policy.agent``; changes nothing.

    Entries naming the same server report an orphan once.
    """
    held = held_names(ctx)
    scrub = Scrubber(secret_values(ctx))
    found: dict[tuple[str, str, str], Found] = {}
    unsupported: list[tuple[str, str]] = []
    errors: list[tuple[str, str]] = []
    for entry in ctx.policy.credentials:
        if entry.action is not Action.PROVISION or entry.provider is None:
            continue
        try:
            scanner = providers.orphan_scanner(entry.provider)
            if scanner is None:
                unsupported.append((entry.variable, entry.provider))
                continue
            checked = providers.get(entry.provider).validate(entry)
            for orphan in scanner.find_orphans(checked, ctx, held):
                key = (entry.provider, orphan.where, orphan.name)
                found.setdefault(key, Found(entry.variable, entry.provider, orphan))
        except AgentAuthError as exc:
            errors.append((entry.variable, scrub(str(exc))))
        except Exception as exc:  # NOTE: one broken server must not hide the others' orphans
            errors.append((entry.variable, scrub(f"{type(exc).__name__}: {exc}")))
    return ScanReport(tuple(found.values()), tuple(unsupported), tuple(errors))


def remove(ctx: ProviderContext, chosen: Sequence[Found]) -> list[RevokeResult]:
    """Remove ``chosen`` through their providers' revoke; one result each, in order."""
    return revoke_grants(ctx, [f.orphan.grant for f in chosen], event_reason="orphan")
