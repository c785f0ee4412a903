"""Per-provider classifiers: what a matched credential is, where it acts, and what it can do.

An explicit registry (:data:`CLASSIFIERS`), named by rules in ``catalog.toml``. Each
takes the secret text, the candidate and the rule's default :class:`Assessment` and
returns a refined one, or None when the value is a placeholder that must be dropped.
All offline: the string, its checksum, its decoded claims, its URL's host.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from agentauth.engine.rules import Rule
from agentauth.engine.rules.checks import jwt_claims, token_checksum_valid
from agentauth.engine.rules.placeholders import (
    WEAK_PASSWORDS,
    is_masked,
    is_placeholder,
    is_reference,
)
from agentauth.engine.rules.urls import (
    ConnectionUrl,
    host_environment,
    is_placeholder_host,
    parse_url,
)
from agentauth.model import Candidate, Environment, Severity
from agentauth.redact import hide

CHECKSUM_INVALID = "checksum invalid: not a token GitHub issued (a fake or a typo)"


@dataclass(frozen=True)
class Assessment:
    """The classification in progress; starts from the rule's defaults."""

    provider: str
    kind: str
    environment: Environment
    severity: Severity
    capabilities: tuple[str, ...]
    why: str
    fix: str
    secret: bool = True
    final_severity: Severity | None = None
    """When set, the severity is exactly this (no environment or capability adjustment)."""
    ci_fail: bool | None = None
    """When set, overrides the computed ci_fail."""
    redacted: str | None = None
    """A classifier-made redaction (URLs); otherwise redact.mask of the value."""
    hints: bool = True
    """Whether file and variable names may decide an unknown environment."""
    extra: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_rule(cls, rule: Rule) -> Assessment:
        """Return the rule's default assessment."""
        return cls(
            provider=rule.provider,
            kind=rule.kind,
            environment=rule.environment,
            severity=rule.severity,
            capabilities=rule.capabilities,
            why=rule.why,
            fix=rule.fix,
            secret=rule.secret,
        )

    def with_extra(self, **facts: str) -> Assessment:
        """Return a copy with non-secret facts added to ``extra``."""
        return dataclasses.replace(self, extra={**self.extra, **facts})


Classifier = Callable[[str, Candidate, Rule, Assessment], "Assessment | None"]


def _test_mode(rule: Rule, a: Assessment) -> Assessment:
    return dataclasses.replace(
        a,
        environment=Environment.TEST,
        capabilities=(),
        why=rule.why_test or f"{rule.description} for test mode: sandbox data only.",
        fix=rule.fix_test or a.fix,
    )


def stripe(value: str, cand: Candidate, rule: Rule, a: Assessment) -> Assessment | None:
    """Live vs test from the key's own prefix (``sk_live_``, ``rk_test_``, ``pk_live_``)."""
    mode = value.split("_", 2)[1] if value.count("_") >= 2 else ""
    a = a.with_extra(mode="live" if mode in {"live", "prod"} else mode)
    return _test_mode(rule, a) if mode == "test" else a


_TEST_MODES = frozenset({"test", "sandbox", "dev", "development", "staging", "testnet", "tst"})
_LIVE_MODES = frozenset({"live", "prod", "production", "prd"})


def mode(value: str, cand: Candidate, rule: Rule, a: Assessment) -> Assessment | None:
    """Live vs test from the ``x_mode`` part of the format (``rzp_test_``, ``$sandbox$``...)."""
    found = cand.extra.get("mode", "").lower().strip("_-$.")
    if found in _TEST_MODES:
        return _test_mode(rule, a.with_extra(mode="test"))
    if found in _LIVE_MODES:
        return dataclasses.replace(a, environment=Environment.LIVE).with_extra(mode="live")
    return a


def pypi(value: str, cand: Candidate, rule: Rule, a: Assessment) -> Assessment | None:
    """PyPI vs TestPyPI: the macaroon's first bytes name the index it was issued for."""
    if value.startswith("pypi-AgENdGVzdC5weXBpLm9yZw"):
        return _test_mode(rule, a.with_extra(index="test.pypi.org"))
    return a.with_extra(index="pypi.org")


_AWS_KINDS = {
    "AKIA": ("long-term", None),
    "ASIA": ("temporary", Severity.HIGH),
    "ABIA": ("sts-bearer", Severity.HIGH),
    "ACCA": ("context-specific", Severity.HIGH),
}


def aws_key_id(value: str, cand: Candidate, rule: Rule, a: Assessment) -> Assessment | None:
    """AKIA = long-term IAM user key (critical); ASIA/ABIA/ACCA = temporary (high)."""
    kind, severity = _AWS_KINDS.get(value[:4], ("unknown", None))
    a = a.with_extra(key_kind=kind)
    if severity is None:
        return a
    return dataclasses.replace(
        a,
        final_severity=severity,
        why=f"Temporary AWS access key ({value[:4]}): expires, but acts with the issuing "
        "role's permissions until then.",
    )


