"""The Redis provider: an ACL user limited to key patterns and read (or read-write) commands.

``ACL SETUSER agentauth_<agent>_<rand> reset on >password resetkeys ~cache:* resetchannels
-@all +@read …`` gives the agent its own login that the server itself confines.
Redis ACL users have no expiry, so the ledger's is enforced by
``agentauth revoke --expired``; revocation is ``ACL DELUSER`` (which disconnects the
user's clients) followed by ``CLIENT KILL USER`` for good measure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import ClassVar

from agentauth.errors import ConfigError, PermissionDenied
from agentauth.model import (
    Applied,
    CredentialPolicy,
    Finding,
    Grant,
    Plan,
    PlanStep,
    RevokeResult,
    Secret,
    Verification,
)
from agentauth.providers import kit as grantkit
from agentauth.providers.base import Provider, ProviderContext, VerifyContext
from agentauth.providers.kit import OptionError
from agentauth.providers.redis.acl import ACCESS, MASK, OPTIONS, acl_rules, patterns
from agentauth.providers.redis.connection import (
    SCHEMES,
    connect,
    database,
    describe_user,
    major_version,
    open_default_user,
    open_default_warning,
    translate,
)
from agentauth.providers.redis.delegate import NARROWING, RedisNarrowing

USER_NAME_LIMIT = 64
"""How long an ACL user name agentauth makes may be (``plan`` and ``revoke --scan`` share it)."""


class RedisProvider:
    """Creates and removes Redis ACL users confined to key patterns for agents."""

    name: ClassVar[str] = "redis"
    presets: ClassVar[Mapping[str, Mapping[str, object]]] = {}
    """No presets of its own: ``init`` uses the read-only defaults of ``service.presets``."""
    narrowing: ClassVar[RedisNarrowing] = NARROWING
    """A sub-agent's own user on a subset of this one's (key patterns; ``agentauth delegate``)."""

    def validate(self, entry: CredentialPolicy) -> CredentialPolicy:
        """Check ``access``, ``keys`` (required: a pattern like ``cache:*``) and ``channels``."""
        grantkit.check_keys(entry, OPTIONS)
        access = entry.options.get("access", "read-only")
        if access not in ACCESS:
            raise OptionError(entry, "access", f"{access!r} is not one of {', '.join(ACCESS)}")
        keys = patterns(entry, "keys")
        if not keys:
            raise OptionError(
                entry,
                "keys",
                "name the key patterns the agent may use, "
                'e.g. keys: ["cache:*"] (use ["*"] to allow every key, knowingly)',
            )
        channels = patterns(entry, "channels")
        return replace(
            entry, options={"access": access, "keys": list(keys), "channels": list(channels)}
        )

    def plan(self, entry: CredentialPolicy, ctx: ProviderContext) -> Plan:
        """Read the server version as the admin (for ``%R~`` selectors) and build the rules."""
        entry = self.validate(entry)
        url = grantkit.parse_server_url(
            grantkit.admin_secret(entry.variable, ctx, "Redis URL"), SCHEMES, "Redis"
        )
        db = database(url)
        try:
            with connect(url) as client:
                major = major_version(client)
        except ConfigError:
            raise
        except Exception as exc:
            raise translate(exc, url, "reading the server version") from None
        access = str(entry.options["access"])
        keys = tuple(entry.options["keys"])
        channels = tuple(entry.options["channels"])
        user = grantkit.identity_name(ctx.policy.agent, limit=USER_NAME_LIMIT)
        shown = acl_rules(
            password=MASK,
            keys=keys,
            channels=channels,
            access=access,
            selectors=major >= 7,
            select_db=db != 0,
        )
        warnings = []
        if open_default_user(url):
            warnings.append(open_default_warning(url.address))
        if db != 0:
            warnings.append(
                f"the URL names database {db}, but Redis ACLs cannot restrict databases: the "
                "agent may SELECT every database of the server (the key patterns still apply)"
            )
        if "*" in keys:
            warnings.append("keys: ['*'] lets the agent touch every key; prefer a prefix")
        if major and major < 6:
            raise ConfigError(
                f"Redis at {url.address} is version {major}; ACL users need Redis 6 or later"
            )
        scope = f"{access} on keys {', '.join(keys)}" + (
            f", channels {', '.join(channels)}" if channels else ""
        )
        grant = grantkit.pending_grant(
            entry,
            ctx,
            scope=f"{scope} ({url.address}, all databases; URL names db {db})",
            objects={"user": user, "address": url.address, "db": db},
        )
        return Plan(
            variable=entry.variable,
            provider=self.name,
            grant=grant,
            steps=(
                PlanStep(
                    f"create Redis ACL user {user} on {url.address}",
                    "ACL SETUSER "
                    + " ".join([user, *shown])
                    + "\n(SCAN, DBSIZE and RANDOMKEY still show names, not values, of keys "
                    "outside the pattern; KEYS is removed)",
                ),
                PlanStep(
                    f"write {entry.variable} to {ctx.policy.output} as {user}",
                    "Redis ACL users do not expire: `agentauth revoke --expired` enforces "
                    "the ledger's expiry",
                ),
            ),
            outputs=(entry.variable,),
            warnings=tuple(warnings),
            private={
                "password": grantkit.new_password(),
                "rules_args": {
                    "keys": keys,
                    "channels": channels,
                    "access": access,
                    "selectors": major >= 7,
                    "select_db": db != 0,
                },
            },
        )

    def preflight(self, plan: Plan, ctx: ProviderContext) -> None:
        """Nothing more to check: ``plan`` already connected as the admin and read the version;
        a refused ``ACL SETUSER`` creates nothing."""
        return None

    def apply(self, plan: Plan, ctx: ProviderContext) -> Applied:
        """Run ``ACL SETUSER``; the password travels as its own argument, never in a log."""
        url = grantkit.parse_server_url(
            grantkit.admin_secret(plan.variable, ctx, "Redis URL"), SCHEMES, "Redis"
        )
        password: Secret = plan.private["password"]
        user = str(plan.grant.objects["user"])
        rules = acl_rules(password=password.reveal(), **plan.private["rules_args"])
        try:
            with connect(url) as client:
                client.execute_command("ACL", "SETUSER", user, *rules)
        except Exception as exc:
            error = translate(exc, url, "creating the ACL user", password)
            if isinstance(error, PermissionDenied):
                shown = acl_rules(password=MASK, **plan.private["rules_args"])
                error = PermissionDenied(
                    str(error),
                    manual="ACL SETUSER "
                    + " ".join([user, *shown]).replace(MASK, ">'<choose a password>'"),
                )
            raise error from None
        scoped = url.with_credentials(user, password)
        return grantkit.applied_without_expiry(plan, Secret(scoped), "Redis ACL users")

    def mint(self, grant: Grant, ctx: ProviderContext) -> Applied | None:
        """ACL users are long-lived; nothing is minted per run."""
        return None

    def revoke(self, grant: Grant, ctx: ProviderContext) -> RevokeResult:
        """Delete the ACL user (disconnecting it) and kill any client left; gone is success."""
        import redis

        user = str(grant.objects.get("user", ""))
        if not user:
            return RevokeResult(grant.id, False, "the ledger entry names no Redis user")
        manual = f"ACL DELUSER {user}\nCLIENT KILL USER {user}"
        value = ctx.source_env.get(grant.variable)
        if value is None:
            return RevokeResult(
                grant.id,
                False,
                f"{grant.variable} (the admin URL) is no longer in {ctx.policy.source}; put it "
                "back and run revoke again, or run the commands below as a Redis admin",
                manual=manual,
            )
        url = grantkit.parse_server_url(value, SCHEMES, "Redis")
        try:
            with connect(url) as client:
                client.execute_command("ACL", "DELUSER", user)
                try:
                    client.execute_command("CLIENT", "KILL", "USER", user)
                except redis.ResponseError as exc:
                    if "no such user" not in str(exc).lower():
                        raise
                left = [c for c in client.client_list() if c.get("user") == user]
        except Exception as exc:
            return RevokeResult(
                grant.id, False, str(translate(exc, url, "deleting the ACL user")), manual=manual
            )
        if left:
            return RevokeResult(
                grant.id, False, f"deleted {user}, but {len(left)} of its clients are still open"
            )
        return RevokeResult(grant.id, True, f"deleted Redis ACL user {user} on {url.address}")

    def verify(self, finding: Finding, ctx: VerifyContext) -> Verification:
        """Log in as the credential and ask who it is and what its ACL allows."""
        try:
            url = grantkit.parse_server_url(finding.secret, SCHEMES, "Redis")
            database(url)
        except ConfigError as exc:
            return Verification("unknown", str(exc))
        try:
            with connect(url, timeout=min(ctx.timeout, 10.0)) as client:
                return describe_user(client, url)
        except Exception as exc:
            error = translate(exc, url, "verifying")
            status = "invalid" if isinstance(error, PermissionDenied) else "unknown"
            return Verification(status, str(error))


PROVIDER: Provider = RedisProvider()
