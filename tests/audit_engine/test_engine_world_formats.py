"""Formats measured on other scanners' public fixtures (issue 13): each case is one cause.

Human-chosen passwords (repeated letters, ``$``), passwords under short names and on
command lines, placeholders that count in two woven runs or repeat one block, OpenSSH key
bodies under a mislabelled PEM header, and the legacy Grafana key's base64 JSON.
"""

from __future__ import annotations

import pytest
from audit_engine_helpers import Findings

from agentauth.engine.rules.checks import holds_key_material
from agentauth.engine.rules.placeholders import is_placeholder, is_typed
from agentauth.engine.rules.samples import expand, pem
from agentauth.model import Severity


def _risks(findings: Findings, text: str, file: str = "settings.py") -> list[str]:
    return [
        f.rule_id for f in findings(expand(text, text), file) if f.severity is not Severity.INFO
    ]


@pytest.mark.parametrize(
    "text",
    [
        'password = "super$ecret"',
        ":password       => '4ian1234',",
        "password='1qay@WXS????'",
        "pass: Prl23Db#@",
        "ANY_PW: Prl23Db#@",
    ],
)
def test_chosen_passwords_are_found(findings: Findings, text: str) -> None:
    assert _risks(findings, text) == ["generic-secret"]


@pytest.mark.parametrize(
    "text",
    [
        "mysql -u root --password Sne3sd8AZjq",
        "gpg --decrypt --passphrase N1DdkUD3E73 --output out.txt in.gpg",
        "Connect-Server -Domain 'localhost' -Password 'Sjdn43ss@!'",
    ],
)
def test_command_line_passwords_are_found(findings: Findings, text: str) -> None:
    assert _risks(findings, text, "deploy.sh") == ["cli-password-flag"]


@pytest.mark.parametrize(
    "text",
    [
        "docker login -u ci --password-stdin",
        'mysql --password "$MYSQL_PASSWORD"',
        "openssl pkcs12 -in a.p12 -pass env:P12_PASS",
        "--password secretpassword",
        "compass: north-by-northwest",
        "password = aaaa1111",
    ],
)
def test_references_words_and_fillers_are_not_passwords(findings: Findings, text: str) -> None:
    assert _risks(findings, text, "deploy.sh") == []


@pytest.mark.parametrize(
    "value",
    ["A1B2C3D4E5F6G7H8I9J0K1L2M3", "px-api-a1b2c3d4-e5f6-g7h8", "1a2b3c4d5e6f", "GFPYYSJZ" * 5],
)
def test_woven_counts_and_repeated_blocks_are_placeholders(value: str) -> None:
    assert is_typed(value) and is_placeholder(value)


def test_random_tokens_are_neither_woven_nor_periodic() -> None:
    for seed in range(500):
        for template in ("@@b62:40@@", "@@hex:40@@", "@@u36:52@@", "@@b64:44@@"):
            assert not is_typed(expand(template, seed)), (template, seed)


def test_an_openssh_body_under_an_rsa_header_is_key_material() -> None:
    import random

    block = pem(random.Random(1), "OPENSSH").replace("OPENSSH PRIVATE KEY", "RSA PRIVATE KEY")
    assert holds_key_material(block)


def test_grafana_legacy_keys_are_found_and_power_bi_links_are_not(findings: Findings) -> None:
    assert _risks(findings, 'GrafanaClient("@@b64json:grafana@@", host=h)') == [
        "grafana-legacy-api-key"
    ]
    assert _risks(findings, "see https://app.powerbi.com/view?r=@@b64json:powerbi@@") == []


@pytest.mark.parametrize(
    ("text", "rule_id"),
    [
        ("tool --super-secret_token @@uuid@@", "cli-secret-flag"),
        ('curl --oauth2-bearer "@@b64:22@@==" https://api.acme.io', "cli-secret-flag"),
        ('curl -X PUT -u "admin:@@b62:7@@9" https://10.0.0.7', "curl-user-password"),
    ],
)
def test_command_line_tokens_are_found(findings: Findings, text: str, rule_id: str) -> None:
    assert _risks(findings, text, "deploy.sh") == [rule_id]


@pytest.mark.parametrize(
    "text",
    [
        'curl -u "$USER:$PASSWORD" https://repo.acme.io',
        "acme --token-file ~/.acme/token",
        "acme --api-key ${{ secrets.ACME }}",
        "git push -u origin main",
    ],
)
def test_command_line_references_are_not_tokens(findings: Findings, text: str) -> None:
    assert _risks(findings, text, "deploy.sh") == []


def test_a_django_key_with_brackets_in_quotes_is_found(findings: Findings) -> None:
    """Django's generator draws from ``!@#$%^&*(-_=+)``: most keys hold a bracket or ``%(``."""
    text = "SECRET_KEY = '@@l36:12@@!%(^+=@@l36:12@@*k$'"
    assert _risks(findings, text) == ["generic-secret-quoted"]
    assert _risks(findings, "SECRET_KEY = 'django-insecure-@@l36:20@@!%(^+=@@l36:20@@'") == [
        "django-insecure-secret-key"
    ]
    assert not is_placeholder("ab!%(^+=cd")
    assert is_placeholder("%(password)s")


def test_passwords_given_to_credential_constructors_are_found(findings: Findings) -> None:
    text = 'c.Credentials = new NetworkCredential("ci@acme.io", "@@b62:12@@7");'
    assert _risks(findings, text, "Mailer.cs") == ["credential-constructor"]
    assert _risks(findings, 'new NetworkCredential("svc", "password")', "Mailer.cs") == []
