"""The detector: positions, variable names, multi-line credentials, ignore markers, engines."""

from __future__ import annotations

import random

import pytest

from agentauth.engine.detect import (
    ENGINES,
    Detector,
    build_prefilter,
    detect_text,
    detect_value,
    scan_text,
)
from agentauth.engine.rules import Catalog
from agentauth.engine.rules.samples import expand, github_token, pem

RNG = random.Random(7)
STRIPE = expand("sk_live_@@b62:32@@", "detect-stripe")
GHP = github_token(RNG)
AWS_ID = expand("AKIA@@b32:16@@", "detect-aws")
AWS_SECRET = expand("@@b64:40@@", "detect-aws-secret")


def _available(engine: str) -> bool:
    try:
        build_prefilter(["x"], engine)
    except ImportError:
        return False
    return True


ENGINES_HERE = [e for e in ENGINES if _available(e)]


def test_line_and_column_are_one_based_in_characters(catalog: Catalog) -> None:
    text = f"# héllo wörld\n\n  ümlaut = '{STRIPE}'\nX={GHP}"
    found = detect_text(text, catalog)
    assert [(c.rule_id, c.line, c.column) for c in found] == [
        ("stripe-secret-key", 3, 13),
        ("github-pat-classic", 4, 3),
    ]
    lines = text.split("\n")
    assert lines[2][12:].startswith(STRIPE)


@pytest.mark.parametrize(
    ("line", "variable"),
    [
        ("STRIPE_SECRET_KEY={v}", "STRIPE_SECRET_KEY"),
        ("export STRIPE_SECRET_KEY={v}", "STRIPE_SECRET_KEY"),
        ('STRIPE_SECRET_KEY="{v}"', "STRIPE_SECRET_KEY"),
        ('  "stripeKey": "{v}",', "stripeKey"),
        ("stripe_key: {v}", "stripe_key"),
        ("stripe_key = '{v}'", "stripe_key"),
        ('STRIPE_KEY: str = "{v}"', "STRIPE_KEY"),
        ('key := "{v}"', "key"),
        ('const k = process.env.STRIPE_KEY || "{v}";', "STRIPE_KEY"),
        ('key = os.getenv("STRIPE_KEY", "{v}")', "STRIPE_KEY"),
        ('config["stripe_key"] = "{v}"', "stripe_key"),
        ("  - STRIPE_KEY={v}", "STRIPE_KEY"),
        ("<stripeKey>{v}</stripeKey>", "stripeKey"),
        ("curl -H 'Authorization: Bearer {v}'", None),
        ("{v}", None),
    ],
)
def test_variable_is_the_assigned_name(catalog: Catalog, line: str, variable: str | None) -> None:
    (found,) = detect_text(line.format(v=STRIPE), catalog)
    assert found.variable == variable


def test_multiline_pem_block_is_one_candidate(catalog: Catalog) -> None:
    block = pem(random.Random(1), "RSA")
    text = f"first line\n{block}\nlast line\n"
    (found,) = detect_text(text, catalog)
    assert found.rule_id == "private-key"
    assert found.secret.reveal() == block
    assert (found.line, found.column) == (2, 1)


def test_service_account_json_gives_one_gcp_finding(catalog: Catalog) -> None:
    text = expand(catalog.get("gcp-service-account").positives[0], "sa")
    (found,) = detect_text(text, catalog)
    assert found.rule_id == "gcp-service-account"
    assert found.line == 5 and found.variable == "private_key"
    assert found.extra == {
        "project_id": "acme-prod",
        "client_email": "ci@acme-prod.iam.gserviceaccount.com",
    }


def test_specific_rule_wins_over_generic_on_the_same_value(catalog: Catalog) -> None:
    found = detect_text(f"AWS_SECRET_ACCESS_KEY={AWS_SECRET}\nAPI_TOKEN={STRIPE}\n", catalog)
    assert [c.rule_id for c in found] == ["aws-secret-access-key", "stripe-secret-key"]


def test_every_occurrence_is_reported(catalog: Catalog) -> None:
    text = f"A={STRIPE}\nB={STRIPE} C={STRIPE}\n"
    assert [(c.line, c.column) for c in detect_text(text, catalog)] == [(1, 3), (2, 3), (2, 46)]


