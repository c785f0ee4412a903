"""Formats whose name and value are apart, or whose value is encoded (issue 13).

Kubernetes Secret ``data:`` (base64), strings inside JSON-escaped strings (notebook
cells, JSON in JSON), Terraform variable defaults, XML elements with braced values,
Go byte slices, driver schemes and percent-encoded passwords: each is found at the
line and column where the value is written, and the encoded form is not reported too.
"""

from __future__ import annotations

import base64
import json
import secrets
import string

from agentauth.engine.classify import classify
from agentauth.engine.detect import detect_text
from agentauth.engine.rules import Catalog, load_catalog
from agentauth.model import Finding

_ALNUM = string.ascii_letters + string.digits


def _random(n: int) -> str:
    """A random key with at least one digit.

    Why the digit: the generic rules take a value of letters alone for an identifier
    (``SomeClassName``), so a letters-only draw (about 1 in 50 for 24 characters) is
    not a key and made these tests fail at random.
    """
    body = [secrets.choice(_ALNUM) for _ in range(n - 1)]
    body.insert(secrets.randbelow(n), secrets.choice(string.digits))
    return "".join(body)


def _findings(text: str, file: str = "file.txt") -> list[Finding]:
    catalog: Catalog = load_catalog()
    found = []
    for candidate in detect_text(text, catalog):
        finding = classify(candidate, file=file, catalog=catalog)
        if finding is not None:
            found.append(finding)
    return found


def _at(text: str, needle: str) -> tuple[int, int]:
    offset = text.index(needle)
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


def test_kubernetes_secret_data_is_decoded_and_the_base64_not_reported() -> None:
    url = f"postgresql://app:{_random(18)}@db.shop-corp.io:5432/shop"
    token = _random(16) + "7#" + _random(8)
    encoded_url = base64.b64encode(url.encode()).decode()
    encoded_token = base64.b64encode(token.encode()).decode()
    harmless = base64.b64encode(b"just some configuration text").decode()
    text = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ntype: Opaque\ndata:\n"
        f"  DATABASE_URL: {encoded_url}\n  API_TOKEN: {encoded_token}\n"
        f"  README: {harmless}\n"
    )
    found = {f.variable: f for f in _findings(text, "k8s/secret.yaml")}
    assert set(found) == {"DATABASE_URL", "API_TOKEN"}
    db = found["DATABASE_URL"]
    assert db.rule_id == "postgres-url" and db.secret.reveal() == url
    assert (db.line, db.column) == _at(text, encoded_url)
    assert db.redacted == "postgresql://app:***@db.shop-corp.io:5432/shop"
    assert found["API_TOKEN"].secret.reveal() == token


def test_a_tls_secrets_key_is_decoded_across_its_lines() -> None:
    """``kubernetes.io/tls`` Secrets (cert-manager writes them) hold a PEM key, several
    lines once decoded; the decoded text is judged, line breaks and all."""
    from agentauth.engine.rules.samples import expand

    encoded = expand("@@pemb64:RSA@@", "tls")
    text = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: web-tls\ntype: kubernetes.io/tls\n"
        f"data:\n  tls.crt: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==\n  tls.key: {encoded}\n"
    )
    (finding,) = _findings(text, "k8s/tls.yaml")
    assert finding.rule_id == "private-key" and finding.variable == "tls.key"
    assert finding.secret.reveal() == base64.b64decode(encoded).decode().strip()
    assert (finding.line, finding.column) == _at(text, encoded)


def test_a_configmap_is_not_decoded() -> None:
    value = base64.b64encode(f"postgresql://app:{_random(18)}@db.acme.io/x".encode()).decode()
    text = f"apiVersion: v1\nkind: ConfigMap\ndata:\n  blob: {value}\n"
    assert [f.rule_id for f in _findings(text)] in ([], ["generic-secret"])
    assert all(f.rule_id != "postgres-url" for f in _findings(text))


