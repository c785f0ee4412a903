"""What is a credential: secret-bearing names, placeholders, URLs, PEM bodies, fixtures.

Each case is one cause of a miss or a false positive measured on real inputs (issue 13)
or a disagreement between ``audit`` and ``init``/``lock`` (issue 14).
"""

from __future__ import annotations

import pytest
from audit_engine_helpers import Findings

from agentauth.engine.classify import classify, is_agentauth_output, loaded_configuration
from agentauth.engine.detect import detect_text
from agentauth.engine.rules import Catalog
from agentauth.engine.rules.placeholders import is_placeholder, is_typed
from agentauth.engine.rules.samples import expand
from agentauth.model import Environment, Origin, Severity


def _risks(findings: Findings, text: str, file: str = ".env") -> list[tuple[str, str]]:
    """(rule id, severity) of every finding above info."""
    return [
        (f.rule_id, f.severity.value)
        for f in findings(expand(text, text), file)
        if f.severity is not Severity.INFO
    ]


# ------------------------------------------------------------------ names that hold secrets


@pytest.mark.parametrize(
    ("text", "rule_id"),
    [
        ("session: IQoJb3JpZ2luX2VjE@@b64:300@@", "aws-session-token-value"),
        ('"Authorization": "Bearer @@url64:40@@"', "authorization-header"),
        ("authorization: Basic @@basic:deploy@@", "authorization-header"),
        ("//npm.acme.internal/:_auth=@@basic:ci@@", "generic-secret"),
        ("REGISTRY_AUTH=@@b62:32@@", "generic-secret"),
        ("Server=sql1.acme.io;Uid=svc;PWD=@@b62:8@@!@@b62:4@@;", "generic-secret"),
        (
            'from twilio.rest import Client\nclient = Client("AC@@hex:32@@", "@@hex:32@@")',
            "twilio-account-credentials",
        ),
    ],
)
def test_secret_bearing_names_are_recognised(findings: Findings, text: str, rule_id: str) -> None:
    assert rule_id in [r for r, _ in _risks(findings, text, "settings.py")]


@pytest.mark.parametrize(
    "text",
    ["PWD=/home/dev/project", "AUTHOR=@@b62:24@@", "Authorization: Bearer ${TOKEN}", "auth: true"],
)
def test_names_alone_do_not_make_a_secret(findings: Findings, text: str) -> None:
    assert _risks(findings, text, "settings.py") == []


# ------------------------------------------------------------------ placeholders


@pytest.mark.parametrize(
    ("text", "rule_id"),
    [
        ("DB_PASSWORD=Xk7#mQ2!pL9z$%^&*", "database-password"),
        ("LDAP_PASSWORD=Xk7#mQ2!pL9z$%^&*", "generic-secret"),
        ("JWT_SECRET=09VNq7fK2pLx8*m#UBax", "generic-secret"),
    ],
)
def test_passwords_with_symbols_and_keyboard_runs_are_found(
    findings: Findings, text: str, rule_id: str
) -> None:
    assert [r for r, _ in _risks(findings, text, "config.py")] == [rule_id]


@pytest.mark.parametrize(
    "value",
    ["sk-1234567890abcdef1234567890abcdef", "abc123xyz@@b62:20@@", "ABCDEFGHIJKLMNOP", "987654"],
)
def test_typed_runs_are_placeholders(value: str) -> None:
    assert is_typed(expand(value)) and is_placeholder(expand(value))
    assert not is_placeholder(expand(value), typed_runs=False) or "xyz" in value


def test_random_values_are_not_typed_runs() -> None:
    for seed in range(300):
        assert not is_typed(expand("@@b62:40@@", seed)), seed


def test_a_typed_key_in_a_loaded_env_file_is_still_the_apps_key(findings: Findings) -> None:
    """init and lock treat the walkthrough's key as a credential; so does the audit."""
    text = "STRIPE_SECRET_KEY=sk_live_51HxYzAbCdEfGhIjKlMnOpQrStUvWx\n"
    assert _risks(findings, text, ".env") == [("stripe-secret-key", "critical")]
    assert _risks(findings, text, "README.md") == []
    assert _risks(findings, text, ".env.example") == []
    assert loaded_configuration("<environ>", Origin.ENVIRON)
    assert not loaded_configuration("docs/setup.md")


@pytest.mark.parametrize(
    "text",
    [
        "OPENAI_API_KEY=sk-proj-1234567890abcdefT3BlbkFJ1234567890abcdef",
        "STRIPE_SECRET_KEY=sk_live_abc123xyz@@b62:20@@",
    ],
)
def test_provider_shaped_placeholders_in_docs_are_dropped(findings: Findings, text: str) -> None:
    assert _risks(findings, text, "docs/setup.md") == []


# ------------------------------------------------------------------ URLs


@pytest.mark.parametrize(
    "text",
    [
        "DATABASE_URL=postgres://user:password@db.acme.io:5432/app",
        "DATABASE_URL=postgresql://app:{password}@db.acme.io/app",
        "mongodb+srv://myDatabaseUser:D1fficultP%40ssw0rd@cluster0.example.mongodb.net/",
        "mongodb://myDBReader:D1fficultP%40ssw0rd@mongodb0.example.com:27017/?authSource=admin",
    ],
)
def test_template_urls_are_not_findings(findings: Findings, text: str) -> None:
    assert _risks(findings, text, "config.py") == []


