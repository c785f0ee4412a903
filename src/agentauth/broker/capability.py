"""Attenuable capability phantoms (Biscuit): a delegated token can only ever narrow.

Why Biscuit: a sub-agent must get "a token derived from its parent's, with equal or
fewer permissions", and any holder must be able to narrow it further *offline*,
without asking agentauth. A Biscuit is a chain of Ed25519-signed blocks: the
authority block (signed with the broker's root key) lists the parent's hosts, allow
rules and expiry as Datalog checks; every appended block adds checks of its own and
can never remove one. The broker verifies the whole chain, then runs every block's
checks against the request (host, method, path, time): a request passes only when
it passes *each* block, so a child's token is never worth more than its parent's,
whatever the child appends.

Version: ``biscuit-python`` 0.4.0 embeds the Rust ``biscuit-auth`` 6.0 (checked in
the compiled wheel). The third-party block forgery (CVE-2024-42350) was fixed in
``biscuit-auth`` 5.0; agentauth, besides, never uses third-party blocks and refuses
any token that carries one (:func:`verify_token`).

Revocation needs external state (the Biscuit spec says so): every block has a
revocation id; the broker refuses a token any of whose ids the ledger lists as
revoked, so revoking a parent's block kills every token derived from it.

The phantom form is ``<provider prefix>AGENTAUTHcap_<base64url token>``: the prefix
keeps SDKs happy, the marker lets ``audit`` and the broker recognise it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from agentauth.config.brokerpolicy import AllowRule, compile_glob
from agentauth.marker import CAPABILITY_MARKER, CAPABILITY_PATTERN

if TYPE_CHECKING:
    from biscuit_auth import Biscuit

MARKER = CAPABILITY_MARKER
PATTERN = CAPABILITY_PATTERN
_MAX_TIME = timedelta(milliseconds=200)
"""Datalog time limit per request: biscuit's default (1 ms) refuses valid requests on a
loaded machine; the fact and iteration limits (1,000 and 100) still bound the work."""


@dataclass(frozen=True)
class Capability:
    """What one block of a token allows (the broker's view, for messages and Resolved)."""

    variable: str
    hosts: tuple[str, ...]
    rules: tuple[AllowRule, ...]
    expires: datetime


@dataclass(frozen=True)
class Decision:
    """The broker's answer for one request made with a capability phantom."""

    allowed: bool
    reason: str
    variable: str | None = None
    grant_id: str | None = None
    revocation_ids: tuple[str, ...] = ()


def _lit(text: str) -> str:
    """Quote ``text`` as a Datalog string literal (method and regex are ours, never raw input)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _rule_expression(rules: Sequence[AllowRule]) -> str:
    """One Datalog expression true when (method, path) matches any of ``rules``."""
    if not rules:
        return "false"
    parts = []
    for rule in rules:
        anchored = "^(?:" + compile_glob(rule.pattern).pattern + ")$"
        path = f"$p.matches({_lit(anchored)})"
        parts.append(path if rule.method == "*" else f"($m == {_lit(rule.method)} && {path})")
    return " || ".join(parts)


def block_code(
    rules: Sequence[AllowRule], expires: datetime, hosts: Collection[str] | None = None
) -> str:
    """The checks of one block: request within ``rules`` (and ``hosts``), before ``expires``."""
    lines = [
        f"check if method($m), path($p), {_rule_expression(rules)};",
        f"check if time($t), $t <= {expires.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')};",
    ]
    if hosts is not None:
        listed = ", ".join(_lit(h) for h in sorted(hosts))
        lines.append(f"check if host($h), [{listed}].contains($h);")
    return "\n".join(lines)


def mint(
    root_private: bytes,
    *,
    variable: str,
    grant_id: str,
    hosts: Collection[str],
    rules: Sequence[AllowRule],
    expires: datetime,
) -> str:
    """Return a new token (base64url) signed with the broker's root key (raw Ed25519 bytes)."""
    from biscuit_auth import Algorithm, BiscuitBuilder, PrivateKey

    builder = BiscuitBuilder(
        f"variable({_lit(variable)});\ngrant({_lit(grant_id)});\n"
        + block_code(rules, expires, hosts)
    )
    key = PrivateKey.from_bytes(root_private, Algorithm.Ed25519)  # type: ignore[call-arg,attr-defined]
    return str(builder.build(key).to_base64())


def attenuate(
    token: str,
    root_public: bytes,
    *,
    rules: Sequence[AllowRule],
    expires: datetime,
    grant_id: str | None = None,
) -> str:
    """Append a block narrowing ``token`` to ``rules`` until ``expires``; no private key needed.

    The root key is only used to check the token before narrowing it (a holder who
    skips that check gains nothing: the broker checks every block anyway).
    """
    from biscuit_auth import BlockBuilder

    parsed = verify_token(token, root_public)
    code = block_code(rules, expires)
    if grant_id:
        code = f"delegated({_lit(grant_id)});\n" + code
    return str(parsed.append(BlockBuilder(code)).to_base64())


def verify_token(token: str, root_public: bytes) -> Biscuit:
    """Check the signature chain; refuse third-party blocks. Raises ValueError."""
    return _verified(token, bytes(root_public))


@lru_cache(maxsize=1024)
def _verified(token: str, root_public: bytes) -> Biscuit:
    # NOTE: cached by the exact token text: verifying the Ed25519 chain is the costly
    # part (~0.3 ms here); the per-request Datalog run is not cached.
    from biscuit_auth import Algorithm, Biscuit, BiscuitValidationError, PublicKey

    try:
        parsed = Biscuit.from_base64(
            token,
            PublicKey.from_bytes(root_public, Algorithm.Ed25519),  # type: ignore[call-arg,attr-defined]
        )
    except (BiscuitValidationError, ValueError) as exc:
        raise ValueError(f"not a valid agentauth capability ({type(exc).__name__})") from None
    except Exception as exc:  # the bindings raise their own types for malformed input
        raise ValueError(f"not a valid agentauth capability ({type(exc).__name__})") from None
    for index in range(parsed.block_count()):
        if parsed.block_external_key(index) is not None:
            raise ValueError("capabilities with third-party blocks are refused")
    return parsed


def authorize(
    token: str,
    root_public: bytes,
    *,
    host: str,
    method: str,
    path: str,
    now: datetime | None = None,
    revoked: Collection[str] = frozenset(),
) -> Decision:
    """Check one request against every block of ``token``; never raises."""
    from biscuit_auth import AuthorizationError, AuthorizerBuilder, Rule

    try:
        parsed = verify_token(token, root_public)
    except ValueError as exc:
        return Decision(False, str(exc))
    ids = tuple(parsed.revocation_ids)
    if revoked and any(i in revoked for i in ids):
        return Decision(False, "the capability (or one it derives from) was revoked", None,
                        None, ids)  # fmt: skip
    builder = AuthorizerBuilder(
        "host({h}); method({m}); path({p}); time({t}); allow if true;",
        {"h": host.lower(), "m": method.upper(), "p": path.split("?", 1)[0],
         "t": now or datetime.now(UTC)},
    )  # fmt: skip
    # NOTE: the bundled .pyi predates limits()/set_limits() and the Algorithm argument.
    limits = builder.limits()  # type: ignore[attr-defined]
    limits.max_time = _MAX_TIME
    builder.set_limits(limits)  # type: ignore[attr-defined]
    authorizer = builder.build(parsed)
    variable = _first(authorizer.query(Rule("v($v) <- variable($v)")))
    grant = _first(authorizer.query(Rule("g($g) <- grant($g)")))
    try:
        authorizer.authorize()
    except AuthorizationError as exc:
        return Decision(False, _why(str(exc)), variable, grant, ids)
    return Decision(True, "allowed", variable, grant, ids)


def _first(facts: Iterable[object]) -> str | None:
    for fact in facts:
        terms = getattr(fact, "terms", None)
        if terms:
            return str(terms[0])
    return None


def _why(message: str) -> str:
    found = re.search(r"Check n°(\d+) in block n°(\d+)", message)
    if not found:
        return "refused by the capability: " + message[:200]
    check, block = int(found.group(1)), int(found.group(2))
    what = {0: "method and path", 1: "expiry", 2: "host"}.get(check, "a check")
    owner = "the parent's grant" if block == 0 else f"delegation block {block}"
    return f"refused by {owner}: {what} not allowed"


def phantom(prefix: str, token: str) -> str:
    """Return the phantom the child sees for ``token`` (keeps the provider prefix)."""
    return f"{prefix}{MARKER}{token}"


def token_of(value: str) -> str | None:
    """Return the token inside a capability phantom, None when ``value`` is not one."""
    found = PATTERN.search(value)
    return found.group(0)[len(MARKER) :] if found else None


def prefix_of(value: str) -> str:
    """Return what stands before the marker (the provider prefix)."""
    at = value.find(MARKER)
    return value[:at] if at > 0 else ""
