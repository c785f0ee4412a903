"""The Redis provider: an ACL user limited to key patterns and read (or read-write) commands.

``ACL SETUSER agentauth_<agent>_<rand> reset on >password resetkeys ~cache:* resetchannels
-@all +@read …`` gives the agent its own login that the server itself confines.
Redis ACL users have no expiry, so the ledger's is enforced by
``agentauth revoke --expired``; revocation is ``ACL DELUSER`` (which disconnects the
user's clients) followed by ``CLIENT KILL USER`` for good measure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar

from agentauth.errors import ConfigError, PermissionDenied, ProviderError
from agentauth.model import (
    Applied,
    CredentialPolicy,
    Finding,
    Grant,
    Plan,
    PlanStep,
    RevokeResult,
    Secret,
    Severity,
    Verification,
)
from agentauth.providers import kit as grantkit
from agentauth.providers.base import Provider, ProviderContext, VerifyContext
from agentauth.providers.kit import OptionError

if TYPE_CHECKING:
    from redis import Redis

SCHEMES = ("redis", "rediss")
OPTIONS = ("access", "keys", "channels")
ACCESS = ("read-only", "read-write")
MASK = ">***"
# Why each extra command: PING is the health check of most clients (not in @read);
# CLIENT SETNAME lets a client label its own connection (ioredis, Sidekiq do it on
# connect) and reaches no data. (CLIENT SETINFO, which redis-py sends, exists only
# from Redis 7.2 and clients ignore its refusal.) KEYS is removed: it blocks the server on a
# large keyspace and lists every key name, whatever the pattern.
_CONNECTION_COMMANDS = ("+ping", "+client|setname")
_REMOVED = ("-keys",)
_PATTERN = re.compile(r"^[^\s\x00-\x1f]+$")


def _patterns(entry: CredentialPolicy, key: str) -> tuple[str, ...]:
    items = grantkit.string_list(entry, key)
    for item in items:
        if not _PATTERN.match(item) or item[0] in "~%&":
            raise OptionError(
                entry,
                key,
                f"{item!r} is not a plain glob pattern "
                "(no spaces or control characters; write cache:* without a ~ or & prefix)",
            )
    return items


def acl_rules(
    *,
    password: str,
    keys: Sequence[str],
    channels: Sequence[str],
    access: str,
    selectors: bool,
    select_db: bool,
) -> list[str]:
    """Return the ``ACL SETUSER`` rules, one argument each (pass ``MASK`` to show them).

    ``selectors`` (Redis 7+) lets read-only users get ``%R~pattern``: even a command
    that slipped into the allowed set could not write a key.
    """
    pw = MASK if password == MASK else f">{password}"
    key_prefix = "%R~" if access == "read-only" and selectors else "~"
    rules = ["reset", "on", pw, "resetkeys"]
    rules += [f"{key_prefix}{k}" for k in keys]
    rules.append("resetchannels")
    rules += [f"&{c}" for c in channels]
    rules += ["-@all", "+@read"]
    if access == "read-write":
        rules += ["+@write", "+@transaction", "-@dangerous"]
    rules += list(_CONNECTION_COMMANDS)
    if select_db:
        rules.append("+select")
    if channels:
        rules += ["+subscribe", "+psubscribe", "+unsubscribe", "+punsubscribe"]
        if access == "read-write":
            rules.append("+publish")
    rules += list(_REMOVED)
    return rules


def _database(url: grantkit.ServerURL) -> int:
    from urllib.parse import parse_qsl

    path = url.path.strip("/")
    if not path:
        return int(dict(parse_qsl(url.query)).get("db", "0") or 0)
    if not path.isdigit():
        raise ConfigError("the Redis URL's path must be a database number like /0")
    return int(path)


def connect(url: grantkit.ServerURL, *, timeout: float = 10.0) -> Redis[bytes]:
    """Return a redis-py client for ``url`` (lazy import); nothing is sent yet."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return redis.Redis(
        host=url.host,
        port=url.port or 6379,
        db=_database(url),
        username=url.username or None,
        password=url.password.reveal() if url.password else None,
        ssl=url.scheme == "rediss",
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        # one attempt: a refused login or a closed port must not be retried for seconds
        retry=Retry(NoBackoff(), 0),
    )


