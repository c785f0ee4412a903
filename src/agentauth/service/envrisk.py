"""Deciding which environment variables and env-file entries hold credentials an agent could use.

Two layers. The fast one (:func:`looks_like_credential`) looks at the name and the
shape of the value with a few regular expressions and imports nothing heavy: ``run``
calls it for every variable of the parent environment on every start. The thorough
one (:class:`Engine`) asks the audit engine (rule catalog + classifier) and is used
where a wrong answer costs more than the import: ``--inherit all``, ``lock``,
``doctor`` and the check of the env files an agent would load by itself.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from agentauth.model import Finding

# NOTE: no regular expression is compiled at import and the common cases need none:
# ``run`` calls these for every variable on every start, and compiling costs milliseconds.
_SECRET_WORDS = frozenset(
    {
        "KEY", "KEYS", "APIKEY", "APIKEYS", "SECRET", "SECRETS", "TOKEN", "TOKENS",
        "PASSWORD", "PASSWD", "PASS", "PASSPHRASE", "PAT", "CREDENTIAL", "CREDENTIALS",
        "AUTH", "PRIVATE", "SIGNING", "COOKIE", "DSN",
    }
)  # fmt: skip
"""A name holding one of these words between underscores names a credential (``API_KEY``)."""
_SAFE_NAMES = frozenset(
    {"PWD", "OLDPWD", "SSH_AUTH_SOCK", "GPG_AGENT_INFO", "KEYTIMEOUT", "XAUTHORITY"}
)
"""Names that hold such a word but are not credentials."""
_POINTER_NAMES = frozenset(
    {
        "KUBECONFIG", "GOOGLE_APPLICATION_CREDENTIALS", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
        "AWS_SHARED_CREDENTIALS_FILE", "AWS_CREDENTIAL_FILE", "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN", "AWS_SDK_LOAD_CONFIG", "PGPASSFILE", "PGSERVICEFILE", "DOCKER_CONFIG",
    }
)  # fmt: skip
"""Names that point at credentials elsewhere (a profile, a key file): as good as the key."""
_AWS_SAFE = frozenset(
    {
        "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_EC2_METADATA_DISABLED", "AWS_CA_BUNDLE",
        "AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS", "AWS_PAGER", "AWS_DEFAULT_OUTPUT",
        "AWS_STS_REGIONAL_ENDPOINTS", "AWS_USE_FIPS_ENDPOINT",
    }
)  # fmt: skip
"""AWS_* variables that only say where and how to talk, never who you are."""
_TOKEN_PREFIXES = (
    "sk_live_", "sk_test_", "rk_live_", "rk_test_", "whsec_", "ghp_", "gho_", "ghu_", "ghs_",
    "ghr_", "github_pat_", "glpat-", "xoxa-", "xoxb-", "xoxp-", "xoxo-", "xoxs-", "xoxr-",
    "xapp-", "sk-ant-", "sk-proj-", "sk-svcacct-", "hf_", "npm_", "pypi-",
    "SG.", "AIza", "shpat_", "shpca_", "shppa_", "shpss_", "sbp_", "sb_secret_", "dop_v1_",
    "glc_", "lin_api_",
)  # fmt: skip
_DB_SCHEMES = frozenset(
    {"postgres", "postgresql", "mysql", "mariadb", "redis", "rediss", "mongodb", "amqp", "amqps"}
)
_REFERENCE_STARTS = ("$", "op://", "encrypted:", "vault:", "keyring:", "agentauth-keyring:",
                     "se://", "pass://")  # fmt: skip
_PATTERNS = {
    "reference": r"^(?:\$\{[^}]+\}|\$[A-Za-z_][A-Za-z0-9_]*|op://\S+|encrypted:\S+|vault:\S+|"
    r"keyring:\S+|agentauth-keyring:\S+|se://\S+|pass://\S+)$",
    "url_password": r"^[a-z][a-z0-9+.-]*://[^:/@\s]*:[^@\s]+@",
    "jwt": r"^eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.",
    "local": r"@(?:localhost|127\.0\.0\.1|\[::1\])[:/]",
}
_compiled: dict[str, re.Pattern[str]] = {}


def _rx(name: str) -> re.Pattern[str]:
    pattern = _compiled.get(name)
    if pattern is None:
        pattern = _compiled[name] = re.compile(_PATTERNS[name], re.IGNORECASE)
    return pattern


AGENT_LOADED_FILES = (".env", ".env.local", ".env.development", ".env.development.local")
"""Env files Bun-based agents (Claude Code among them) have loaded from the cwd by themselves."""


def is_reference(value: str) -> bool:
    """True when ``value`` points at a secret stored elsewhere instead of holding one."""
    text = value.strip()
    return text.startswith(_REFERENCE_STARTS) and bool(_rx("reference").match(text))


def credential_name(name: str) -> bool:
    """True when the variable's name alone says it holds (or points at) a credential."""
    upper = name.upper()
    if upper in _SAFE_NAMES:
        return False
    if upper in _POINTER_NAMES:
        return True
    if upper.startswith("AWS_"):
        return upper not in _AWS_SAFE and not upper.startswith("AWS_ENDPOINT_URL")
    return not _SECRET_WORDS.isdisjoint(upper.split("_"))


