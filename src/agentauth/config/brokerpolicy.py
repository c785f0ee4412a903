"""The brokered parts of ``agentauth.yaml``: ``provider: http``, ``mode: broker``, ``network``.

A brokered entry never gives the agent its value: the broker holds it and injects
it into requests to ``hosts`` that match an ``allow`` rule. This module only reads
and checks those keys (pure, no network); the broker enforces them. Every rule keeps
the policy line it came from, so a refusal can name the line a reviewer must change.

Allow rules are ``METHOD /path/glob``: ``*`` matches any characters except ``/``
(within one path segment), ``**`` matches anything (across segments), and a trailing
``/**`` also matches the bare prefix. ``*`` as the method matches every method. The
query string is ignored for matching.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentauth.config.yamlnodes import node_value
from agentauth.errors import ConfigError, did_you_mean, where
from agentauth.model import CredentialPolicy, Policy

AUTH_KINDS = ("bearer", "basic", "header:<Name>", "query:<name>")
NETWORK_DEFAULTS = ("allow", "deny")
_HTTP_KEYS = {"hosts", "auth", "allow", "upstream", "upstream_ca"}
BROKER_KEYS = frozenset(_HTTP_KEYS)
"""The keys of a brokered entry that belong to the broker, not to its provider."""
_METHOD = re.compile(r"^(?:\*|[A-Z]{3,10})$")
_HOST = re.compile(
    r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$"
)
_TOKEN = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$")
DEFAULT_HOSTS = {"stripe": ("api.stripe.com",), "github": ("api.github.com",)}
"""Where ``mode: broker`` entries of the SDK providers send their requests by default."""


@dataclass(frozen=True)
class AllowRule:
    """One ``METHOD /path/glob`` line of an entry's ``allow`` list."""

    method: str
    pattern: str
    line: int
    regex: re.Pattern[str]

    @property
    def text(self) -> str:
        """Return the rule as written in the policy."""
        return f"{self.method} {self.pattern}"

    def matches(self, method: str, path: str) -> bool:
        """Return True if ``method`` and the query-less ``path`` fall under this rule."""
        if self.method not in ("*", method):
            return False
        return self.regex.fullmatch(path) is not None


@dataclass(frozen=True)
class Auth:
    """How the credential travels: ``bearer``, ``basic``, ``header`` (name) or ``query`` (name)."""

    kind: str
    name: str = ""

    @property
    def text(self) -> str:
        """Return the policy spelling (``header:X-Api-Key``)."""
        return f"{self.kind}:{self.name}" if self.name else self.kind


@dataclass(frozen=True)
class BrokeredEntry:
    """A credential the broker injects; the agent only ever sees a phantom of it."""

    variable: str
    provider: str
    hosts: tuple[str, ...]
    auth: Auth
    rules: tuple[AllowRule, ...]
    line: int
    upstream: str | None = None
    upstream_ca: str | None = None


@dataclass(frozen=True)
class Network:
    """Egress for hosts nobody brokers: tunnel them (``allow``) or refuse all but ``allow``."""

    default: str = "allow"
    allow: tuple[str, ...] = ()
    line: int = 0
    ports: tuple[int, ...] = (443,)
    """Ports ``CONNECT`` may reach (brokered or not); anything else is refused."""

    def permits(self, host: str) -> bool:
        """Return True if a tunnel to ``host`` (not brokered) may be opened."""
        if self.default == "allow":
            return True
        return any(host == h or (h.startswith("*.") and host.endswith(h[1:])) for h in self.allow)


def compile_glob(pattern: str) -> re.Pattern[str]:
    """Compile a path glob: ``*`` within a segment, ``**`` across segments."""
    out: list[str] = []
    i = 0
    if pattern.endswith("/**"):
        body, tail = pattern[:-3], "(?:/.*)?"
    else:
        body, tail = pattern, ""
    while i < len(body):
        if body.startswith("**", i):
            out.append(".*")
            i += 2
        elif body[i] == "*":
            out.append("[^/]*")
            i += 1
        else:
            out.append(re.escape(body[i]))
            i += 1
    return re.compile("".join(out) + tail)


def is_brokered(entry: CredentialPolicy) -> bool:
    """Return True for ``provider: http`` and for stripe/github entries with ``mode: broker``."""
    if entry.provider == "http":
        return True
    return entry.provider in DEFAULT_HOSTS and entry.options.get("mode") == "broker"


