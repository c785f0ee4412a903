"""The explicit provider registry: name -> module, imported only when used."""

from __future__ import annotations

import importlib

from agentauth.errors import ConfigError
from agentauth.providers.base import Provider

# NOTE: module paths, not objects, so that importing the registry imports no SDK.
PROVIDERS: dict[str, str] = {
    "postgres": "agentauth.providers.postgres.provider",
    "mysql": "agentauth.providers.mysql.provider",
    "redis": "agentauth.providers.redis",
    "aws": "agentauth.providers.aws.provider",
    "github": "agentauth.providers.github.provider",
    "stripe": "agentauth.providers.stripe.provider",
    "http": "agentauth.providers.http",
}


def get(name: str) -> Provider:
    """Return the provider called ``name``; raise ConfigError listing the known ones."""
    try:
        module_name = PROVIDERS[name]
    except KeyError:
        known = ", ".join(sorted(PROVIDERS))
        raise ConfigError(f"unknown provider {name!r}; known providers: {known}") from None
    module = importlib.import_module(module_name)
    provider: Provider = module.PROVIDER
    return provider
