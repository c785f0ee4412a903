"""The ``init --preset`` catalogue: which providers a common agent job gets, and with what scope.

A preset only decides *which* credentials are provisioned; everything it does not
name is ``drop``. The starting options come from the provider itself
(``Provider.presets``, same preset name), so a provider's job templates live in one
place; the fallbacks here are the read-only database defaults for providers (and
presets) that have none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from agentauth import providers
from agentauth.errors import UsageError
from agentauth.providers import DATABASES


@dataclass(frozen=True)
class Preset:
    """One agent job: a description for humans and the providers it provisions."""

    name: str
    description: str
    provision: frozenset[str]
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Fallback options per provider when the provider module has no preset of this name."""


_DB_READ: dict[str, dict[str, Any]] = {
    "postgres": {"access": "read-only", "schemas": ["public"]},
    "mysql": {"access": "read-only"},
    "redis": {"access": "read-only", "keys": ["*"]},
}

DEFAULT = Preset(
    name="default",
    description="databases read-only on their schemas; every other credential dropped",
    provision=DATABASES,
    options=_DB_READ,
)

PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "code-review",
            "reads code and comments on pull requests: GitHub contents read + pull requests "
            "write on the repositories you list; no database, cloud or payment access",
            frozenset({"github"}),
        ),
        Preset(
            "db-query",
            "answers questions from the data: every database read-only (Postgres on its "
            "schemas, MySQL, Redis); nothing else",
            DATABASES,
            _DB_READ,
        ),
        Preset(
            "support",
            "looks up customers: databases read-only, Stripe restricted to reading customers "
            "and charges; no code or cloud access",
            frozenset({"postgres", "mysql", "stripe"}),
            _DB_READ,
        ),
        Preset(
            "deploy-staging",
            "deploys to staging: GitHub contents read + actions write, AWS limited to the "
            "actions and staging resources you fill in; databases dropped",
            frozenset({"github", "aws"}),
        ),
    )
}


def get(name: str | None) -> Preset:
    """Return the named preset (or the default); UsageError listing the known names."""
    if name is None:
        return DEFAULT
    try:
        return PRESETS[name]
    except KeyError:
        raise UsageError(
            f"unknown preset {name!r}; choose one of: {', '.join(sorted(PRESETS))}"
        ) from None


def options_for(preset: Preset, provider: str) -> dict[str, Any] | None:
    """Return the starting options for ``provider`` under ``preset``, or None to drop it.

    None also when the preset provisions the provider but nobody knows safe options
    for it (the user gets a commented example instead of a guess).
    """
    if provider not in preset.provision:
        return None
    if preset.name != "default" and provider in providers.PROVIDERS:
        offered: Mapping[str, Any] | None = providers.get(provider).presets.get(preset.name)
        if offered is not None:
            return dict(offered)
    fallback = preset.options.get(provider)
    return dict(fallback) if fallback is not None else None
