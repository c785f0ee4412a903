"""The explicit provider registry: name -> module, imported only when used.

The table itself is :data:`agentauth.config.providertable.PROVIDERS` (re-exported here),
so the policy parser can check names without importing this layer.

Also the one place that knows which provider can scope a variable of the source env
(by its URL scheme or its name) and how the audit engine's provider names map onto
ours, so ``init``, ``provision`` and ``run`` agree.
"""

from __future__ import annotations

import importlib
import importlib.util
from urllib.parse import urlsplit

from agentauth.config.providertable import PROVIDERS as PROVIDERS
from agentauth.errors import ConfigError
from agentauth.providers.base import OrphanScanner, Provider

SDKS: dict[str, str] = {
    "postgres": "psycopg",
    "mysql": "pymysql",
    "redis": "redis",
    "aws": "boto3",
    "github": "github",
    "stripe": "stripe",
}
"""The SDK each provider needs, installed by the extra of the provider's name.

NOTE: the SDKs are extras so that ``audit``, ``check`` and the pre-commit hook install
in seconds; a provider whose SDK is missing says which extra to install instead of
failing with an ImportError deep inside ``apply``.
"""

DATABASES = frozenset({"postgres", "mysql", "redis"})
"""Providers whose credential is a server URL (a URL without a password is still one)."""

_URL_SCHEMES = {
    "postgres": "postgres",
    "postgresql": "postgres",
    "mysql": "mysql",
    "mariadb": "mysql",
    "redis": "redis",
    "rediss": "redis",
}
_ENGINE_NAMES = {
    "postgresql": "postgres",
    "postgres": "postgres",
    "mysql": "mysql",
    "mariadb": "mysql",
    "redis": "redis",
    "aws": "aws",
    "amazon": "aws",
    "github": "github",
    "stripe": "stripe",
}


def get(name: str) -> Provider:
    """Return the provider called ``name``; raise ConfigError listing the known ones."""
    try:
        module_name = PROVIDERS[name]
    except KeyError:
        known = ", ".join(sorted(PROVIDERS))
        raise ConfigError(f"unknown provider {name!r}; known providers: {known}") from None
    sdk = SDKS.get(name)
    if sdk is not None and importlib.util.find_spec(sdk) is None:
        raise ConfigError(
            f"the {name} provider needs the {sdk!r} package, which is not installed: "
            f"pip install 'agentauth-cli[{name}]' (or 'agentauth-cli[all]' for every provider)"
        )
    module = importlib.import_module(module_name)
    provider: Provider = module.PROVIDER
    return provider


ORPHANS: dict[str, str] = {
    "postgres": "agentauth.providers.postgres.orphans",
    "mysql": "agentauth.providers.mysql.orphans",
    "redis": "agentauth.providers.redis.orphans",
    "aws": "agentauth.providers.aws.orphans",
}
"""The providers that can find their orphans (``revoke --scan``): name -> module with SCANNER."""


def orphan_scanner(name: str) -> OrphanScanner | None:
    """Return the orphan scanner of provider ``name``, or None when it has none (unsupported)."""
    if name not in ORPHANS:
        return None
    get(name)  # NOTE: the same "install the extra" error when its SDK is missing
    scanner: OrphanScanner = importlib.import_module(ORPHANS[name]).SCANNER
    return scanner


def for_url(value: str) -> str | None:
    """Return the provider of a server URL by its scheme (``postgresql+psycopg://`` too)."""
    try:
        scheme = urlsplit(value).scheme.lower()
    except ValueError:
        return None
    return _URL_SCHEMES.get(scheme.split("+", 1)[0])


def for_name(name: str) -> str | None:
    """Return the provider a variable's name points at (``AWS_*``, ``GITHUB_*``, ``STRIPE_*``)."""
    upper = name.upper()
    if upper.startswith("AWS_"):
        return "aws"
    if upper in ("GITHUB_TOKEN", "GH_TOKEN") or upper.startswith("GITHUB_"):
        return "github"
    if upper.startswith("STRIPE_") and "PUBLISHABLE" not in upper:
        return "stripe"
    return None


def for_variable(name: str, value: str) -> str | None:
    """Return the provider that could scope variable ``name`` holding ``value``, if any."""
    return for_url(value) or for_name(name)


def for_engine(engine_provider: str) -> str | None:
    """Map an audit finding's provider (``PostgreSQL``, ``Amazon``...) to ours, or None."""
    return _ENGINE_NAMES.get(engine_provider.lower())
