"""The decision for one request: allowed or refused, and the headers to send upstream.

Pure (no I/O), so every rule of the broker is a unit test. The order of checks is
the security argument:

1. the target must be a plain path: no ``.``/``..`` segments, no encoded ``/``,
   ``\\`` or ``.``, nothing outside printable ASCII (an upstream that normalises
   paths differently from us could otherwise be reached outside the rules);
2. every phantom in the request line and headers (Basic credentials decoded) must be
   known, unexpired, meant for this host, and only where its entry's ``auth`` puts it;
3. the method and path must match an allow rule of that entry (or, with no phantom,
   of an entry brokering the host);
4. only then is the phantom replaced by the real value, in that one place.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, urlencode

from agentauth.broker import phantom
from agentauth.broker.resolver import PhantomResolver, Resolved
from agentauth.config.brokerpolicy import BrokeredEntry, BrokerPolicy

Headers = list[tuple[bytes, bytes]]

HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"proxy-connection",
        b"keep-alive",
        b"proxy-authorization",
        b"proxy-authenticate",
        b"te",
        b"trailer",
        b"upgrade",
        b"expect",
    }
)
"""Headers that belong to one hop; never forwarded (framing is redone by h11)."""
_BAD_PATH = re.compile(r"%2[eEfF]|%5[cC]|\\|(?:^|/)\.{1,2}(?:/|$)")
_PRINTABLE = re.compile(r"^[\x21-\x7e]*$")


@dataclass(frozen=True)
class Decision:
    """What the broker does with one request."""

    allowed: bool
    reason: str
    """Why (for the audit event and the 403 body); never a secret."""
    variable: str | None = None
    grant_id: str | None = None
    headers: Headers = field(default_factory=list)
    """The headers to send upstream (phantom replaced, hop-by-hop removed)."""
    target: bytes = b""
    """The request target to send upstream (query credential injected)."""
    policy_line: str = ""
    allowed_rules: tuple[str, ...] = ()
    agent: str | None = None
    """The phantom's holder when it is not the broker's agent (a delegated sub-agent)."""


def split_target(target: str) -> tuple[str, str]:
    """Return (path, query) of an origin-form target."""
    path, _, query = target.partition("?")
    return path, query


def _refuse(reason: str, **kw: object) -> Decision:
    return Decision(allowed=False, reason=reason, **kw)  # type: ignore[arg-type]


def _where(bp: BrokerPolicy, entry: BrokeredEntry) -> str:
    return f"{bp.path}:{entry.line}"


def _basic_parts(value: str) -> str | None:
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        return base64.b64decode(token.strip(), validate=True).decode("latin-1")
    except (binascii.Error, ValueError):
        return None


@dataclass
class _Found:
    phantom: str
    where: str
    """``header:<lower name>``, ``basic``, ``query:<name>`` or ``path``."""


def find_phantoms(target: str, headers: Sequence[tuple[bytes, bytes]]) -> list[_Found]:
    """Return every phantom in the target and the headers, with where it was."""
    found: list[_Found] = []
    path, query = split_target(target)
    found.extend(_Found(p, "path") for p in phantom.find(path))
    for name, value in parse_qsl(query, keep_blank_values=True):
        found.extend(_Found(p, f"query:{name}") for p in phantom.find(name + "=" + value))
    if not found and phantom.MARKER in query:
        found.append(_Found(phantom.MARKER, "query:?"))
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        found.extend(_Found(p, f"header:{name}") for p in phantom.find(value))
        if name == "authorization":
            decoded = _basic_parts(value)
            if decoded is not None:
                found.extend(_Found(p, "basic") for p in phantom.find(decoded))
    return found


def _permitted_place(entry: BrokeredEntry, where: str) -> bool:
    kind, name = entry.auth.kind, entry.auth.name
    if kind == "bearer":
        return where == "header:authorization"
    if kind == "basic":
        return where == "basic"
    if kind == "header":
        return where == f"header:{name.lower()}"
    return where == f"query:{name}"


def _inject(
    entry: BrokeredEntry, resolved: Resolved, found: str, target: str, headers: Headers
) -> tuple[bytes, Headers]:
    real = resolved.real.reveal()
    kind = entry.auth.kind
    if kind == "query":
        path, query = split_target(target)
        pairs = [
            (k, v.replace(found, real) if k == entry.auth.name else v)
            for k, v in parse_qsl(query, keep_blank_values=True)
        ]
        return f"{path}?{urlencode(pairs, quote_via=quote)}".encode("latin-1"), headers
    out: Headers = []
    wanted = b"authorization" if kind in ("bearer", "basic") else entry.auth.name.lower().encode()
    for name, value in headers:
        if name.lower() == wanted:
            text = value.decode("latin-1")
            if kind == "basic":
                scheme, _, _token = text.partition(" ")
                plain = (_basic_parts(text) or "").replace(found, real)
                text = f"{scheme} {base64.b64encode(plain.encode('latin-1')).decode('ascii')}"
            else:
                text = text.replace(found, real)
            value = text.encode("latin-1")
        out.append((name, value))
    return target.encode("latin-1"), out


def forwardable(headers: Sequence[tuple[bytes, bytes]]) -> Headers:
    """Drop hop-by-hop headers and those ``Connection`` names."""
    named = {
        token.strip().lower()
        for name, value in headers
        if name.lower() == b"connection"
        for token in value.split(b",")
    }
    return [(n, v) for n, v in headers if n.lower() not in HOP_BY_HOP and n.lower() not in named]


def decide(
    bp: BrokerPolicy,
    resolver: PhantomResolver,
    *,
    host: str,
    method: str,
    target: str,
    headers: Sequence[tuple[bytes, bytes]],
    now: float,
) -> Decision:
    """Decide one request to ``host`` (TLS terminated, or plain HTTP through the proxy)."""
    path, _query = split_target(target)
    if not path.startswith("/") or not _PRINTABLE.match(target) or _BAD_PATH.search(path):
        return _refuse(
            f"{method} {path[:200]!r}: only plain paths are brokered (no dot segments "
            "or encoded slashes)"
        )
    entries = bp.for_host(host)
    found = find_phantoms(target, headers)
    resolutions: list[tuple[_Found, Resolved]] = []
    for item in found:
        resolved = resolver.resolve(item.phantom)
        if resolved is None:
            return _refuse("a phantom this session does not know (from another session?)")
        entry = resolved.entry
        if host not in entry.hosts:
            return _refuse(
                f"the phantom of {entry.variable} was sent to {host}, not one of its hosts "
                f"({', '.join(entry.hosts)})",
                variable=entry.variable,
                grant_id=resolved.grant_id,
                policy_line=_where(bp, entry),
                agent=resolved.agent,
            )
        if resolved.revoked or resolved.expired(now):
            why = f"was revoked (grant {resolved.grant_id})" if resolved.revoked else "has expired"
            return _refuse(
                f"the phantom of {entry.variable} {why}",
                variable=entry.variable,
                grant_id=resolved.grant_id,
                agent=resolved.agent,
            )
        if not _permitted_place(entry, item.where):
            return _refuse(
                f"the phantom of {entry.variable} may only travel as auth {entry.auth.text}, "
                f"found in {item.where.split(':')[0]}",
                variable=entry.variable,
                grant_id=resolved.grant_id,
                policy_line=_where(bp, entry),
                agent=resolved.agent,
            )
        resolutions.append((item, resolved))
    variables = {r.entry.variable for _f, r in resolutions}
    if len(variables) > 1:
        several = ", ".join(sorted(variables))
        return _refuse(f"phantoms of several credentials in one request ({several})")
    clean = forwardable(headers)
    if not entries:
        return Decision(
            allowed=True, reason="not brokered", headers=clean, target=target.encode("latin-1")
        )
    if resolutions:
        item, resolved = resolutions[0]
        entry = resolved.entry
        rules = resolved.rules
        candidates = [entry]
    else:
        resolved = None
        rules = tuple(r for e in entries for r in e.rules)
        candidates = list(entries)
    rule = next((r for r in rules if r.matches(method, path)), None)
    names = " or ".join(e.variable for e in candidates)
    line = _where(bp, candidates[0])
    grant_id = resolved.grant_id if resolved is not None else None
    agent = resolved.agent if resolved is not None else None
    if rule is None:
        held = f" as delegated to {agent} (grant {grant_id})" if agent else ""
        return _refuse(
            f"{method} {path} is not allowed for {names}{held} ({line})",
            variable=candidates[0].variable,
            grant_id=grant_id,
            policy_line=line,
            allowed_rules=tuple(r.text for r in rules),
            agent=agent,
        )
    if resolved is None:
        return Decision(
            allowed=True,
            reason=f"{rule.text} (no credential sent)",
            variable=None,
            headers=clean,
            target=target.encode("latin-1"),
            policy_line=f"{bp.path}:{rule.line}",
        )
    new_target, new_headers = _inject(entry, resolved, item.phantom, target, clean)
    return Decision(
        allowed=True,
        reason=rule.text,
        variable=entry.variable,
        grant_id=grant_id,
        headers=new_headers,
        target=new_target,
        policy_line=f"{bp.path}:{rule.line}",
        agent=agent,
    )


def refusal_body(decision: Decision) -> bytes:
    """Return the JSON body of a 403: the message names the rule set and the policy line.

    Shaped so that SDKs show the message instead of failing to parse the error:
    ``error.message`` (Stripe, OpenAI, Anthropic) and a top-level ``message`` (GitHub).
    """
    message = f"agentauth: {decision.reason}"
    body: dict[str, object] = {
        "error": {"message": message, "type": "permission_error", "code": "agentauth_refused"},
        "message": message,
    }
    if decision.variable:
        body["variable"] = decision.variable
    if decision.agent:
        body["agent"] = decision.agent
    if decision.policy_line:
        body["policy"] = decision.policy_line
    if decision.allowed_rules:
        body["allowed"] = list(decision.allowed_rules)
    return json.dumps(body).encode() + b"\n"
