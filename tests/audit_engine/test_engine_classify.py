"""The classifier: environment, severity, ci_fail, redaction and extra facts, as a table."""

from __future__ import annotations

import random

import pytest
from tests.audit_engine.audit_engine_helpers import Findings

from agentauth.engine.classify import classify, environment_hint
from agentauth.engine.rules import Catalog
from agentauth.engine.rules.checks import base62_checksum, token_checksum_valid
from agentauth.engine.rules.classifiers import CHECKSUM_INVALID
from agentauth.engine.rules.samples import expand, github_token
from agentauth.model import Candidate, Environment, Origin, RuleId, Secret, Severity
from agentauth.redact import fingerprint

# Published test vectors (DataDog/dd-sensitive-data-scanner); split so no scanner sees a token.
VALID_GHP = "ghp_M7H4jxUDDWHP4kZ6A4dxlQY" + "sQIWJuq11T4V4"
INVALID_GHP = VALID_GHP[:-1] + "3"

LIVE = ("live", "critical", True)
LIVE_HIGH = ("live", "high", True)
DEV = ("dev", "low", False)
# (template, file, rule id, environment, severity, ci_fail)
TABLE = [
    ("STRIPE_SECRET_KEY=sk_live_@@b62:99@@", ".env", "stripe-secret-key", "live", "critical", True),
    ("STRIPE_SECRET_KEY=sk_prod_@@b62:24@@", ".env", "stripe-secret-key", "live", "critical", True),
    ("STRIPE_SECRET_KEY=sk_test_@@b62:99@@", ".env", "stripe-secret-key", "test", "low", False),
    ("STRIPE_KEY=rk_live_@@b62:99@@", ".env", "stripe-restricted-key", "live", "high", True),
    ("STRIPE_KEY=rk_test_@@b62:99@@", ".env", "stripe-restricted-key", "test", "low", False),
    ("PK=pk_live_@@b62:99@@", ".env", "stripe-publishable-key", "live", "info", False),
    ("PK=pk_test_@@b62:99@@", ".env", "stripe-publishable-key", "test", "info", False),
    ("WH=whsec_@@b62:32@@", ".env", "stripe-webhook-secret", "unknown", "high", True),
    ("WH=whsec_@@b62:32@@", ".env.production", "stripe-webhook-secret", "live", "high", True),
    ("WH=whsec_@@b62:32@@", ".env.test", "stripe-webhook-secret", "test", "low", False),
    ("AWS_ACCESS_KEY_ID=AKIA@@b32:16@@", ".env", "aws-access-key-id", "live", "critical", True),
    ("AWS_ACCESS_KEY_ID=ASIA@@b32:16@@", ".env", "aws-access-key-id", "live", "high", True),
    ("AWS_SECRET_ACCESS_KEY=@@b64:40@@", ".env", "aws-secret-access-key", "live", "critical", True),
    ("AWS_SESSION_TOKEN=@@b64:300@@", ".env", "aws-session-token", "live", "high", True),
    ("T=ghp_@@gh@@", ".env", "github-pat-classic", "live", "critical", True),
    ("T=ghp_@@ghbad@@", ".env", "github-pat-classic", "live", "info", False),
    ("T=ghs_@@gh@@", ".env", "github-installation-token", "live", "high", True),
    ("T=npm_@@gh@@", ".npmrc", "npm-access-token", "live", "critical", True),
    ("T=npm_@@ghbad@@", ".npmrc", "npm-access-token", "live", "info", False),
    ("P=pypi-AgEIcHlwaS5vcmc@@url64:150@@", ".pypirc", "pypi-token", "live", "critical", True),
    ("P=pypi-AgENdGVzdC5weXBpLm9yZw@@url64:150@@", ".pypirc", "pypi-token", "test", "low", False),
    ("K=@@jwt:service_role@@", ".env", "supabase-service-role-key", "live", "critical", True),
    ("K=@@jwt:anon@@", ".env", "supabase-anon-key", "live", "info", False),
    ("K=sb_secret_@@url64:31@@", ".env", "supabase-secret-key", "live", "critical", True),
    ("K=sb_publishable_@@url64:31@@", ".env", "supabase-publishable-key", "live", "info", False),
    ("K=sk-proj-@@url64:74@@T3BlbkFJ@@url64:74@@", ".env", "openai-api-key", "live", "high", True),
    ("K=sk-admin-@@url64:58@@T3BlbkFJ@@url64:58@@", ".env", "openai-admin-key", *LIVE),
    ("K=sk-ant-api03-@@url64:93@@AA", ".env", "anthropic-api-key", "live", "high", True),
    ("K=@@pem:RSA@@", "id_rsa", "private-key", "unknown", "high", True),
    ("K=@@pem:ENCRYPTED@@", "key.pem", "private-key", "unknown", "medium", True),
    ("API_SECRET=@@b62:32@@", "settings.py", "generic-secret", "unknown", "medium", True),
    ("API_SECRET=@@b62:32@@", "tests/test_api.py", "generic-secret", "test", "info", False),
    ("K=sk_test_@@b62:99@@", "tests/fixtures/pay.json", "stripe-secret-key", "test", "info", False),
    ("K=sk_live_@@b62:99@@", "tests/fixtures/pay.json", "stripe-secret-key", *LIVE),
    ("API_SECRET=@@b62:32@@", ".env.development", "generic-secret", "dev", "low", False),
    ("PROD_API_SECRET=@@b62:32@@", "settings.py", "generic-secret", "live", "medium", True),
    ("MONGO=mongodb+srv://app:@@b62:20@@@c0.ab1.mongodb.net/shop", ".env", "mongodb-url", *LIVE),
    ("MYSQL=mysql://app:@@b62:20@@@mysql:3306/app", ".env", "mysql-url", "dev", "low", False),
    ("REDIS=rediss://default:@@b62:20@@@eu1-x.upstash.io:6379", ".env", "redis-url", *LIVE_HIGH),
    ("REDIS=redis://:@@b62:20@@@redis:6379/0", ".env", "redis-url", "dev", "low", False),
]  # fmt: skip
# Database URLs: the host decides. (password@host/db, file, environment, severity, ci_fail)
URLS = [
    ("app:@@b62:20@@@localhost:5432/app", ".env", *DEV),
    ("app:@@b62:20@@@127.0.0.2/app", ".env", *DEV),
    ("app:@@b62:20@@@[::1]:5432/app", ".env", *DEV),
    ("app:@@b62:20@@@db:5432/app", ".env", *DEV),
    ("app:@@b62:20@@@host.docker.internal/app", ".env", *DEV),
    ("app:@@b62:20@@@pg.local/app", ".env", *DEV),
    ("postgres:postgres@localhost/app", ".env", *DEV),
    ("app:@@b62:20@@@x.abc.eu-west-1.rds.amazonaws.com/app", ".env", *LIVE),
    ("app:@@b62:20@@@db.abcdefgh.supabase.co/postgres", ".env", *LIVE),
    ("app:@@b62:20@@@ep-cool-1.eu-central-1.aws.neon.tech/app", ".env", *LIVE),
    ("app:@@b62:20@@@10.1.2.3/app", ".env", "unknown", "high", True),
    ("app:@@b62:20@@@10.1.2.3/app?sslmode=require", ".env", *LIVE),
    ("app:@@b62:20@@@10.1.2.3/app", ".env.production", *LIVE),
    ("app:@@b62:20@@@db-1.internal.acme.io/prod", ".env", *LIVE),
    ("app:@@b62:20@@@8.8.8.8/app", ".env", *LIVE),
    ("app:password@prod-db.acme.io/app", ".env", *LIVE),
]
TABLE += [
    (f"DATABASE_URL=postgres://{url}", file, "postgres-url", *rest) for url, file, *rest in URLS
]


