"""Talking to a Redis server: the client, its errors, the version and the open default user.

Kept apart from the provider so the probes (``doctor``), revocation and delegation share one
client factory and one translation of driver errors (which never carries a password).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from agentauth.errors import ConfigError, PermissionDenied, ProviderError
from agentauth.model import Secret, Verification
from agentauth.providers import kit as grantkit
from agentauth.providers.redis.acl import describe_acl

if TYPE_CHECKING:
    from redis import Redis

SCHEMES = ("redis", "rediss")


def database(url: grantkit.ServerURL) -> int:
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
        db=database(url),
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


def translate(exc: Exception, url: grantkit.ServerURL, doing: str, *secrets: Secret) -> Exception:
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


def major_version(client: Redis[bytes]) -> int:
    info: Mapping[str, Any] = client.info("server")
    version = str(info.get("redis_version", "0"))
    head = version.split(".", 1)[0]
    return int(head) if head.isdigit() else 0


def describe_user(client: Redis[bytes], url: grantkit.ServerURL) -> Verification:
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