def aws_temporary(value: str, cand: Candidate, rule: Rule, a: Assessment) -> Assessment | None:
    """Session tokens expire: high rather than critical."""
    return dataclasses.replace(a, final_severity=Severity.HIGH).with_extra(key_kind="temporary")


_GITHUB_TYPES = {
    "ghp": "classic personal access token",
    "gho": "OAuth access token",
    "ghu": "GitHub App user-to-server token",
    "ghs": "GitHub App installation token",
    "ghr": "refresh token",
    "npm": "npm access token",
}


def checksummed_token(value: str, cand: Candidate, rule: Rule, a: Assessment) -> Assessment | None:
    """Validate the CRC32 checksum of ``gh?_`` / ``npm_`` tokens; a bad one is only info."""
    prefix = value.split("_", 1)[0]
    a = a.with_extra(token_type=_GITHUB_TYPES.get(prefix, "fine-grained personal access token"))
    valid = token_checksum_valid(value)
    if valid is False:
        return dataclasses.replace(
            a,
            final_severity=Severity.INFO,
            ci_fail=False,
            why=CHECKSUM_INVALID if prefix != "npm" else CHECKSUM_INVALID.replace("GitHub", "npm"),
        ).with_extra(checksum="invalid")
    if valid:
        a = a.with_extra(checksum="valid")
    if prefix == "ghs":
        form = "stateless" if "." in value else "classic"
        a = dataclasses.replace(a, final_severity=Severity.HIGH).with_extra(form=form)
    return a


def _url_redacted(scheme: str, user: str, host: str, port: str, database: str) -> str:
    location = f"{host}:{port}" if port else host
    who = f"{user}:***@" if user else ":***@"
    return f"{scheme}://{who}{location}" + (f"/{database}" if database else "")


def _unveiled(url: ConnectionUrl) -> ConnectionUrl:
    """The URL with its password masked wherever else it occurs (``app:app_dev@db/app_dev``)."""
    return dataclasses.replace(
        url,
        user=hide(url.user, url.password),
        host=hide(url.host, url.password),
        port=hide(url.port, url.password),
        database=hide(url.database, url.password),
    )


_SUPERUSERS = frozenset(
    {"postgres", "root", "admin", "sa", "doadmin", "rdsadmin", "azure_superuser"}
)
_ADMIN_NAME = re.compile(r"(?:^|[_\-.])(?:owner|admin|root|master|superuser|dba)(?:$|[_\-.])")
"""User names that suggest a database owner or administrator (``shop_owner``, ``dbadmin``)."""
_DATABASES = frozenset({"postgres", "mysql", "mongodb", "sqlserver", "oracle"})
_URL_PROVIDERS = {
    "postgresql": "postgres",
    "postgres": "postgres",
    "mysql": "mysql",
    "mariadb": "mysql",
    "sqlserver": "sqlserver",
    "oracle": "oracle",
}


def connection_url(value: str, cand: Candidate, rule: Rule, a: Assessment) -> Assessment | None:
    """Judge a database/cache URL by its host; placeholder passwords or hosts are dropped.

    Local hosts (localhost, Compose names) are dev/low whatever the password. A weak
    password (``password``, ``postgres``...) on a remote host is kept: a production
    database with a default password is the worst case, not a placeholder.
    """
    url = parse_url(value)
    if url is None or not url.password:
        return None
    if is_reference(url.password) or is_masked(url.password) or is_placeholder_host(url.host):
        return None
    if is_placeholder(url.password) and url.password.lower() not in WEAK_PASSWORDS:
        return None
    environment, reason = host_environment(url)
    reason = hide(reason, url.password)
    shown = _unveiled(url)
    scheme = url.scheme.removeprefix("jdbc:")
    provider = a.provider
    if rule.id == "jdbc-url":
        provider = _URL_PROVIDERS.get(scheme.split(":")[0], "database")
    facts = {"host": shown.host, "scheme": scheme, "environment_reason": reason}
    facts.update(
        {
            k: v
            for k, v in (("port", shown.port), ("database", shown.database), ("user", shown.user))
            if v
        }
    )
    for param in ("sslmode", "ssl", "tls"):
        if param in url.params:
            facts[param] = url.params[param]
    capabilities = a.capabilities
    user = url.user.lower()
    superuser = (user in _SUPERUSERS or bool(_ADMIN_NAME.search(user))) and provider in _DATABASES
    if superuser and "admin-database" not in capabilities:
        capabilities = (*capabilities, "admin-database")
    if url.password.lower() in WEAK_PASSWORDS or url.password == url.user:
        facts["weak_password"] = "true"
    a = dataclasses.replace(
        a,
        provider=provider,
        environment=environment,
        capabilities=capabilities,
        redacted=_url_redacted(shown.scheme, shown.user, shown.host, shown.port, shown.database),
        why=_url_why(a, environment, reason, shown.user),
        hints=environment is Environment.UNKNOWN,
    )
    if environment is Environment.DEV:
        a = dataclasses.replace(
            a,
            capabilities=(),
            fix="Fine for local development; keep it out of shared files and give the agent "
            "its own role anyway: agentauth init && agentauth provision",
        )
    return a.with_extra(**facts)


