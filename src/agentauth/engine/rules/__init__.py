"""The rule catalog: loads ``catalog.toml`` (the rules as data) into validated, compiled rules.

A rule says how to find one kind of credential (a regex over UTF-8 bytes, the keywords
the prefilter looks for, optional entropy minimum and validator) and what it means when
found (provider, kind, default environment, severity, capabilities, why, fix, what
``--verify`` could ask the provider, where the format is documented). Examples that must
and must not be found travel with each rule; the tests iterate them.

The catalog is ``catalog.toml`` plus every ``catalog-*.toml`` beside it (one file per
family of providers, loaded in name order), so that rules can be added without every
change touching one huge file. A rule for a credential that has no prefix of its own
(``OKTA_API_TOKEN=00...``) may give ``names`` and ``body`` instead of ``regex``: the
loader builds the assignment regex (a variable whose name holds one of ``names``, then
a value matching ``body``), and ``names`` double as keywords.
"""

from __future__ import annotations

import functools
import re
import sys
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, cast

from agentauth.engine.rules.tomlcache import load_toml
from agentauth.errors import ConfigError
from agentauth.model import Environment, Severity

CAPABILITIES: frozenset[str] = frozenset(
    {
        "move-money", "read-customer-data", "write-production-data", "delete-production-data",
        "read-production-data", "admin-database", "push-code", "admin-repository", "read-code",
        "cloud-admin", "delete-cloud-resources", "read-cloud-data", "write-cloud-data",
        "send-email", "send-messages", "model-spend", "read-secrets", "deploy-code", "manage-dns",
        "read-messages", "publish-packages", "impersonate-users", "forge-webhooks",
        "bypass-row-level-security", "read-write-cache", "flush-cache",
    }
)  # fmt: skip
"""The capability vocabulary shared by rules, providers' verification and reports."""

CRITICAL_CAPABILITIES: frozenset[str] = frozenset(
    {
        "move-money",
        "write-production-data",
        "delete-production-data",
        "admin-database",
        "push-code",
        "admin-repository",
        "cloud-admin",
        "delete-cloud-resources",
        "publish-packages",
        "impersonate-users",
        "bypass-row-level-security",
        "read-secrets",
        "deploy-code",
    }
)
"""A live credential with any of these is critical: money, production writes, code, cloud."""

_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_SCOPES = ("line", "text")


@dataclass(frozen=True)
class Rule:
    """One detection rule of the catalog, compiled.

    ``scope`` is ``line`` when a keyword always lies on the same line as the match (the
    detector then runs the regex only on lines holding a keyword), ``text`` for
    multi-line credentials or rules whose keyword may be elsewhere in the text.
    """

    id: str
    provider: str
    kind: str
    description: str
    regex: str
    pattern: re.Pattern[bytes] = field(repr=False, compare=False)
    keywords: tuple[str, ...]
    severity: Severity
    environment: Environment
    capabilities: tuple[str, ...]
    why: str
    fix: str
    scope: str = "line"
    entropy: float | None = None
    """Minimum Shannon entropy (bits per character) of the secret, when set."""
    validator: str | None = None
    """Name in :data:`validators.VALIDATORS`; rejects a match at detect time."""
    classifier: str | None = None
    """Name in :data:`classifiers.CLASSIFIERS`; refines a finding."""
    priority: int = 50
    """When two matches overlap, the higher priority wins (generic rules are low)."""
    secret: bool = True
    """False for publishable identifiers (``pk_live_``, anon keys): reported as info."""
    why_test: str | None = None
    fix_test: str | None = None
    positives: tuple[str, ...] = ()
    """Texts in which this rule must report a finding (``@@...@@`` samples, see samples.py)."""
    negatives: tuple[str, ...] = ()
    """Texts in which this rule must not report a finding."""
    verify: str = ""
    """What ``--verify`` could ask the provider (a read-only call) and what the answer tells."""
    reference: str = ""
    """Where the provider documents the format (or the public source the rule follows)."""
    fixed: tuple[str, ...] = ()
    """Literal parts of the format (Twitter's run of ``A``) removed before the placeholder check."""


@dataclass(frozen=True, eq=False)
class Catalog:
    """All rules, in catalog order, with lookup by id. Immutable; compare by identity."""

    rules: tuple[Rule, ...]
    version: int = 1
    documentation_examples: frozenset[str] = frozenset()
    """Values published in provider documentation: never a finding."""
    _by_id: Mapping[str, Rule] = field(default_factory=dict, repr=False)

    def get(self, rule_id: str) -> Rule:
        """Return the rule with this id; KeyError names the unknown id."""
        try:
            return self._by_id[rule_id]
        except KeyError:
            raise KeyError(f"no rule {rule_id!r} in the catalog") from None

    def __iter__(self) -> Iterator[Rule]:
        """Iterate the rules in catalog order."""
        return iter(self.rules)

    def __len__(self) -> int:
        """Return the number of rules."""
        return len(self.rules)