@pytest.mark.parametrize(
    "marker",
    ["# agentauth:ignore", "// gitleaks:allow", "# pragma: allowlist secret"],
)
def test_inline_marker_suppresses_and_scan_text_returns_it_apart(
    catalog: Catalog, marker: str
) -> None:
    text = f"A={STRIPE} {marker}\nB={GHP}\n"
    scan = scan_text(text, catalog)
    assert [c.rule_id for c in scan.candidates] == ["github-pat-classic"]
    assert [c.line for c in scan.suppressed] == [1]
    assert len(detect_text(text, catalog)) == 2
    assert len(detect_text(text, catalog, honour_ignore_comments=True)) == 1
    loud = scan_text(text, catalog, honour_ignore_comments=False)
    assert len(loud.candidates) == 2 and loud.suppressed == ()


def test_next_line_marker_covers_a_pem_block(catalog: Catalog) -> None:
    block = pem(random.Random(2), "EC")
    text = f"# agentauth:ignore-next-line\n{block}\nX={GHP}\n"
    scan = scan_text(text, catalog)
    assert [c.rule_id for c in scan.suppressed] == ["private-key"]
    assert [c.rule_id for c in scan.candidates] == ["github-pat-classic"]


def test_detect_value_uses_the_name(catalog: Catalog) -> None:
    (found,) = detect_value("AWS_SECRET_ACCESS_KEY", AWS_SECRET, catalog)
    assert (found.rule_id, found.line, found.column) == ("aws-secret-access-key", 0, 0)
    assert found.variable == "AWS_SECRET_ACCESS_KEY"
    assert detect_value("UNRELATED", AWS_SECRET, catalog) == []
    (generic,) = detect_value("SERVICE_TOKEN", "Zx8Qp2Lm9Vb4Nc7Kd1Rf", catalog)
    assert generic.rule_id == "generic-secret" and generic.variable == "SERVICE_TOKEN"
    (url,) = detect_value("X", "postgres://a:Zx8Qp2Lm9Vb4@db.example.net/x", catalog)
    assert url.rule_id == "postgres-url"


def test_detect_value_ignores_a_match_in_the_name_only(catalog: Catalog) -> None:
    assert detect_value(f"K_{AWS_ID}", "plain", catalog) == []


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\x00" * 100,
        "\ufeff" + "A=1\r\n",
        "\ud800 lone surrogate sk_live_",
        "é" * 1000 + "token=",
        "-----BEGIN RSA PRIVATE KEY-----\n" + "A" * 10,
        "x" * 200_000,
        "password=" + "a" * 300,
    ],
)
def test_awkward_text_does_not_raise(catalog: Catalog, text: str) -> None:
    assert isinstance(detect_text(text, catalog), list)


def test_crlf_and_bom_keep_positions(catalog: Catalog) -> None:
    text = f"\ufeffA=1\r\nKEY={STRIPE}\r\n"
    (found,) = detect_text(text, catalog)
    assert (found.line, found.column) == (2, 5)
    assert found.secret.reveal() == STRIPE


@pytest.mark.parametrize("engine", ENGINES_HERE)
def test_every_prefilter_engine_gives_the_same_hits(engine: str) -> None:
    keywords = ["token", "tok", "ghp_", "sk_live_", "key-", "api_key", "ke"]
    text = b"TOKEN tok api_key-ghp_ sK_LiVe_ keY- token" * 3
    hits = sorted(build_prefilter(keywords, engine).hits(text))
    expected = sorted(
        (start + len(k), i)
        for i, k in enumerate(keywords)
        for start in range(len(text))
        if text.lower().startswith(k.encode(), start)
    )
    assert hits == expected


def test_engines_agree_on_a_mixed_corpus(catalog: Catalog) -> None:
    if len(ENGINES_HERE) < 2:
        pytest.skip("only one prefilter engine installed")
    parts = []
    for rule in catalog.rules:
        for i, example in enumerate(rule.positives + rule.negatives):
            parts.append(expand(example, f"{rule.id}:{i}"))
    corpus = "\n# filler line with token and secret words\n".join(parts)
    results = {
        engine: [
            (c.rule_id, c.line, c.column, c.secret.reveal(), c.variable)
            for c in Detector(catalog, engine=engine).scan(corpus).candidates
        ]
        for engine in ENGINES_HERE
    }
    reference = results[ENGINES_HERE[0]]
    assert len(reference) > 80
    for engine, result in results.items():
        assert result == reference, engine


def test_unknown_engine_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown prefilter engine"):
        build_prefilter(["x"], "grep")
