"""The one maker of grant ids, pending grants and option errors, plus helpers providers share.

Why a module of its own: every provider that creates an identity needs the same
things (a grant id, the ledger record, an error that points at the policy entry,
the admin credential from the developer's env), and getting any of them subtly
different per provider would make ``status``, ``revoke`` and the error messages
inconsistent. Provider code never builds a :class:`Grant` or a ``file:line``
message itself.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from agentauth.errors import ConfigError, did_you_mean, where
from agentauth.model import Applied, CredentialPolicy, Grant, GrantId, GrantStatus, Plan, Secret
from agentauth.providers.base import Orphan, ProviderContext
from agentauth.redact import Scrubber

# --------------------------------------------------------------------------- option errors


class OptionError(ConfigError):
    """A problem with one policy entry, located by the framework in the policy file used.

    Providers raise it without knowing which file the entry came from (``provision
    --policy staging-policy.yaml`` reads another one); :func:`located` adds the file
    name from the provider context, so the ``FILE:LINE: credentials.VAR.key`` prefix
    is built here and nowhere else.
    """

    def __init__(
        self,
        entry: CredentialPolicy,
        key: str | None,
        problem: str,
        path: str | None = None,
        *,
        at: str | None = None,
    ) -> None:
        """Keep the pieces; the message is composed by :meth:`__str__`.

        ``at`` names the option whose line the message points at when it is not
        ``key`` (an unknown option is reported on its own line, not the entry's).
        """
        self.entry = entry
        self.key = key
        self.problem = problem
        self.path = path
        self.at = at
        super().__init__(str(self))

    def __str__(self) -> str:
        """Return ``FILE:LINE: credentials.VAR.key: problem`` (``line N:`` before locating)."""
        entry = self.entry
        top = (self.at or self.key or "").split(".")[0].split("[")[0]
        line = entry.option_lines.get(top, entry.line)
        prefix = where(self.path, line)
        name = f"credentials.{entry.variable}" + (f".{self.key}" if self.key else "")
        return f"{prefix}{name}: {self.problem}"

    def located(self, path: str) -> OptionError:
        """Return the same error naming the policy file ``path``."""
        return OptionError(self.entry, self.key, self.problem, path, at=self.at)


def check_keys(entry: CredentialPolicy, known: Iterable[str]) -> None:
    """Raise OptionError naming the first option of ``entry`` that the provider does not know."""
    allowed = set(known)
    for key in entry.options:
        if key not in allowed:
            names = ", ".join(sorted(allowed))
            raise OptionError(
                entry,
                None,
                f"unknown option {key!r} for provider {entry.provider}"
                f"{did_you_mean(key, allowed)}; known options: {names}",
                at=key,
            )


def string_list(entry: CredentialPolicy, key: str) -> tuple[str, ...]:
    """Return option ``key`` as a tuple of non-empty strings (a lone string is one item)."""
    raw = entry.options.get(key)
    if raw is None:
        return ()
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, Sequence) or isinstance(items, (bytes, Mapping)):
        raise OptionError(entry, key, "expected a list of strings")
    out = []
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise OptionError(entry, key, f"{item!r} is not a non-empty string")
        out.append(item)
    return tuple(out)


def positive_int(entry: CredentialPolicy, key: str, default: int, maximum: int) -> int:
    """Return option ``key`` as an int in 1..maximum, or ``default`` when absent."""
    raw = entry.options.get(key, default)
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= maximum:
        raise OptionError(entry, key, f"expected a whole number from 1 to {maximum}, got {raw!r}")
    return raw


def duration(entry: CredentialPolicy, key: str) -> int | None:
    """Return option ``key`` as seconds (``8h``, ``90m``, a number), None when absent."""
    from agentauth.config.policy import parse_duration

    raw = entry.options.get(key)
    if raw is None:
        return None
    try:
        return parse_duration(raw, key=key)
    except ConfigError as exc:
        raise OptionError(entry, key, str(exc).removeprefix(f"{key}: ")) from None


# --------------------------------------------------------------------------- grants


def new_grant_id(provider: str) -> GrantId:
    """Return a short unique grant id such as ``mysql-3f9a2c1b`` (the only place ids are made)."""
    return GrantId(f"{provider}-{secrets.token_hex(4)}")


def pending_grant(
    entry: CredentialPolicy,
    ctx: ProviderContext,
    *,
    scope: str,
    objects: Mapping[str, Any],
    revocable: bool = True,
    long_lived: bool = False,
    expires: bool = True,
    until: datetime | None = None,
    grant_id: GrantId | None = None,
) -> Grant:
    """Build the ledger record a plan carries: pending, expiring after the policy's ttl.

    ``until`` overrides the expiry (a PAT's lifetime in days); ``expires=False`` means
    none. The policy digest and the grant it replaces are the framework's business
    (``service.provision`` stamps them), so a provider never computes them.
    """
    if not expires:
        expiry: datetime | None = None
    else:
        expiry = until or ctx.now + timedelta(seconds=ctx.policy.ttl_seconds)
    provider = entry.provider or "unknown"
    return Grant(
        id=grant_id or new_grant_id(provider),
        agent=ctx.policy.agent,
        provider=provider,
        variable=entry.variable,
        created=ctx.now,
        expires=expiry,
        status=GrantStatus.PENDING,
        scope=scope,
        objects=dict(objects),
        long_lived=long_lived,
        revocable=revocable,
    )


def orphan(
    entry: CredentialPolicy,
    ctx: ProviderContext,
    *,
    kind: str,
    name: str,
    where: str,
    objects: Mapping[str, Any],
    note: str = "",
    grant_id: GrantId | None = None,
) -> Orphan:
    """An object ``revoke --scan`` found, with the ledger-shaped record its provider's revoke
    reads (``objects`` as the provider's own plan records them; never stored as found)."""
    grant = pending_grant(entry, ctx, scope=f"orphaned {kind} {name} on {where}",
                          objects=objects, expires=False, grant_id=grant_id)  # fmt: skip
    return Orphan(kind, name, where, grant, note)


def applied_without_expiry(plan: Plan, scoped: Secret, what: str) -> Applied:
    """Activate ``plan``'s grant for a server with no login expiry, and say who enforces it."""
    return Applied(
        grant=replace(plan.grant, status=GrantStatus.ACTIVE),
        env={plan.variable: scoped},
        notes=(
            f"{what} never expire by themselves: run `agentauth revoke --expired` "
            "(e.g. from cron) to enforce the ledger's expiry",
        ),
    )


def admin_secret(variable: str, ctx: ProviderContext, what: str) -> Secret:
    """Return the developer's own credential ``variable`` from the source env file."""
    value = ctx.source_env.get(variable)
    if value is None or not value.reveal().strip():
        raise ConfigError(
            f"{variable} is not set in {ctx.policy.source}"
            f"{did_you_mean(variable, ctx.source_env)}; "
            f"put your own {what} there (agentauth reads it to create the agent's "
            "scoped one and never copies it to the agent)"
        )
    return value


def identity_name(agent: str, *, limit: int = 32) -> str:
    """Return ``agentauth_<agent>_<random>``: recognisable in the server's user list, unique.

    ``limit`` is the server's maximum user-name length (32 on MySQL 8).
    """
    return _identity_prefix(agent, limit) + secrets.token_hex(3)


def _identity_prefix(agent: str, limit: int) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", agent.lower()).strip("_") or "agent"
    room = limit - len("agentauth__") - 6
    return f"agentauth_{slug[:room]}_"


def is_identity_of(name: str, agent: str, *, limit: int = 32) -> bool:
    """True when ``name`` is exactly what :func:`identity_name` makes for ``agent``.

    ``revoke --scan`` removes only such names: ``agentauth_<agent>_backup`` made by a
    human, or another agent's user, never matches.
    """
    pattern = re.escape(_identity_prefix(agent, limit)) + "[0-9a-f]{6}"
    return re.fullmatch(pattern, name) is not None


def new_password() -> Secret:
    """Return a 32-character URL-safe random password (192 bits), wrapped."""
    return Secret(secrets.token_urlsafe(24))


@dataclass(frozen=True)
class ServerURL:
    """A parsed ``scheme://user:password@host:port/path?query`` URL; the password stays wrapped."""

    scheme: str
    username: str
    password: Secret | None
    host: str
    port: int | None
    path: str
    query: str

    @property
    def address(self) -> str:
        """Return ``host:port`` (never credentials), for scopes and messages."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}" if self.port else host

    def with_credentials(self, username: str, password: Secret, *, path: str | None = None) -> str:
        """Return this URL with other credentials (and optionally another path), as text."""
        netloc = f"{quote(username, safe='')}:{quote(password.reveal(), safe='')}@{self.address}"
        return urlunsplit(
            (self.scheme, netloc, self.path if path is None else path, self.query, "")
        )


def parse_server_url(secret: Secret, schemes: Iterable[str], what: str) -> ServerURL:
    """Parse a database/cache URL; the error never quotes the value (it holds a password)."""
    text = secret.reveal().strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ConfigError(
            f"the {what} URL cannot be parsed; expected scheme://user:pass@host:port/…"
        ) from None
    allowed = tuple(schemes)
    if parts.scheme.lower() not in allowed or not parts.hostname:
        raise ConfigError(
            f"the {what} URL must look like {allowed[0]}://user:password@host:port/…; "
            f"supported schemes: {', '.join(allowed)}"
        )
    password = Secret(unquote(parts.password)) if parts.password is not None else None
    return ServerURL(
        scheme=parts.scheme,
        username=unquote(parts.username or ""),
        password=password,
        host=parts.hostname,
        port=port,
        path=parts.path,
        query=parts.query,
    )


def scrubber(*values: Secret | None) -> Scrubber:
    """Return a Scrubber for the given values (None ignored), for SDK error text."""
    return Scrubber(v for v in values if v is not None)