def test_walkthrough_env_is_judged_like_init_and_lock(findings: Findings) -> None:
    text = (
        "DATABASE_URL=postgresql://postgres@127.0.0.1:5432/shop_walk\n"
        "STRIPE_SECRET_KEY=sk_live_51HxYzAbCdEfGhIjKlMnOpQrStUvWx\n"
    )
    found = {f.rule_id: f for f in findings(text, ".env")}
    url = found["database-url-without-password"]
    assert (url.environment, url.severity, url.ci_fail) == (Environment.DEV, Severity.LOW, False)
    assert "superuser" in url.why and url.redacted == "postgresql://postgres@127.0.0.1:5432/…"
    assert found["stripe-secret-key"].severity is Severity.CRITICAL


def test_passwordless_superuser_on_a_production_host_fails_ci(findings: Findings) -> None:
    (url,) = findings("DATABASE_URL=postgresql://postgres@db.prod.example.com:5432/shop", ".env")
    assert (url.environment, url.severity, url.ci_fail) == (Environment.LIVE, Severity.HIGH, True)
    assert "admin-database" in url.capabilities


def test_passwordless_ordinary_user_is_info(findings: Findings) -> None:
    (url,) = findings("DATABASE_URL=postgres://app@localhost/dev", ".env")
    assert (url.severity, url.ci_fail) == (Severity.INFO, False)


def test_interpolated_owner_url_is_reported_without_failing_ci(findings: Findings) -> None:
    (url,) = findings("DATABASE_URL=postgresql://owner:${DB_PASS}@db.acme.io:5432/shop", ".env")
    assert (url.rule_id, url.kind, url.severity, url.ci_fail) == (
        "postgres-url",
        "connection-url-reference",
        Severity.MEDIUM,
        False,
    )
    assert "${DB_PASS}" not in url.redacted and url.extra["password"] == "reference"
    (plain,) = findings("DATABASE_URL=postgres://app:${DB_PASS}@db.acme.io/shop", ".env")
    assert plain.severity is Severity.INFO


# ------------------------------------------------------------------ PEM, hashes, truncation


@pytest.mark.parametrize(
    "text",
    [
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nVersion: GnuPG v2\n\n"
        "put your exported private key block here before running the deploy script\n"
        "-----END PGP PRIVATE KEY BLOCK-----",
        "-----BEGIN RSA PRIVATE KEY-----\nThis is where the key goes when you generate it with "
        "ssh-keygen, sixty four characters at least\n-----END RSA PRIVATE KEY-----",
        "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC@@b64:40@@EXAMPLE=\n"
        "-----END PRIVATE KEY-----",
        "password = pypi-AgEIcHlwaS5vcmc@@url64:60@@",
        "PASSWORD=pbkdf2_sha256$870000$@@b62:22@@$@@b64:43@@=",
        "token-library=org.acme.token-service",
    ],
)
def test_not_key_material(findings: Findings, text: str) -> None:
    assert _risks(findings, text, "notes.txt") == []


@pytest.mark.parametrize("kind", ["RSA", "EC", "PKCS8", "OPENSSH"])
def test_real_key_bodies_are_found(findings: Findings, kind: str) -> None:
    assert [r for r, _ in _risks(findings, f"@@pem:{kind}@@", "id_key")] == ["private-key"]


# ------------------------------------------------------------------ fixtures, agentauth's files


def test_test_mode_keys_in_test_fixtures_are_info(findings: Findings) -> None:
    text = "STRIPE_SECRET_KEY=sk_test_@@b62:99@@"
    (fixture,) = findings(expand(text), "tests/fixtures/stripe.json")
    assert (fixture.severity, fixture.ci_fail) == (Severity.INFO, False)
    (config,) = findings(expand(text), "config/settings.py")
    assert config.severity is Severity.LOW
    live = findings(expand("K=sk_live_@@b62:99@@"), "tests/fixtures/stripe.json")
    assert live[0].severity is Severity.CRITICAL


def test_agentauths_own_env_ai_is_recognised(catalog: Catalog) -> None:
    text = "# This file was written by agentauth.\n# agent: claude-code\n" + expand(
        "DATABASE_URL=postgres://agent_ro:@@b62:24@@@db.prod.acme.io:5432/shop\n"
    )
    assert is_agentauth_output(text) and not is_agentauth_output("DATABASE_URL=x\n")
    (candidate,) = detect_text(text, catalog)
    theirs = classify(candidate, file=".env.ai", catalog=catalog)
    ours = classify(candidate, file=".env.ai", catalog=catalog, own_output=True)
    assert theirs is not None and ours is not None
    assert theirs.ci_fail and "provision" in theirs.fix
    assert (ours.severity, ours.ci_fail, ours.capabilities) == (Severity.LOW, False, ())
    assert "provision" not in ours.fix and "agentauth wrote" in ours.why