def open_default_user(url: grantkit.ServerURL, *, timeout: float = 3.0) -> bool:
    """True when the server answers a client that sends no credentials at all.

    That is the ``default`` user left ``on`` with ``nopass``: an agent can skip its
    ACL user (no AUTH, or ``AUTH default anything``) and run every command on every
    key. Tried, not inferred: the probe sends no password, so nothing can leak.
    """
    import redis

    try:
        bare = replace(url, username="", password=None)
        with connect(bare, timeout=timeout) as client:
            return bool(client.ping())
    except (redis.exceptions.RedisError, OSError, ConfigError):
        return False


_OPEN_DEFAULT_FIX = (
    "ACL SETUSER default on resetpass >a-long-random-password (or create an admin user and "
    "ACL SETUSER default off), put that password in the admin URL, then ACL SAVE or CONFIG "
    "REWRITE"
)


def _open_default_problem(address: str) -> str:
    return (
        f"Redis at {address} lets anyone in with NO password as the 'default' user (nopass): "
        "the agent can skip its ACL user (no AUTH, or AUTH default <anything>) and read, "
        "write or flush every key, so the ACL user scopes nothing"
    )


def open_default_warning(address: str) -> str:
    """The loud warning (plan, doctor) for an open ``default`` user, with the fix."""
    return f"{_open_default_problem(address)}. Fix: {_OPEN_DEFAULT_FIX}"


def doctor_check(value: Secret) -> tuple[str, str, str] | None:
    """``doctor``: (status, summary, fix) when the server's default user is open, else None."""
    try:
        url = grantkit.parse_server_url(value, SCHEMES, "Redis")
    except ConfigError:
        return None
    if not open_default_user(url):
        return None
    return ("fail", _open_default_problem(url.address), _OPEN_DEFAULT_FIX)


def _translate(exc: Exception, url: grantkit.ServerURL, doing: str, *secrets: Secret) -> Exception:
    import redis

    text = grantkit.scrubber(url.password, *secrets)(str(exc) or type(exc).__name__)
    if isinstance(exc, redis.AuthenticationError):
        return PermissionDenied(
            f"Redis at {url.address} refused the login while {doing}: {text}; "
            "check the URL's user and password"
        )
    if isinstance(exc, redis.exceptions.NoPermissionError):
        return PermissionDenied(
            f"the Redis user {url.username or 'default'!r} may not run ACL commands "
            f"({doing}): {text}; use an admin user (ACL permission +acl) or run the "
            "commands below as one"
        )
    if isinstance(exc, redis.ConnectionError | redis.TimeoutError):
        return ProviderError(
            f"cannot reach Redis at {url.address} while {doing}: {text}; check that the "
            "server is running and the URL is right"
        )
    return ProviderError(f"Redis at {url.address} failed while {doing}: {text}")


def _major_version(client: Redis[bytes]) -> int:
    info: Mapping[str, Any] = client.info("server")
    version = str(info.get("redis_version", "0"))
    head = version.split(".", 1)[0]
    return int(head) if head.isdigit() else 0