def parse_rule(text: object, line: int, at: str) -> AllowRule:
    """Parse ``GET /v1/models`` into an :class:`AllowRule`; ConfigError names the line."""
    if not isinstance(text, str) or len(text.split()) != 2:
        raise ConfigError(f"{at}: {text!r} is not a rule; write METHOD /path, e.g. GET /v1/models")
    method, pattern = text.split()
    method = method.upper()
    if not _METHOD.match(method):
        raise ConfigError(f"{at}: {method!r} is not an HTTP method (GET, POST, ... or *)")
    if not pattern.startswith("/") or "?" in pattern or "#" in pattern:
        raise ConfigError(
            f"{at}: {pattern!r} must be a path starting with '/', without a query string"
        )
    if "***" in pattern:
        raise ConfigError(f"{at}: {pattern!r}: use * (one segment) or ** (any depth)")
    return AllowRule(method=method, pattern=pattern, line=line, regex=compile_glob(pattern))


def parse_auth(raw: object, at: str) -> Auth:
    """Parse ``bearer`` / ``basic`` / ``header:<Name>`` / ``query:<name>``."""
    if raw is None:
        return Auth("bearer")
    if isinstance(raw, str):
        kind, _, name = raw.partition(":")
        kind = kind.strip().lower()
        name = name.strip()
        if kind in ("bearer", "basic") and not name:
            return Auth(kind)
        if kind in ("header", "query") and _TOKEN.match(name):
            return Auth(kind, name)
    raise ConfigError(f"{at}.auth: {raw!r}: choose one of {', '.join(AUTH_KINDS)}")


def _hosts(raw: object, at: str) -> tuple[str, ...]:
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{at}.hosts: list the API's host names, e.g. hosts: [api.openai.com]")
    hosts = []
    for item in raw:
        host = str(item).strip().lower()
        if not _HOST.match(host):
            raise ConfigError(f"{at}.hosts: {item!r} is not a host name (no scheme, port or path)")
        hosts.append(host)
    return tuple(hosts)


def _upstream(raw: object, at: str) -> str | None:
    if raw is None:
        return None
    from urllib.parse import urlsplit

    text = str(raw)
    parts = urlsplit(text)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.path not in ("", "/"):
        raise ConfigError(
            f"{at}.upstream: {raw!r}: write scheme://host[:port], e.g. https://127.0.0.1:9443"
        )
    return text.rstrip("/")


def entry_from_policy(
    entry: CredentialPolicy, rule_lines: Mapping[tuple[str, int], int], path: str
) -> BrokeredEntry:
    """Build the :class:`BrokeredEntry` of a brokered policy entry (shape already checked)."""
    at = f"{where(path, entry.line)}credentials.{entry.variable}"
    opts = entry.options
    if entry.provider == "http":
        unknown = set(opts) - _HTTP_KEYS
        if unknown:
            key = sorted(unknown)[0]  # named as credentials.VAR.KEY: located on its own line
            located = where(path, entry.option_lines.get(key, entry.line))
            raise ConfigError(
                f"{located}credentials.{entry.variable}.{key}: unknown key {key!r}"
                f"{did_you_mean(key, _HTTP_KEYS)}; provider http takes "
                f"{', '.join(sorted(_HTTP_KEYS))}"
            )
        hosts = _hosts(opts.get("hosts"), at)
    else:
        hosts = _hosts(opts["hosts"], at) if "hosts" in opts else _default_hosts(entry)
    raw_rules = opts.get("allow")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise ConfigError(
            f'{at}.allow: list the calls the agent may make, e.g. allow: ["GET /v1/models"]; '
            "nothing is allowed without it"
        )
    rules = tuple(
        parse_rule(text, rule_lines.get((entry.variable, i), entry.line), f"{at}.allow[{i}]")
        for i, text in enumerate(raw_rules)
    )
    upstream_ca = opts.get("upstream_ca")
    return BrokeredEntry(
        variable=entry.variable,
        provider=str(entry.provider),
        hosts=hosts,
        auth=parse_auth(opts.get("auth"), at),
        rules=rules,
        line=entry.line,
        upstream=_upstream(opts.get("upstream"), at),
        upstream_ca=str(upstream_ca) if upstream_ca is not None else None,
    )