@pytest.mark.parametrize(("template", "file", "rule_id", "env", "severity", "ci_fail"), TABLE)
def test_classification_table(
    findings: Findings,
    template: str,
    file: str,
    rule_id: str,
    env: str,
    severity: str,
    ci_fail: bool,
) -> None:
    (found,) = findings(expand(template, template), file)
    assert (found.rule_id, found.environment.value, found.severity.value, found.ci_fail) == (
        rule_id,
        env,
        severity,
        ci_fail,
    )
    assert found.why and found.fix


@pytest.mark.parametrize(
    "text",
    [
        "STRIPE_SECRET_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx",
        "STRIPE_SECRET_KEY=sk_live_<your-key-here>",
        "STRIPE_SECRET_KEY=sk_live_your_api_key_here_0000",
        "STRIPE_SECRET_KEY=sk_live_REPLACE_ME_with_a_real_key",
        "STRIPE_SECRET_KEY=sk_live_00000000000000000000000000",
        "API_KEY=${API_KEY}",
        "API_KEY=$API_KEY",
        "api_key: {{ .Values.apiKey }}",
        "api_key = os.environ['API_KEY']",
        "const apiKey = process.env.API_KEY;",
        "PASSWORD=changeme",
        "TOKEN=...",
        "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
        "AWS_ACCESS_KEY_ID=AKIAI44QH8DHBEXAMPLE",
        "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "DATABASE_URL=postgres://user:${DB_PASSWORD}@prod.rds.amazonaws.com/app",
        "DATABASE_URL=postgres://user:<password>@localhost/app",
        "DATABASE_URL=postgres://user:secret@example.com/app",
        "DATABASE_URL=postgres://user:pa55w0rdXyz@host:5432/db",
        "DATABASE_URL=postgres://localhost/app",
        "-----BEGIN OPENSSH PRIVATE KEY-----\n"
        "<your key here, 64 characters or more of it, please>\n"
        "-----END OPENSSH PRIVATE KEY-----",
    ],
)
def test_placeholders_and_documentation_examples_are_dropped(findings: Findings, text: str) -> None:
    """Nothing above info: a reference URL may stay as an info row (it names who connects)."""
    assert [f for f in findings(text) if f.severity is not Severity.INFO or f.ci_fail] == []