@functools.cache
def load_catalog() -> Catalog:
    """Return the built-in catalog (parsed and compiled once per process; immutable)."""
    folder = resources.files(__name__)
    parts = sorted(
        p.name
        for p in folder.iterdir()
        if p.name.startswith("catalog-") and p.name.endswith(".toml")
    )
    names = ["catalog.toml", *parts]
    texts = [(folder.joinpath(n).read_text(encoding="utf-8"), n) for n in names]
    # NOTE: the built-in regexes are compiled on first use (the catalog tests compile every
    # one): a small scan such as `check --staged` runs a handful of the hundreds of rules.
    return parse_catalogs(texts, lazy=True, cached=True)


def parse_catalogs(
    texts: Sequence[tuple[str, str]], *, lazy: bool = False, cached: bool = False
) -> Catalog:
    """Parse several catalog files (text, file name) into one catalog; ids unique across all.

    ``lazy`` defers compiling each rule's regex to its first use (a bad regex then raises
    there, not here): only for catalogs whose every regex a test compiles. ``cached`` reads
    the parsed TOML from the user's cache when it holds the same text (:mod:`.tomlcache`).
    """
    rules: list[Rule] = []
    examples: set[str] = set()
    for text, name in texts:
        source = f"agentauth/engine/rules/{name}"
        cache_as = name if cached else None
        part = parse_catalog(text, source=source, allow_empty=True, lazy=lazy, cache_as=cache_as)
        rules.extend(part.rules)
        examples.update(part.documentation_examples)
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise ConfigError(f"rule id {rule.id!r} is used twice across the catalog files")
        seen.add(rule.id)
    if not rules:
        raise ConfigError("the catalog files define no [[rules]]")
    return Catalog(
        rules=tuple(rules),
        documentation_examples=frozenset(examples),
        _by_id={r.id: r for r in rules},
    )


def parse_catalog(
    text: str,
    *,
    source: str = "<catalog>",
    allow_empty: bool = False,
    lazy: bool = False,
    cache_as: str | None = None,
) -> Catalog:
    """Parse and validate catalog TOML; raise ConfigError naming the rule and the problem."""
    from agentauth.engine.rules.classifiers import CLASSIFIERS
    from agentauth.engine.rules.validators import VALIDATORS

    try:
        data = tomllib.loads(text) if cache_as is None else load_toml(text, cache_as)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML ({exc}); fix the file") from None
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, raw in enumerate(data.get("rules", [])):
        rule = _rule(raw, index, source, lazy=lazy)
        if rule.id in seen:
            raise ConfigError(f"{source}: rule id {rule.id!r} is used twice; ids must be unique")
        if rule.validator is not None and rule.validator not in VALIDATORS:
            raise ConfigError(f"{source}: rule {rule.id}: unknown validator {rule.validator!r}")
        if rule.classifier is not None and rule.classifier not in CLASSIFIERS:
            raise ConfigError(f"{source}: rule {rule.id}: unknown classifier {rule.classifier!r}")
        seen.add(rule.id)
        rules.append(rule)
    if not rules and not allow_empty:
        raise ConfigError(f"{source}: no [[rules]]; the catalog must define at least one")
    examples = frozenset(str(v) for v in data.get("documentation_examples", []))
    return Catalog(
        rules=tuple(rules),
        version=int(data.get("version", 1)),
        documentation_examples=examples,
        _by_id={r.id: r for r in rules},
    )


_REQUIRED = ("id", "provider", "kind", "description", "severity")
_KNOWN = frozenset(
    {
        *_REQUIRED,
        "regex",
        "keywords",
        "names",
        "body",
        "verify",
        "reference",
        "fixed",
        "environment",
        "capabilities",
        "why",
        "fix",
        "scope",
        "entropy",
        "validator",
        "classifier",
        "priority",
        "secret",
        "why_test",
        "fix_test",
        "positives",
        "negatives",
    }
)


class _LazyPattern:
    """A bytes regex compiled on first use, standing in for the ``re.Pattern`` it becomes."""

    __slots__ = ("_compiled", "pattern")

    def __init__(self, source: bytes) -> None:
        self.pattern = source
        self._compiled: re.Pattern[bytes] | None = None

    def _get(self) -> re.Pattern[bytes]:
        if self._compiled is None:
            self._compiled = re.compile(self.pattern)
        return self._compiled

    @property
    def groupindex(self) -> Mapping[str, int]:
        """The compiled pattern's named groups."""
        return self._get().groupindex

    def finditer(self, data: bytes, pos: int = 0, endpos: int = sys.maxsize) -> Any:
        """``re.Pattern.finditer``."""
        return self._get().finditer(data, pos, endpos)

    def search(self, data: bytes, pos: int = 0, endpos: int = sys.maxsize) -> Any:
        """``re.Pattern.search``."""
        return self._get().search(data, pos, endpos)

    def match(self, data: bytes, pos: int = 0, endpos: int = sys.maxsize) -> Any:
        """``re.Pattern.match``."""
        return self._get().match(data, pos, endpos)


