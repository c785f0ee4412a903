"""The one judge of "is this (name, value) a credential?", fast path included.

Before this module there were three (``service/envrisk``, ``service/sourceenv`` and
the engine), with different word lists: ``GITHUB_PAT`` was a credential to ``run``
but was copied into ``.env.ai`` by ``provision``; ``SESSION_ID`` or ``SSL_CERT`` the
other way round. Now:

* :func:`looks_like_credential` is the fast rule: the name (a secret word between
  underscores, ``AWS_*`` identity variables, pointers to key files) or the value's
  shape (a known token prefix, a URL with a password, a database URL naming a user or
  a secret, a JWT). It
  imports nothing heavy and compiles no regular expression for the common cases:
  ``run`` calls it for every variable of the parent environment on every start.
* :class:`Judge` adds the audit engine (rule catalog + classifier) and says
  "credential" whenever the fast rule does, so every command agrees on a name.

An empty value or a reference (:func:`agentauth.config.references.is_reference`) is
never a credential, whatever its name.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple

from agentauth.config.references import is_reference

if TYPE_CHECKING:
    from agentauth.model import Finding

# NOTE: no regular expression is compiled at import and the common cases need none:
# ``run`` calls these for every variable on every start, and compiling costs milliseconds.
_SECRET_WORDS = frozenset(
    {
        "KEY", "KEYS", "APIKEY", "APIKEYS", "SECRET", "SECRETS", "TOKEN", "TOKENS",
        "PASSWORD", "PASSWD", "PASS", "PASSPHRASE", "PAT", "CREDENTIAL", "CREDENTIALS",
        "AUTH", "PRIVATE", "SIGNING", "COOKIE", "DSN", "SESSION", "CERT", "PEM", "SALT",
        "WEBHOOK", "PWD",
    }
)  # fmt: skip
"""A name holding one of these words between underscores names a credential (``API_KEY``)."""
_SAFE_NAMES = frozenset(
    {
        "PWD", "OLDPWD", "SSH_AUTH_SOCK", "GPG_AGENT_INFO", "KEYTIMEOUT", "XAUTHORITY",
        "SESSION_MANAGER", "DESKTOP_SESSION", "XDG_SESSION_ID", "XDG_SESSION_TYPE",
        "XDG_SESSION_CLASS", "XDG_SESSION_DESKTOP", "XDG_SESSION_PATH", "TERM_SESSION_ID",
        "ITERM_SESSION_ID", "WT_SESSION", "TMUX_SESSION",
    }
)  # fmt: skip
"""Names that hold such a word but are not credentials."""
_PUBLIC_WHEN_LOCATED = frozenset({"CERT", "PEM"})
_LOCATION_WORDS = frozenset({"FILE", "DIR", "PATH", "BUNDLE"})
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
_PATTERNS = {
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


def credential_name(name: str) -> bool:
    """True when the variable's name alone says it holds (or points at) a credential."""
    upper = name.upper()
    if upper in _SAFE_NAMES:
        return False
    if upper in _POINTER_NAMES:
        return True
    if upper.startswith("AWS_"):
        return upper not in _AWS_SAFE and not upper.startswith("AWS_ENDPOINT_URL")
    words = upper.split("_")
    hits = _SECRET_WORDS.intersection(words)
    if hits and hits <= _PUBLIC_WHEN_LOCATED and words[-1] in _LOCATION_WORDS:
        return False  # SSL_CERT_FILE, CA_CERT_DIR: where a (public) certificate is
    return bool(hits)


def credential_value(value: str) -> bool:
    """True when the value's shape says it is a credential (URL password, known prefix, JWT)."""
    text = value.strip()
    if not text or is_reference(text):
        return False
    if text.startswith(_TOKEN_PREFIXES):
        return True
    scheme, sep, rest = text.partition("://")
    if sep:
        if scheme.lower().split("+", 1)[0] in _DB_SCHEMES:
            return _names_someone(rest)
        if "@" in text and _rx("url_password").match(text):
            return True
    if text.startswith(("AKIA", "ASIA")) and len(text) >= 16 and text[:16].isalnum():
        return text[:16].isupper()
    if text.startswith("sk-") and len(text) >= 23 and text[3:23].isalnum():
        return True
    return text.startswith("eyJ") and bool(_rx("jwt").match(text))


def _names_someone(rest: str) -> bool:
    """True when a database URL (after ``scheme://``) says who connects or with what secret.

    ``redis://127.0.0.1:6379/0`` is an address: anyone who can reach the server gets
    the same access without it, so it is no credential. ``mysql://root@host`` is one
    (a server that trusts the name lets the agent in as root), as is a password in
    the user info or in the query (``?password=``, ``?token=``).
    """
    authority = rest
    for stop in "/?#":
        authority = authority.partition(stop)[0]
    if "@" in authority:
        return True
    query = rest.partition("?")[2].partition("#")[0]
    names = (pair.partition("=")[0].upper() for pair in query.split("&") if pair)
    return any(_SECRET_WORDS.intersection(n.replace("-", "_").split("_")) for n in names)


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


class Judge:
    """The thorough judge: the fast rules, then the audit engine (rule catalog + classifier).

    Used where a wrong answer costs more than loading the catalog: ``provision`` and
    ``init`` (is an unnamed variable copied into ``.env.ai``?), ``--inherit all``,
    ``lock``, ``doctor``, ``guard`` and the env files an agent would load by itself.
    It says "credential" whenever the fast rules do, so ``run`` and ``provision``
    never disagree on a name (the table in ``tests/core/test_credentials.py``).
    """

    def __init__(self, file: str = ".env") -> None:
        """Load the rule catalog once (the expensive part); ``file`` labels findings."""
        from agentauth.engine.classify import classify
        from agentauth.engine.detect import detect_value
        from agentauth.engine.rules import load_catalog

        self._file = file
        self._detect = detect_value
        self._classify = classify
        self._catalog = load_catalog()

    def findings(
        self, name: str, value: str, *, file: str | None = None, environ: bool = False
    ) -> list[Finding]:
        """Return the engine's findings for one name/value pair."""
        from agentauth.model import Origin

        origin = Origin.ENVIRON if environ else Origin.FILE
        label = file or self._file
        found: list[Finding] = []
        for candidate in self._detect(name, value, self._catalog):
            finding = self._classify(candidate, file=label, catalog=self._catalog, origin=origin)
            if finding is not None:
                found.append(finding)
        return found

    def public(self, finding: Finding) -> bool:
        """True when the finding's rule says its values are meant to be seen (``secret = false``).

        A Stripe or Supabase publishable key is found (audit reports it, as info) but is
        no secret: ``init`` proposes ``pass`` for it, never a scoped or brokered entry
        that would promise API calls a browser key cannot make.
        """
        try:
            return not self._catalog.get(finding.rule_id).secret
        except KeyError:
            return False

    def is_credential(
        self, name: str, value: str, *, file: str | None = None, environ: bool = False
    ) -> bool:
        """True when the engine finds a credential or the fast heuristics say so."""
        if looks_like_credential(name, value):
            return True
        if not value.strip() or is_reference(value):
            return False
        return bool(self.findings(name, value, file=file, environ=environ))

    def risk(self, name: str, value: str, line: int, *, file: str | None = None) -> Risk | None:
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
