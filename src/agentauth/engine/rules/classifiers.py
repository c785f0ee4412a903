"""Per-provider classifiers: what a matched credential is, where it acts, and what it can do.

An explicit registry (:data:`CLASSIFIERS`), named by rules in ``catalog.toml``. Each
takes the secret text, the candidate and the rule's default :class:`Assessment` and
returns a refined one, or None when the value is a placeholder that must be dropped.
All offline: the string, its checksum, its decoded claims, its URL's host.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from datetime import UTC, datetime

from agentauth.engine.rules import Rule
from agentauth.engine.rules.assessment import Assessment
from agentauth.engine.rules.checks import holds_key_material, jwt_claims, token_checksum_valid
from agentauth.engine.rules.urlclassify import connection_url, passwordless_url
from agentauth.model import Candidate, Environment, Severity

__all__ = [
    "CLASSIFIERS",
    "OWN_PLACEHOLDER_CHECK",
    "SHORTER_THAN_ISSUED",
    "Assessment",
    "Classifier",
    "is_test_path",
]

CHECKSUM_INVALID = "checksum invalid: not a token GitHub issued (a fake or a typo)"


Classifier = Callable[[str, Candidate, Rule, Assessment], "Assessment | None"]


def _test_mode(rule: Rule, a: Assessment) -> Assessment:
    return dataclasses.replace(
        a,
        environment=Environment.TEST,
        capabilities=(),
        why=rule.why_test or f"{rule.description} for test mode: sandbox data only.",
        fix=rule.fix_test or a.fix,
    )


SHORTER_THAN_ISSUED = "shorter_than_issued"
"""Extra fact: the value is shorter than any the provider issues (a stand-in or cut short).

:func:`agentauth.engine.classify.classify` keeps such a finding only in loaded
configuration (``.env``), where it is what the application sends whatever its length."""

_STRIPE_SHORTEST_BODY = 20
"""Stripe's shortest secret key body (the legacy keys' 24, with room for a typo)."""


def stripe(value: str, cand: Candidate, rule: Rule, a: Assessment) -> Assessment | None:
    """Live vs test from the key's own prefix (``sk_live_``, ``rk_test_``, ``pk_live_``)."""
    parts = value.split("_", 2)
    mode = parts[1] if len(parts) == 3 else ""
    a = a.with_extra(mode="live" if mode in {"live", "prod"} else mode)
    if len(parts) == 3 and len(parts[2]) < _STRIPE_SHORTEST_BODY:
        a = a.with_extra(**{SHORTER_THAN_ISSUED: "true"})
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
        start = value.find("eyJ")
        if form == "stateless" and start > 0:
            # the stateless form carries a JWT: an expired one is refused like any JWT
            judged = jwt_token(value[start:], cand, rule, a)
            if judged is not None:
                return judged
    return a


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


def private_key(value: str, cand: Candidate, rule: Rule, a: Assessment) -> Assessment | None:
    """Name the key type; an encrypted key needs its passphrase too (medium).

    A block whose body is not key material (prose, ``...``, ``EXAMPLE``, a header with
    no body, base64 that does not decode to a key's structure) is not a finding.
    """
    if not holds_key_material(value):
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


_ADMIN_PASSWORD = re.compile(r"^POSTGRES_PASSWORD$|ROOT|MASTER|ADMIN|SUPERUSER", re.IGNORECASE)
"""Settings that hold the superuser's password: the official postgres image makes
``POSTGRES_USER`` a superuser, ``MYSQL_ROOT_PASSWORD`` is root's, RDS calls it master."""


def database_password(value: str, cand: Candidate, rule: Rule, a: Assessment) -> Assessment | None:
    """A database password on its own: the superuser's administers the server."""
    if _ADMIN_PASSWORD.search(cand.variable or ""):
        return dataclasses.replace(
            a,
            capabilities=(*a.capabilities, "admin-database"),
            why=f"{a.why.rstrip('.')}; it is the superuser's: every database, every role.",
        ).with_extra(superuser="true")
    return a


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
    "passwordless_url": passwordless_url,
    "supabase_jwt": supabase_jwt,
    "jwt_token": jwt_token,
    "private_key": private_key,
    "openai": openai,
    "database_password": database_password,
}
"""The registry rules name in their ``classifier`` field."""

OWN_PLACEHOLDER_CHECK = frozenset({"connection_url", "passwordless_url", "private_key"})
"""Classifiers that decide placeholders themselves (a URL's host, a PEM's body)."""