def test_local_default_password_in_env_example_is_documentation(findings: Findings) -> None:
    text = "DATABASE_URL=postgresql://postgres:postgres@localhost:5432/shop\n"
    assert findings(text, ".env.example") == []
    (local,) = findings(text, ".env")
    assert (local.environment, local.severity, local.ci_fail) == (
        Environment.DEV,
        Severity.LOW,
        False,
    )


def test_url_facts_and_redaction(findings: Findings) -> None:
    password = expand("@@b62:24@@", "pw")
    url = f"postgresql://shop_owner:{password}@shop-prod.c9.us-east-1.rds.amazonaws.com:5432/shop?sslmode=require"
    (found,) = findings(f"DATABASE_URL={url}")
    assert found.redacted == (
        "postgresql://shop_owner:***@shop-prod.c9.us-east-1.rds.amazonaws.com:5432/shop"
    )
    assert dict(found.extra) == {
        "host": "shop-prod.c9.us-east-1.rds.amazonaws.com",
        "port": "5432",
        "database": "shop",
        "user": "shop_owner",
        "scheme": "postgresql",
        "sslmode": "require",
        "environment_reason": "production name in host or database",
    }
    assert "admin-database" in found.capabilities
    assert password not in repr(found) and password not in found.redacted


def test_jdbc_url_names_its_database_provider(findings: Findings) -> None:
    (found,) = findings(expand("jdbc:mysql://db.acme.io:3306/shop?user=app&password=@@b62:16@@", 1))
    assert (found.rule_id, found.provider, found.extra["user"]) == ("jdbc-url", "mysql", "app")
    assert "password" not in found.redacted.lower() or "***" in found.redacted


def test_supabase_and_aws_extra_facts(findings: Findings) -> None:
    (service,) = findings(expand("K=@@jwt:service_role@@", 2))
    assert service.extra["role"] == "service_role" and service.extra["project_ref"]
    assert "bypass-row-level-security" in service.capabilities
    (temporary,) = findings(expand("AWS_ACCESS_KEY_ID=ASIA@@b32:16@@", 3))
    assert temporary.extra["key_kind"] == "temporary"