def _rule(raw: Mapping[str, Any], index: int, source: str, *, lazy: bool = False) -> Rule:
    where = f"{source}: rule #{index + 1} ({raw.get('id', '?')})"
    missing = [k for k in _REQUIRED if k not in raw]
    if "regex" not in raw and not ("names" in raw and "body" in raw):
        missing.append("regex (or names and body)")
    if "keywords" not in raw and "names" not in raw:
        missing.append("keywords")
    if missing:
        raise ConfigError(f"{where}: missing {', '.join(missing)}; every rule needs them")
    unknown = sorted(set(raw) - _KNOWN)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; check the spelling")
    rule_id = str(raw["id"])
    if not _ID.match(rule_id):
        raise ConfigError(f"{where}: id must be kebab-case (a-z, 0-9, dashes)")
    names = _strings(raw.get("names", []), where, "names")
    default_keywords = [n.lower().lstrip("^") for n in names]
    keywords = _strings(raw.get("keywords", default_keywords), where, "keywords")
    regex = str(raw["regex"]) if "regex" in raw else named_value_regex(names, str(raw["body"]))
    if not keywords or any(k != k.lower() or not k for k in keywords):
        raise ConfigError(f"{where}: keywords must be non-empty lower-case strings")
    capabilities = _strings(raw.get("capabilities", []), where, "capabilities")
    unknown_caps = sorted(set(capabilities) - CAPABILITIES)
    if unknown_caps:
        raise ConfigError(f"{where}: unknown capabilities {unknown_caps}; see CAPABILITIES")
    scope = str(raw.get("scope", "line"))
    if scope not in _SCOPES:
        raise ConfigError(f"{where}: scope must be one of {_SCOPES}")
    try:
        pattern = (
            cast("re.Pattern[bytes]", _LazyPattern(regex.encode()))
            if lazy
            else re.compile(regex.encode())
        )
        severity = Severity.parse(str(raw["severity"]))
        environment = Environment(str(raw.get("environment", "unknown")))
    except (re.error, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from None
    entropy = raw.get("entropy")
    return Rule(
        id=rule_id,
        provider=str(raw["provider"]),
        kind=str(raw["kind"]),
        description=str(raw["description"]),
        regex=regex,
        pattern=pattern,
        keywords=keywords,
        severity=severity,
        environment=environment,
        capabilities=capabilities,
        why=str(raw.get("why", raw["description"])),
        fix=str(raw.get("fix", "")),
        scope=scope,
        entropy=float(entropy) if entropy is not None else None,
        validator=raw.get("validator"),
        classifier=raw.get("classifier"),
        priority=int(raw.get("priority", 50)),
        secret=bool(raw.get("secret", True)),
        why_test=raw.get("why_test"),
        fix_test=raw.get("fix_test"),
        positives=_strings(raw.get("positives", []), where, "positives"),
        negatives=_strings(raw.get("negatives", []), where, "negatives"),
        verify=str(raw.get("verify", "")),
        reference=str(raw.get("reference", "")),
        fixed=_strings(raw.get("fixed", []), where, "fixed"),
    )


def named_value_regex(names: Sequence[str], body: str) -> str:
    """Return the regex of ``NAME = value`` where NAME holds one of ``names`` and value is ``body``.

    For credentials without a prefix of their own (a 40-character hex token is only an
    Okta or a Linode token by the name it is stored under). Accepts ``.env``, shell, YAML,
    JSON, TOML, Python/JS/Go/PHP/Make assignments, a call's ``("name", "value")``; the name
    is the variable. ``^box_`` starts a word (``BOX_TOKEN``, not ``SANDBOX_TOKEN``).
    """
    alternatives = "|".join(
        r"(?<![A-Za-z0-9])" + re.escape(n[1:]) if n.startswith("^") else re.escape(n) for n in names
    )
    name = (
        r"(?<![A-Za-z0-9_.\-])(?P<name>(?i:(?=[A-Za-z0-9_.\-]{0,80}?" + _SECRET_WORD + r")"
        r"[A-Za-z0-9_.\-]{0,40}?(?:" + alternatives + r")[A-Za-z0-9_.\-]{0,40}))"
    )
    return f"{name}{_ASSIGN}(?P<secret>{body})(?![A-Za-z0-9_\\-+/=])"


_ASSIGN = (
    r"(?:[\"']?\]?(?:\[\])?(?:\s+(?:string|String|str|\[\]byte))?\s*(?::\s*[A-Za-z_]"
    r"[A-Za-z0-9_\[\]|. ]{0,30}?\s*=|:{1,3}=|=>|(?:\|\||[+?.|])=|=|:)|[\"']\s*,)\s*@?[\"'`]?"
)
_SECRET_WORD = r"(?:key|token|secret|pass|pwd|auth|pat|cred|dsn|sid)"
"""A word the variable's name must also hold: ``LINODE_TOKEN`` yes, ``LINODE_REGION`` no."""


def _strings(value: object, where: str, key: str) -> tuple[str, ...]:
    if not isinstance(value, Sequence) or isinstance(value, str | bytes):
        raise ConfigError(f"{where}: {key} must be a list of strings")
    return tuple(str(v) for v in value)
