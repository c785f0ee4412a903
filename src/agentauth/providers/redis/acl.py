"""Redis ACL rules: what ``ACL SETUSER`` is given, and what an ``ACL GETUSER`` reply means.

Pure functions (no connection) so the rules can be shown in a plan, tested offline and
reused by delegation, which builds a narrower user from the same rules.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from agentauth.model import CredentialPolicy, Severity, Verification
from agentauth.providers import kit as grantkit
from agentauth.providers.kit import OptionError

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


def valid_pattern(item: str) -> bool:
    """True for a plain glob: no spaces, no control characters, no ACL prefix (~ % &)."""
    return bool(_PATTERN.match(item)) and item[0] not in "~%&"


def patterns(entry: CredentialPolicy, key: str) -> tuple[str, ...]:
    """The glob patterns under ``key``; refused when ACL syntax (a prefix, a space) sneaks in."""
    items = grantkit.string_list(entry, key)
    for item in items:
        if not valid_pattern(item):
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
