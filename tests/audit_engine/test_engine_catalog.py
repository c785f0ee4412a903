"""The rule catalog: it loads, it is well formed, and every rule's own examples behave."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tests.audit_engine.audit_engine_helpers import (
    ALL_RULES,
    Findings,
    example_id,
    render_rules_doc,
)

from agentauth.engine.rules import (
    CAPABILITIES,
    Catalog,
    Rule,
    load_catalog,
    parse_catalog,
    parse_catalogs,
)
from agentauth.engine.rules.samples import expand
from agentauth.errors import ConfigError
from agentauth.model import Severity

REQUIRED_PROVIDERS = {
    "postgres", "mysql", "mongodb", "redis", "stripe", "aws", "github", "slack", "openai",
    "anthropic", "google", "gcp", "sendgrid", "twilio", "npm", "pypi", "huggingface",
    "crypto", "supabase", "generic", "gitlab",
}  # fmt: skip


def test_catalog_loads_once_and_is_immutable(catalog: Catalog) -> None:
    assert load_catalog() is catalog
    assert len(catalog) >= 250
    with pytest.raises(AttributeError):
        catalog.rules = ()  # type: ignore[misc]


def test_rule_ids_are_unique_kebab_case_and_found_by_get(catalog: Catalog) -> None:
    ids = [r.id for r in catalog.rules]
    assert len(ids) == len(set(ids))
    for rule_id in ids:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule_id)
        assert catalog.get(rule_id).id == rule_id
    with pytest.raises(KeyError, match="no-such-rule"):
        catalog.get("no-such-rule")


def test_catalog_covers_the_required_providers(catalog: Catalog) -> None:
    assert {r.provider for r in catalog.rules} >= REQUIRED_PROVIDERS
    for rule_id in ("stripe-secret-key", "aws-access-key-id", "github-pat-classic", "postgres-url"):
        catalog.get(rule_id)


def test_every_rule_is_documented_and_has_examples(catalog: Catalog) -> None:
    for rule in catalog.rules:
        assert rule.positives, f"{rule.id} has no positive example"
        assert rule.negatives, f"{rule.id} has no negative example"
        assert rule.keywords and all(k == k.lower() for k in rule.keywords)
        assert set(rule.capabilities) <= CAPABILITIES
        assert rule.why.strip() and rule.fix.strip(), rule.id


@pytest.mark.parametrize(("rule", "index"), ALL_RULES["positives"], ids=example_id)
def test_positive_example_is_found_by_its_rule(rule: Rule, index: int, findings: Findings) -> None:
    text = expand(rule.positives[index], f"{rule.id}:{index}")
    found = [f for f in findings(text) if f.rule_id == rule.id]
    assert found, f"{rule.id} positive #{index} not found"
    assert found[0].secret.reveal() in text


@pytest.mark.parametrize(("rule", "index"), ALL_RULES["negatives"], ids=example_id)
def test_negative_example_is_not_a_finding(rule: Rule, index: int, findings: Findings) -> None:
    """No finding of this rule above info (``info`` is agentauth's "not a credential risk")."""
    text = expand(rule.negatives[index], f"{rule.id}:n{index}")
    risks = [f for f in findings(text) if f.rule_id == rule.id]
    assert [f for f in risks if f.severity is not Severity.INFO or f.ci_fail] == []


def test_positive_examples_hold_no_token_shaped_literals(catalog: Catalog) -> None:
    """The catalog's examples are templates, so the repository itself stays clean."""
    folder = Path(__file__).parents[2] / "src" / "agentauth" / "engine" / "rules"
    sources = sorted(folder.glob("catalog*.toml"))
    assert len(sources) > 1
    for source in sources:
        report = [f.rule_id for f in _findings_in(source.read_text(), catalog) if f.ci_fail]
        assert report == [], source.name


def _findings_in(text: str, catalog: Catalog) -> list[object]:
    from agentauth.engine.classify import classify
    from agentauth.engine.detect import detect_text

    out = []
    for candidate in detect_text(text, catalog):
        finding = classify(candidate, file="catalog.toml", catalog=catalog)
        if finding is not None:
            out.append(finding)
    return out


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("", "no \\[\\[rules\\]\\]"),
        ("[[rules]]\nid = 'x'\n", "missing"),
        (
            "[[rules]]\nid='Bad_Id'\nprovider='p'\nkind='k'\ndescription='d'\nregex='x'\n"
            "keywords=['x']\nseverity='high'\n",
            "kebab-case",
        ),
        (
            "[[rules]]\nid='a'\nprovider='p'\nkind='k'\ndescription='d'\nregex='('\n"
            "keywords=['x']\nseverity='high'\n",
            "rule #1",
        ),
        (
            "[[rules]]\nid='a'\nprovider='p'\nkind='k'\ndescription='d'\nregex='x'\n"
            "keywords=['X']\nseverity='high'\n",
            "lower-case",
        ),
        (
            "[[rules]]\nid='a'\nprovider='p'\nkind='k'\ndescription='d'\nregex='x'\n"
            "keywords=['x']\nseverity='high'\ncapabilities=['fly']\n",
            "unknown capabilities",
        ),
        (
            "[[rules]]\nid='a'\nprovider='p'\nkind='k'\ndescription='d'\nregex='x'\n"
            "keywords=['x']\nseverity='high'\nvalidator='nope'\n",
            "unknown validator",
        ),
        (
            "[[rules]]\nid='a'\nprovider='p'\nkind='k'\ndescription='d'\nregex='x'\n"
            "keywords=['x']\nseverity='high'\nsevrity='low'\n",
            "unknown key",
        ),
        ("rules = [", "not valid TOML"),
    ],
)
def test_bad_catalog_is_a_config_error(toml: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_catalog(toml)


def test_duplicate_rule_id_is_rejected() -> None:
    rule = (
        "[[rules]]\nid='a'\nprovider='p'\nkind='k'\ndescription='d'\nregex='x'\n"
        "keywords=['x']\nseverity='high'\n"
    )
    with pytest.raises(ConfigError, match="used twice"):
        parse_catalog(rule + rule)


def test_docs_list_every_rule(catalog: Catalog) -> None:
    """docs/rules.md is generated from the catalog; regenerate it when a rule changes."""
    doc = Path(__file__).parents[2] / "docs" / "rules.md"
    text = doc.read_text(encoding="utf-8")
    for rule in catalog.rules:
        assert f"`{rule.id}`" in text, f"docs/rules.md misses {rule.id}"
    assert render_rules_doc(catalog) in text, (
        "docs/rules.md's rule table is out of date: "
        "run .venv/bin/python tests/audit_engine/audit_engine_helpers.py"
    )


def test_rule_ids_are_unique_across_catalog_files() -> None:
    rule = (
        "[[rules]]\nid='a'\nprovider='p'\nkind='k'\ndescription='d'\nregex='x'\n"
        "keywords=['x']\nseverity='high'\n"
    )
    with pytest.raises(ConfigError, match="used twice across"):
        parse_catalogs([(rule, "catalog.toml"), (rule, "catalog-x.toml")])


def test_names_and_body_build_an_assignment_rule_keyed_by_the_names() -> None:
    """A prefix-less token is found only under a name holding the provider and a secret word."""
    rule = (
        "[[rules]]\nid='acme-token'\nprovider='acme'\nkind='k'\ndescription='d'\n"
        "names=['acme']\nbody='[a-f0-9]{32}'\nseverity='high'\n"
    )
    parsed = parse_catalogs([(rule, "catalog.toml")]).get("acme-token")
    assert parsed.keywords == ("acme",)
    value = "0123456789abcdef" * 2
    for text in (f"ACME_API_TOKEN={value}", f'"acmeSecret": "{value}"', f"acme_key: {value}"):
        match = parsed.pattern.search(text.encode())
        assert match is not None and match.group("secret").decode() == value, text
    for text in (f"ACME_REGION={value}", f"TOKEN={value}", f"ACME_TOKEN={value}ff"):
        assert parsed.pattern.search(text.encode()) is None, text


def test_catalog_reaches_the_provider_target(catalog: Catalog) -> None:
    providers = {r.provider for r in catalog.rules}
    assert len(providers) >= 150
    unreferenced = [r.id for r in catalog.rules if r.provider != "generic" and not r.reference]
    assert unreferenced == [], "every rule cites where the provider documents the format"
    assert [r.id for r in catalog.rules if not r.verify] == [], "every rule says what --verify asks"
