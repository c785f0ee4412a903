"""Offline facts about GitHub token strings: their kind, checksum, scopes and expiry header.

Pure functions, no network and no SDK, so the audit engine and the provider can share
them: which prefix means what, whether a classic-format token carries a valid CRC32
checksum, what an ``X-OAuth-Scopes`` list lets its holder do, and when a token expires
according to ``GitHub-Authentication-Token-Expiration``.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from datetime import UTC, datetime

from agentauth.model import Severity

_CLASSIC = re.compile(r"^(gh[pousr])_([0-9A-Za-z]{36})$")
_STATELESS_GHS = re.compile(r"^ghs_[0-9]+_[A-Za-z0-9_.\-]+$")
_LEGACY = re.compile(r"^[0-9a-f]{40}$")


class TokenKind(enum.Enum):
    """What issued a GitHub token, decided by its prefix (GitHub's 2021 token formats)."""

    CLASSIC_PAT = "ghp"
    """Personal access token (classic): OAuth scopes, every repository of the user."""
    OAUTH = "gho"
    """OAuth App user token: OAuth scopes like a classic PAT."""
    USER_TO_SERVER = "ghu"
    """GitHub App user token: the app's permissions intersected with the user's; 8 hours."""
    INSTALLATION = "ghs"
    """GitHub App installation token (also Actions' GITHUB_TOKEN): one hour."""
    REFRESH = "ghr"
    """Refresh token of a GitHub App user token: mints new ``ghu_`` tokens for six months."""
    FINE_GRAINED = "github_pat"
    """Fine-grained personal access token: per repository, per permission, with an expiry."""
    LEGACY = "legacy"
    """A 40-hex token from before 2021: classic scopes, no prefix."""
    UNKNOWN = "unknown"


_PREFIXES = {
    "ghp_": TokenKind.CLASSIC_PAT,
    "gho_": TokenKind.OAUTH,
    "ghu_": TokenKind.USER_TO_SERVER,
    "ghs_": TokenKind.INSTALLATION,
    "ghr_": TokenKind.REFRESH,
    "github_pat_": TokenKind.FINE_GRAINED,
}

# Kinds whose API calls carry OAuth scopes in X-OAuth-Scopes.
SCOPED_KINDS = frozenset({TokenKind.CLASSIC_PAT, TokenKind.OAUTH, TokenKind.LEGACY})


def token_kind(value: str) -> TokenKind:
    """Return the kind of ``value`` from its prefix (or 40-hex legacy shape)."""
    for prefix, kind in _PREFIXES.items():
        if value.startswith(prefix):
            return kind
    if _LEGACY.match(value):
        return TokenKind.LEGACY
    return TokenKind.UNKNOWN


def checksum_valid(value: str) -> bool | None:
    """Check the CRC32 checksum of a classic-format token (``ghp_``, ``gho_``, ``ghu_``...).

    Returns True or False for a 40-character ``gh?_`` token, and None when the format
    carries no checksum we know (fine-grained ``github_pat_``, the stateless
    ``ghs_<app id>_<JWT>`` installation tokens, legacy hex). Why: a failing checksum
    means the string was typed by hand (documentation, a test fixture), not issued by
    GitHub; it is settled offline, without asking GitHub. The scheme itself lives with
    the audit engine's rules (:func:`agentauth.engine.rules.checks.token_checksum_valid`).
    """
    from agentauth.engine.rules.checks import token_checksum_valid

    if not _CLASSIC.match(value):
        return None
    return token_checksum_valid(value)


def make_classic_token(prefix: str, random_part: str) -> str:
    """Return a checksum-valid classic-format token; for tests and fixtures only."""
    from agentauth.engine.rules.checks import BASE62, base62_checksum

    if len(random_part) != 30 or any(c not in BASE62 for c in random_part):
        raise ValueError("random_part must be 30 base62 characters")
    return f"{prefix}_{random_part}{base62_checksum(random_part)}"


def is_stateless_installation_token(value: str) -> bool:
    """True for the 2026 ``ghs_<app id>_<JWT>`` installation token format (variable length)."""
    return bool(_STATELESS_GHS.match(value)) and not _CLASSIC.match(value)


# ----------------------------------------------------------------------------- scopes

# NOTE(F): classic scopes, https://docs.github.com/apps/oauth-apps/building-oauth-apps/scopes-for-oauth-apps
# Scopes that give push, admin or delete rights over code: an agent must never hold them.
CRITICAL_SCOPES = frozenset(
    {"repo", "admin:org", "delete_repo", "workflow", "admin:repo_hook", "admin:enterprise"}
)
# Scopes that write somewhere (public code, packages, org settings, user data, keys).
HIGH_SCOPES = frozenset(
    {
        "public_repo",
        "write:packages",
        "delete:packages",
        "write:org",
        "admin:public_key",
        "admin:org_hook",
        "admin:gpg_key",
        "admin:ssh_signing_key",
        "user",
        "gist",
        "codespace",
        "project",
        "repo:invite",
        "repo_deployment",
        "repo:status",
        "write:discussion",
        "security_events",
        "site_admin",
    }
)
# Scopes that only read: the only ones a pasted classic token may carry.
READ_ONLY_SCOPES = frozenset(
    {
        "read:org",
        "read:user",
        "user:email",
        "user:follow",
        "read:packages",
        "read:discussion",
        "read:project",
        "read:public_key",
        "read:repo_hook",
        "read:gpg_key",
        "read:ssh_signing_key",
        "read:enterprise",
        "read:audit_log",
        "notifications",
    }
)

_SCOPE_CAPABILITIES: dict[str, tuple[str, ...]] = {
    "repo": ("push-code", "read-code", "admin-repository"),
    "public_repo": ("push-code",),
    "delete_repo": ("admin-repository",),
    "admin:org": ("admin-repository",),
    "admin:enterprise": ("admin-repository",),
    "admin:repo_hook": ("admin-repository",),
    "workflow": ("push-code",),
    "write:packages": ("publish-packages",),
    "delete:packages": ("publish-packages",),
    "read:packages": ("read-code",),
}


def parse_scopes(header: str | None) -> tuple[str, ...] | None:
    """Parse ``X-OAuth-Scopes`` ("repo, read:org"); None when the header is absent."""
    if header is None:
        return None
    return tuple(s.strip() for s in header.split(",") if s.strip())


def broad_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    """Return the scopes that are not read-only, in their original order."""
    return tuple(s for s in scopes if s not in READ_ONLY_SCOPES)


def scope_capabilities(scopes: Iterable[str]) -> tuple[str, ...]:
    """Map classic scopes to the shared capability vocabulary (sorted, unique)."""
    caps: set[str] = set()
    for scope in scopes:
        caps.update(_SCOPE_CAPABILITIES.get(scope, ()))
    return tuple(sorted(caps))


def scope_severity(scopes: Iterable[str]) -> Severity:
    """Rate a classic token by its worst scope: critical, high, medium (read) or low (none)."""
    found = set(scopes)
    if found & CRITICAL_SCOPES:
        return Severity.CRITICAL
    if found - READ_ONLY_SCOPES:
        return Severity.HIGH
    if found:
        return Severity.MEDIUM
    return Severity.LOW


# ----------------------------------------------------------------------------- expiry

_EXPIRY_FORMATS = ("%Y-%m-%d %H:%M:%S %Z", "%Y-%m-%d %H:%M:%S %z")


def parse_expiry(header: str | None) -> datetime | None:
    """Parse ``GitHub-Authentication-Token-Expiration`` into an aware UTC datetime.

    GitHub sends ``2027-01-01 00:00:00 UTC`` (also seen with a ``+0000`` offset);
    None when absent (the token never expires) or unreadable.
    """
    if not header:
        return None
    text = header.strip()
    for fmt in _EXPIRY_FORMATS:
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    return parse_iso(text)


def parse_iso(text: str | None) -> datetime | None:
    """Parse an ISO 8601 timestamp as GitHub writes it (``2016-07-11T22:14:10Z``)."""
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