def test_github_checksum_vectors() -> None:
    assert token_checksum_valid(VALID_GHP) is True
    assert token_checksum_valid(INVALID_GHP) is False
    assert base62_checksum(VALID_GHP[4:34]) == VALID_GHP[-6:]
    assert token_checksum_valid("github_pat_" + "a" * 82) is None
    rng = random.Random(3)
    for prefix in ("ghp", "gho", "ghu", "ghs", "ghr", "npm"):
        assert token_checksum_valid(github_token(rng, prefix)) is True
        assert token_checksum_valid(github_token(rng, prefix, valid=False)) is False


def test_checksum_failure_is_info_with_the_reason(findings: Findings) -> None:
    (bad,) = findings(f"GITHUB_TOKEN={INVALID_GHP}")
    assert (bad.severity, bad.ci_fail, bad.why) == (Severity.INFO, False, CHECKSUM_INVALID)
    assert bad.extra["checksum"] == "invalid"
    (good,) = findings(f"GITHUB_TOKEN={VALID_GHP}")
    assert (good.severity, good.ci_fail, good.extra["checksum"]) == (
        Severity.CRITICAL,
        True,
        "valid",
    )


def test_redacted_and_fingerprint(findings: Findings) -> None:
    key = expand("sk_live_@@b62:40@@", 9)
    (found,) = findings(f"STRIPE_SECRET_KEY={key}")
    assert found.redacted == f"sk_live_…{key[-4:]}"
    assert found.fingerprint == fingerprint("stripe-secret-key", key)
    (again,) = findings(f"\n\n  other = '{key}'", "other/file.py")
    assert again.fingerprint == found.fingerprint


@pytest.mark.parametrize(
    ("file", "variable", "expected"),
    [
        (".env.production", None, Environment.LIVE),
        ("config/.env.prod", None, Environment.LIVE),
        (".env.test", None, Environment.TEST),
        (".env.development", None, Environment.DEV),
        (".env.example", None, Environment.DEV),
        ("docker-compose.yml", None, Environment.DEV),
        (".env", "PROD_DB_PASSWORD", Environment.LIVE),
        (".env", "STRIPE_TEST_KEY", Environment.TEST),
        (".env", "LOCAL_TOKEN", Environment.DEV),
        (".env", "API_KEY", Environment.UNKNOWN),
        ("production.py", None, Environment.UNKNOWN),
    ],
)
def test_environment_hints(file: str, variable: str | None, expected: Environment) -> None:
    assert environment_hint(file, variable) is expected


def test_environ_origin_ignores_the_file_label(catalog: Catalog) -> None:
    value = expand("@@b62:32@@", 4)
    candidate = Candidate(RuleId("generic-secret"), Secret(value), 0, 0, "API_SECRET")
    found = classify(candidate, file="<environ>", catalog=catalog, origin=Origin.ENVIRON)
    assert found is not None
    assert (found.origin, found.environment, found.ci_fail) == (
        Origin.ENVIRON,
        Environment.UNKNOWN,
        True,
    )


def _jwt(payload: dict[str, object]) -> str:
    import base64
    import json

    def part(data: object) -> str:
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    signature = expand("@@url64:43@@", 7)
    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(payload)}.{signature}"


def test_jwt_bearer_tokens_by_expiry(findings: Findings) -> None:
    live = _jwt({"iss": "https://auth.acme.io", "sub": "svc-ci", "exp": 4102444800})
    (found,) = findings(f"    token: {live}")
    assert (found.rule_id, found.severity, found.ci_fail) == (
        "jwt-bearer-token",
        Severity.MEDIUM,
        True,
    )
    assert found.extra["iss"] == "https://auth.acme.io" and found.extra["expires"].startswith(
        "2100"
    )
    (expired,) = findings(f"Authorization: Bearer {_jwt({'sub': 'x', 'exp': 1500000000})}")
    assert (expired.severity, expired.ci_fail) == (Severity.INFO, False)
    assert expired.why.startswith("Expired JWT (expired 2017-07-14)")
    (forever,) = findings(f"API_TOKEN={_jwt({'sub': 'bot'})}")
    assert forever.why.endswith("This one never expires.")