def credential_value(value: str) -> bool:
    """True when the value's shape says it is a credential (URL password, known prefix, JWT)."""
    text = value.strip()
    if not text or is_reference(text):
        return False
    if text.startswith(_TOKEN_PREFIXES):
        return True
    scheme, sep, _rest = text.partition("://")
    if sep:
        if scheme.lower().split("+", 1)[0] in _DB_SCHEMES:
            return True
        if "@" in text and _rx("url_password").match(text):
            return True
    if text.startswith(("AKIA", "ASIA")) and len(text) >= 16 and text[:16].isalnum():
        return text[:16].isupper()
    if text.startswith("sk-") and len(text) >= 23 and text[3:23].isalnum():
        return True
    return text.startswith("eyJ") and bool(_rx("jwt").match(text))


def looks_like_credential(name: str, value: str) -> bool:
    """The fast check: name heuristics (``*_KEY``, ``*_TOKEN``, ``AWS_*``...) or value shape.

    An empty value or a reference (``${VAR}``, ``agentauth-keyring:...``) is not a
    credential whatever its name.
    """
    if not value.strip() or is_reference(value):
        return False
    return credential_name(name) or credential_value(value)


class Risk(NamedTuple):
    """One credential found in an env file, described without its value."""

    variable: str
    line: int
    live: bool
    """True unless the audit engine says it is a test key or a local development service."""
    severity: str
    environment: str
    capabilities: tuple[str, ...] = ()


class Engine:
    """The audit engine (rules + classifier) when installed; None-safe otherwise.

    Why optional: ``run``, ``lock`` and ``doctor`` must work, by name and shape, even
    in a build where the engine failed to load; dropping a harmless variable costs a
    flag, copying a secret costs a leak.
    """

    def __init__(self) -> None:
        """Load the rule catalog once (the expensive part)."""
        self._parts: tuple[Any, Any, Any, Any] | None
        try:
            detect = importlib.import_module("agentauth.engine.detect")
            classify = importlib.import_module("agentauth.engine.classify")
            rules = importlib.import_module("agentauth.engine.rules")
            model = importlib.import_module("agentauth.model")
            self._parts = (detect.detect_value, classify.classify, rules.load_catalog(), model)
        except (ImportError, AttributeError):
            self._parts = None

    @property
    def available(self) -> bool:
        """True when the audit engine answered; False means heuristics only."""
        return self._parts is not None

    def findings(self, name: str, value: str, *, file: str, environ: bool = False) -> list[Finding]:
        """Return the engine's findings for one name/value pair (empty without the engine)."""
        if self._parts is None:
            return []
        detect_value, classify, catalog, model = self._parts
        origin = model.Origin.ENVIRON if environ else model.Origin.FILE
        found: list[Finding] = []
        for candidate in detect_value(name, value, catalog):
            finding = classify(candidate, file=file, catalog=catalog, origin=origin)
            if finding is not None:
                found.append(finding)
        return found

    def is_credential(self, name: str, value: str, *, file: str, environ: bool = False) -> bool:
        """True when the engine finds a credential or the fast heuristics say so."""
        if looks_like_credential(name, value):
            return True
        if not value.strip() or is_reference(value):
            return False
        return bool(self.findings(name, value, file=file, environ=environ))

    def risk(self, name: str, value: str, line: int, *, file: str) -> Risk | None:
        """Describe the credential in one env-file entry, or None when there is none."""
        if not value.strip() or is_reference(value):
            return None
        found = self.findings(name, value, file=file)
        if found:
            top = max(found, key=lambda f: f.severity.rank)
            live = top.environment.value in ("live", "unknown")
            return Risk(
                name,
                line,
                live,
                top.severity.value,
                top.environment.value,
                tuple(top.capabilities),
            )
        if looks_like_credential(name, value):
            local = bool(_rx("local").search(value))
            test = value.strip().startswith(("sk_test_", "rk_test_", "pk_test_"))
            environment = "dev" if local else "test" if test else "unknown"
            live = environment == "unknown"
            return Risk(name, line, live, "high" if live else "low", environment)
        return None


def scan_env_file(path: Path, engine: Engine, *, file: str | None = None) -> list[Risk]:
    """Return the credentials held in one env file (references and empty values skipped)."""
    from agentauth.config import envfile

    try:
        entries = envfile.parse(envfile.read_text(path))
    except Exception:
        return []
    risks: list[Risk] = []
    for entry in entries:
        if entry.key is None or entry.value is None:
            continue
        raw = entry.raw_value if entry.raw_value is not None else entry.value
        if is_reference(raw):
            continue
        found = engine.risk(entry.key, entry.value, entry.line, file=file or path.name)
        if found is not None:
            risks.append(found)
    return risks


def agent_loaded_files(directory: Path) -> list[Path]:
    """Return the env files in ``directory`` that an agent tool may load by itself.

    ``.env``, ``.env.local`` and every ``.env.development*``; ``.env.ai`` and templates
    (``.env.example``) are not among them.
    """
    found: list[Path] = []
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return []
    for name in names:
        if name in AGENT_LOADED_FILES or name.startswith(".env.development"):
            path = directory / name
            if path.is_file():
                found.append(path)
    return found


def drop_credentials(
    env: Mapping[str, str], names: Iterable[str], engine: Engine | None
) -> list[str]:
    """Return the names among ``names`` whose values in ``env`` are credentials."""
    dropped = []
    for name in names:
        value = env.get(name, "")
        if engine is not None:
            if engine.is_credential(name, value, file="<environ>", environ=True):
                dropped.append(name)
        elif looks_like_credential(name, value):
            dropped.append(name)
    return dropped