class RedisProvider:
    """Creates and removes Redis ACL users confined to key patterns for agents."""

    name: ClassVar[str] = "redis"
    presets: ClassVar[Mapping[str, Mapping[str, object]]] = {}
    """No presets of its own: ``init`` uses the read-only defaults of ``service.presets``."""

    def validate(self, entry: CredentialPolicy) -> CredentialPolicy:
        """Check ``access``, ``keys`` (required: a pattern like ``cache:*``) and ``channels``."""
        grantkit.check_keys(entry, OPTIONS)
        access = entry.options.get("access", "read-only")
        if access not in ACCESS:
            raise OptionError(entry, "access", f"{access!r} is not one of {', '.join(ACCESS)}")
        keys = _patterns(entry, "keys")
        if not keys:
            raise OptionError(
                entry,
                "keys",
                "name the key patterns the agent may use, "
                'e.g. keys: ["cache:*"] (use ["*"] to allow every key, knowingly)',
            )
        channels = _patterns(entry, "channels")
        return replace(
            entry, options={"access": access, "keys": list(keys), "channels": list(channels)}
        )

    def plan(self, entry: CredentialPolicy, ctx: ProviderContext) -> Plan:
        """Read the server version as the admin (for ``%R~`` selectors) and build the rules."""
        entry = self.validate(entry)
        url = grantkit.parse_server_url(
            grantkit.admin_secret(entry.variable, ctx, "Redis URL"), SCHEMES, "Redis"
        )
        db = _database(url)
        try:
            with connect(url) as client:
                major = _major_version(client)
        except ConfigError:
            raise
        except Exception as exc:
            raise _translate(exc, url, "reading the server version") from None
        access = str(entry.options["access"])
        keys = tuple(entry.options["keys"])
        channels = tuple(entry.options["channels"])
        user = grantkit.identity_name(ctx.policy.agent, limit=64)
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
            error = _translate(exc, url, "creating the ACL user", password)
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
                grant.id, False, str(_translate(exc, url, "deleting the ACL user")), manual=manual
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
            _database(url)
        except ConfigError as exc:
            return Verification("unknown", str(exc))
        try:
            with connect(url, timeout=min(ctx.timeout, 10.0)) as client:
                return _describe_user(client, url)
        except Exception as exc:
            error = _translate(exc, url, "verifying")
            status = "invalid" if isinstance(error, PermissionDenied) else "unknown"
            return Verification(status, str(error))


def _describe_user(client: Redis[bytes], url: grantkit.ServerURL) -> Verification:
    import redis

    try:
        whoami = client.execute_command("ACL", "WHOAMI")
        name = whoami.decode() if isinstance(whoami, bytes) else str(whoami)
        info: Mapping[str, Any] = client.acl_getuser(name) or {}
    except redis.exceptions.NoPermissionError:
        # A user that may not even read its own ACL is not an administrator.
        return Verification(
            "valid",
            "restricted ACL user (cannot run ACL commands; key patterns not visible)",
            capabilities=(),
            severity=None,
        )
    except redis.ResponseError:
        # Redis before 6 has no ACL: whoever logs in can run everything.
        info = {"categories": ["+@all"], "keys": ["~*"], "flags": ["on"]}
        name = "default"
    return describe_acl(name, info)


def describe_acl(name: str, info: Mapping[str, Any]) -> Verification:
    """Map an ``ACL GETUSER`` reply to capabilities and a severity (offline's kept for dev)."""

    def words(key: str) -> list[str]:
        raw = info.get(key) or []
        if isinstance(raw, (str, bytes)):
            raw = [raw]
        out: list[str] = []
        for item in raw:
            text = item.decode() if isinstance(item, bytes) else str(item)
            out += text.split()
        return out

    rules = words("categories") + words("commands")
    keys = words("keys")
    flags = words("flags")
    all_commands = "+@all" in rules or "allcommands" in flags
    all_keys = "~*" in keys or "allkeys" in flags
    caps: list[str] = []
    can_write = all_commands or "+@write" in rules
    can_flush = (
        all_commands
        or "+@dangerous" in rules
        or any(r in rules for r in ("+flushall", "+flushdb", "+@keyspace"))
    )
    if can_write:
        caps.append("read-write-cache")
    if can_flush:
        caps.append("flush-cache")
    if all_commands and all_keys:
        severity = Severity.CRITICAL
        summary = f"user {name!r}: every command on every key (FLUSHALL, CONFIG, ACL)"
    elif can_flush or can_write:
        severity = Severity.HIGH
        summary = f"user {name!r}: may write keys {' '.join(keys) or '(none)'}"
    else:
        severity = Severity.LOW
        summary = f"user {name!r}: read-only on keys {' '.join(keys) or '(none)'}"
    if "nopass" in flags:
        summary += "; no password: anyone who reaches the port has this access"
    return Verification(
        "valid",
        summary,
        capabilities=tuple(caps),
        severity=severity,
        details={"user": name, "keys": keys, "rules": rules, "flags": flags},
    )


PROVIDER: Provider = RedisProvider()