def _url_why(a: Assessment, environment: Environment, reason: str, user: str) -> str:
    who = f" as {user}" if user else ""
    if environment is Environment.DEV:
        return f"Local development {a.kind.replace('-', ' ')}{who} ({reason}): low risk."
    if environment is Environment.LIVE:
        return f"{a.why} Production{who} ({reason})."
    return f"{a.why} Remote{who} ({reason}); assume it reaches real data."


def supabase_jwt(value: str, cand: Candidate, rule: Rule, a: Assessment) -> Assessment | None:
    """Record the Supabase project ref and role read from the JWT payload."""
    claims = jwt_claims(value) or {}
    facts = {"role": str(claims.get("role", ""))}
    if claims.get("ref"):
        facts["project_ref"] = str(claims["ref"])
    return a.with_extra(**facts)


def jwt_token(value: str, cand: Candidate, rule: Rule, a: Assessment) -> Assessment | None:
    """Judge a bearer JWT by its claims: who issued it, and whether it has already expired.

    A string that only looks like a JWT (its payload is not JSON) is not a finding; an
    expired one is reported as info, since a server that checks ``exp`` refuses it.
    """
    claims = jwt_claims(value)
    if not claims:
        return None
    facts = {k: str(claims[k])[:80] for k in ("iss", "aud") if isinstance(claims.get(k), str)}
    exp = claims.get("exp")
    if isinstance(exp, int | float) and not isinstance(exp, bool):
        try:
            expires = datetime.fromtimestamp(exp, UTC)
        except (OverflowError, OSError, ValueError):
            return a.with_extra(**facts)
        facts["expires"] = expires.isoformat(timespec="seconds")
        if expires < datetime.now(UTC):
            return dataclasses.replace(
                a,
                final_severity=Severity.INFO,
                ci_fail=False,
                capabilities=(),
                why=f"Expired JWT (expired {expires:%Y-%m-%d}): refused by any server that "
                "checks its expiry.",
            ).with_extra(**facts)
        return a.with_extra(**facts)
    return dataclasses.replace(a, why=f"{a.why} This one never expires.").with_extra(**facts)


_PEM_TYPE = re.compile(r"-----BEGIN ([A-Z0-9 ]*?) ?PRIVATE KEY")
_PEM_MARKERS = re.compile(
    r"\.\.\.|…|<[^>]*>|your[_\- ]|placeholder|redacted|example", re.IGNORECASE
)


def private_key(value: str, cand: Candidate, rule: Rule, a: Assessment) -> Assessment | None:
    """Name the key type; an encrypted key needs its passphrase too (medium)."""
    body = value.split("-----", 3)[-1] if value.count("-----") >= 4 else value
    if _PEM_MARKERS.search(body):
        return None
    match = _PEM_TYPE.search(value)
    key_type = (match.group(1).strip() if match else "") or "PKCS8"
    a = a.with_extra(key_type=key_type)
    if "ENCRYPTED" in value:
        return dataclasses.replace(
            a,
            final_severity=Severity.MEDIUM,
            why="Encrypted private key: useless without its passphrase, which may be nearby.",
        ).with_extra(encrypted="true")
    return a


def openai(value: str, cand: Candidate, rule: Rule, a: Assessment) -> Assessment | None:
    """Project, service-account, admin or legacy user key, from the prefix."""
    for prefix, kind in (
        ("sk-proj-", "project"),
        ("sk-svcacct-", "service-account"),
        ("sk-admin-", "admin"),
    ):
        if value.startswith(prefix):
            return a.with_extra(key_type=kind)
    return a.with_extra(key_type="user (legacy)")


_TEST_PATH = re.compile(
    r"(?:^|/)(?:tests?|spec|specs|__tests__|fixtures?|testdata|test_data|mocks?)/"
    r"|(?:^|/)test_[^/]*$|_test\.[a-z]+$|\.(?:test|spec)\.[a-z]+$",
    re.IGNORECASE,
)


def is_test_path(path: str) -> bool:
    """True for files under tests/, fixtures/, spec/ or named test_*.py, *_test.go, *.spec.ts."""
    return bool(_TEST_PATH.search(path.replace("\\", "/")))


CLASSIFIERS: dict[str, Classifier] = {
    "stripe": stripe,
    "mode": mode,
    "pypi": pypi,
    "aws_key_id": aws_key_id,
    "aws_temporary": aws_temporary,
    "checksummed_token": checksummed_token,
    "connection_url": connection_url,
    "supabase_jwt": supabase_jwt,
    "jwt_token": jwt_token,
    "private_key": private_key,
    "openai": openai,
}
"""The registry rules name in their ``classifier`` field."""

OWN_PLACEHOLDER_CHECK = frozenset({"connection_url", "private_key"})
"""Classifiers that decide placeholders themselves (a URL's host, a PEM's body)."""