def _default_hosts(entry: CredentialPolicy) -> tuple[str, ...]:
    """``api_base``/``api_url`` of a stripe/github entry names the host, else the public API."""
    from urllib.parse import urlsplit

    for key in ("api_base", "api_url"):
        base = entry.options.get(key)
        if isinstance(base, str) and urlsplit(base).hostname:
            return (str(urlsplit(base).hostname).lower(),)
    return DEFAULT_HOSTS[str(entry.provider)]


def parse_network(raw: object, line: int, path: str) -> Network:
    """Check ``network: {default: allow|deny, allow: [hosts]}``."""
    at = f"{where(path, line)}network"
    if raw is None:
        return Network(line=line)
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{at}: expected a mapping like {{default: deny, allow: [pypi.org]}}")
    unknown = set(raw) - {"default", "allow", "ports"}
    if unknown:
        raise ConfigError(
            f"{at}: unknown key {sorted(unknown)[0]!r}; known keys: allow, default, ports"
        )
    ports = raw.get("ports", [443])
    if not isinstance(ports, list) or not all(
        isinstance(p, int) and not isinstance(p, bool) and 0 < p < 65536 for p in ports
    ):
        raise ConfigError(f"{at}.ports: expected a list of port numbers, e.g. [443, 8443]")
    default = raw.get("default", "allow")
    if default not in NETWORK_DEFAULTS:
        raise ConfigError(f"{at}.default: {default!r}: choose allow or deny")
    allow = raw.get("allow") or []
    if not isinstance(allow, list):
        raise ConfigError(f"{at}.allow: expected a list of host names")
    hosts = []
    for item in allow:
        host = str(item).strip().lower()
        if not _HOST.match(host.removeprefix("*.")):
            raise ConfigError(f"{at}.allow: {item!r} is not a host name (or *.domain)")
        hosts.append(host)
    return Network(default=str(default), allow=tuple(hosts), line=line, ports=tuple(ports))


@dataclass(frozen=True)
class BrokerPolicy:
    """What the broker enforces for one policy file."""

    entries: tuple[BrokeredEntry, ...]
    network: Network
    path: str

    def for_host(self, host: str) -> tuple[BrokeredEntry, ...]:
        """Return the entries that broker ``host``."""
        return tuple(e for e in self.entries if host in e.hosts)


def _locate(text: str) -> tuple[dict[tuple[str, int], int], tuple[Any, int]]:
    """Return each allow rule's line and the raw ``network`` value (with its line)."""
    import yaml

    lines: dict[tuple[str, int], int] = {}
    network: tuple[Any, int] = (None, 0)
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if not isinstance(root, yaml.MappingNode):
        return lines, network
    for key, value in root.value:
        if key.value == "network":
            network = (node_value(value), key.start_mark.line + 1)
        if key.value != "credentials" or not isinstance(value, yaml.MappingNode):
            continue
        for var, entry in value.value:
            if not isinstance(entry, yaml.MappingNode):
                continue
            for opt, items in entry.value:
                if opt.value == "allow" and isinstance(items, yaml.SequenceNode):
                    for i, item in enumerate(items.value):
                        lines[(str(var.value), i)] = item.start_mark.line + 1
    return lines, network


def broker_policy(policy: Policy, text: str) -> BrokerPolicy:
    """Build the :class:`BrokerPolicy` of a loaded policy from its file text (for line numbers)."""
    lines, (raw_network, net_line) = _locate(text)
    entries = tuple(
        entry_from_policy(e, lines, policy.path) for e in policy.credentials if is_brokered(e)
    )
    return BrokerPolicy(
        entries=entries, network=parse_network(raw_network, net_line, policy.path), path=policy.path
    )


def load(policy: Policy, root: Path) -> BrokerPolicy:
    """Read the policy file again for rule lines and ``network``; see :func:`broker_policy`."""
    file = Path(policy.path)
    text = (file if file.is_absolute() else root / file).read_text(encoding="utf-8")
    return broker_policy(policy, text)


def validate_network(raw: object, line: int, path: str) -> None:
    """The hook ``config.policy`` calls so a bad ``network`` key fails at load time."""
    parse_network(raw, line, path)


def summary(entry: BrokeredEntry) -> str:
    """One-line scope for the ledger and ``status``: hosts and rules."""
    rules: Sequence[str] = [r.text for r in entry.rules]
    return f"brokered on {', '.join(entry.hosts)}: {'; '.join(rules)}"