def test_json_escaped_strings_in_a_notebook() -> None:
    secret_key = _random(20) + "/" + _random(19)
    url = f"postgres://app:{_random(16)}@db.shop-corp.io:5432/shop"
    cell = {
        "cells": [
            {
                "cell_type": "code",
                "source": [f'conn = "{url}"\n', f'cfg = {{"awsSecretKey":"{secret_key}"}}\n'],
            }
        ]
    }
    text = json.dumps(cell, indent=1)
    found = {f.rule_id: f for f in _findings(text, "nb/analysis.ipynb")}
    aws = found["aws-secret-access-key"]
    assert aws.secret.reveal() == secret_key and aws.variable == "awsSecretKey"
    assert (aws.line, aws.column) == _at(text, secret_key)
    pg = found["postgres-url"]
    assert pg.secret.reveal() == url and pg.variable == "conn"


def test_json_inside_a_json_string() -> None:
    password = _random(12) + "4$"
    text = json.dumps({"payload": json.dumps({"db_password": password})})
    (finding,) = _findings(text)
    assert finding.variable == "db_password" and finding.secret.reveal() == password
    assert finding.column == _at(text, password)[1]


def test_terraform_default_of_a_password_variable_only() -> None:
    password = _random(12) + "8%"
    text = (
        f'variable "db_password" {{\n  type = string\n  default = "{password}"\n}}\n'
        f'variable "region" {{\n  default = "{_random(12)}9!"\n}}\n'
    )
    (finding,) = _findings(text, "infra/variables.tf")
    assert finding.variable == "db_password" and finding.secret.reveal() == password
    assert (finding.line, finding.column) == _at(text, password)


def test_xml_elements_and_key_value_attributes_with_braces() -> None:
    first, second = _random(14) + "7#", _random(24) + "3!"
    text = (
        "<configuration>\n  <appSettings>\n"
        f'    <add key="DbPassword" value="{{{first}}}" />\n'
        '    <add key="Theme" value="{dark-blue-theme-2}" />\n'
        f"  </appSettings>\n  <apiToken>{{{second}}}</apiToken>\n</configuration>\n"
    )
    found = {f.variable: f.secret.reveal() for f in _findings(text, "app.config")}
    assert found == {"DbPassword": first, "apiToken": second}


def test_go_byte_slice_keys() -> None:
    key = _random(24)
    text = f'package auth\n\nvar jwtKey = []byte("{key}")\nvar name = []byte("{_random(24)}")\n'
    (finding,) = _findings(text, "auth/jwt.go")
    assert finding.variable == "jwtKey" and finding.secret.reveal() == key
    assert (finding.line, finding.column) == _at(text, key)


def test_driver_schemes_and_percent_encoded_passwords() -> None:
    lines = [
        f"A=postgresql+psycopg2://app:{_random(16)}@db.shop-corp.io:5432/shop",
        f"B=postgres+asyncpg://app:{_random(16)}@db.shop-corp.io/shop",
        f"C=mysql2://app:{_random(16)}@mysql.shop-corp.io/shop",
        f"D=postgres://app:{_random(6)}%25{_random(6)}%2A@db.shop-corp.io/shop",
    ]
    found = _findings("\n".join(lines) + "\n", ".env")
    assert [f.variable for f in found] == ["A", "B", "C", "D"]
    assert all(f.provider in {"postgres", "mysql"} for f in found)


def test_a_key_deep_inside_a_minified_line_is_found() -> None:
    key = "sk_live_" + _random(32)
    url = f"postgres://app:{_random(16)}@db.shop-corp.io/shop"
    filler = '{"k":"' + "ab12" * 50_000 + '"},'
    text = "[" + filler * 3 + f'{{"key":"{key}","db":"{url}"}},' + filler * 3 + "]\n"
    found = {f.rule_id: f for f in _findings(text, "dist/bundle.min.js")}
    assert found["stripe-secret-key"].secret.reveal() == key
    assert found["stripe-secret-key"].column == text.index(key) + 1
    assert found["postgres-url"].secret.reveal() == url
