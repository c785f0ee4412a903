"""SARIF output validates against the SARIF 2.1.0 schema and carries what GitHub needs."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from agentauth import __version__
from agentauth.model import Origin, ScanReport, Severity
from agentauth.report import Format, render
from agentauth.report.sarif import FINGERPRINT_KEY, level, sarif_log, security_severity

SCHEMA = json.loads((Path(__file__).parent / "sarif-schema-2.1.0.json").read_text())


def validate(log: dict[str, Any]) -> None:
    """Validate a SARIF log against the OASIS schema (formats included)."""
    jsonschema.Draft7Validator(
        SCHEMA, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    ).validate(log)


def _log(sample: Any, **kwargs: Any) -> dict[str, Any]:
    text = render(sample.report, Format.SARIF, rules=sample.rules, **kwargs)
    log = json.loads(text)
    assert isinstance(log, dict)
    return log


def test_schema_rejects_a_broken_log(sample: Any) -> None:
    """The validator can fail: a result without a message is not SARIF."""
    log = _log(sample)
    del log["runs"][0]["results"][0]["message"]
    with pytest.raises(jsonschema.ValidationError):
        validate(log)
    log = _log(sample)
    log["runs"][0]["results"][0]["level"] = "critical"
    with pytest.raises(jsonschema.ValidationError):
        validate(log)


def test_sample_validates(sample: Any) -> None:
    validate(_log(sample))


def test_empty_report_validates() -> None:
    log = sarif_log(ScanReport(root=".", findings=(), files_scanned=0), rules=())
    validate(log)
    assert log["runs"][0]["results"] == []


def test_github_required_fields(sample: Any) -> None:
    log = _log(sample)
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "agentauth"
    assert driver["version"] == __version__
    assert driver["informationUri"].startswith("https://")
    for rule in driver["rules"]:
        assert rule["id"]
        assert rule["name"] and " " not in rule["name"]
        for key in ("shortDescription", "fullDescription", "help"):
            assert rule[key]["text"].strip()
            assert len(rule[key]["text"]) <= 1024
        assert rule["help"]["markdown"].strip()
        assert rule["defaultConfiguration"]["level"] in {"error", "warning", "note"}
        assert rule["properties"]["tags"][:2] == ["security", "secret"]
        score = float(rule["properties"]["security-severity"])
        assert 0.1 <= score <= 10.0


def test_rules_come_from_the_catalog(sample: Any) -> None:
    driver = _log(sample)["runs"][0]["tool"]["driver"]
    ids = [r["id"] for r in driver["rules"]]
    # every catalog rule (even one without findings), plus rules only seen in findings
    assert ids[: len(sample.rules)] == [r.id for r in sample.rules]
    assert "unused-rule" in ids
    assert "openai-api-key" not in ids  # only an environ finding: not in SARIF
    stripe = driver["rules"][0]
    assert stripe["shortDescription"]["text"] == "Stripe secret key"
    assert stripe["name"] == "StripeSecretKey"
    assert stripe["properties"]["security-severity"] == "9.5"
    assert stripe["defaultConfiguration"]["level"] == "error"


def test_results_point_at_their_rules_and_locations(sample: Any) -> None:
    run = _log(sample)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    file_findings = [f for f in sample.report.findings if f.origin is not Origin.ENVIRON]
    assert len(run["results"]) == len(file_findings)
    by_print = {(f.fingerprint, f.file): f for f in file_findings}
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        location = result["locations"][0]["physicalLocation"]
        uri = location["artifactLocation"]["uri"]
        finding = by_print[(result["partialFingerprints"][FINGERPRINT_KEY], uri)]
        assert location["region"]["startLine"] == finding.line
        assert location["region"]["startColumn"] == finding.column
        assert result["level"] == level(finding.severity)
        assert finding.redacted in result["message"]["text"]
        assert finding.why in result["message"]["text"]
        assert "snippet" not in location["region"]


def test_environment_findings_are_left_out_and_said_so(sample: Any) -> None:
    run = _log(sample)["runs"][0]
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert "1 finding(s) from the process environment" in notes[0]["message"]["text"]
    assert all(r["ruleId"] != "openai-api-key" for r in run["results"])


def test_files_outside_the_tree_are_left_out(sample: Any) -> None:
    outside = replace(sample.report.findings[0], file="../../home/.cursor/mcp.json")
    absolute = replace(sample.report.findings[0], file="/home/dev/.claude.json")
    report = replace(sample.report, findings=(outside, absolute))
    log = sarif_log(report, rules=sample.rules)
    validate(log)
    assert log["runs"][0]["results"] == []


def test_uri_prefix_makes_paths_repository_relative(sample: Any) -> None:
    log = _log(sample, uri_prefix="services/shop/")
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in log["runs"][0]["results"]
    }
    assert uris == {
        "services/shop/.env",
        "services/shop/config/prod.env",
        "services/shop/.mcp.json",
    }


def test_odd_file_names_are_valid_uris(sample: Any) -> None:
    odd = replace(sample.report.findings[0], file="my configs/set[1]%.env")
    log = sarif_log(replace(sample.report, findings=(odd,)), rules=sample.rules)
    validate(log)
    uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"][
        "uri"
    ]
    assert uri == "my%20configs/set%5B1%5D%25.env"


def test_fingerprints_do_not_depend_on_the_line(sample: Any) -> None:
    first = sample.report.findings[0]
    moved = replace(first, line=first.line + 40, column=1)
    a = sarif_log(replace(sample.report, findings=(first,)), rules=sample.rules)
    b = sarif_log(replace(sample.report, findings=(moved,)), rules=sample.rules)
    assert (
        a["runs"][0]["results"][0]["partialFingerprints"]
        == b["runs"][0]["results"][0]["partialFingerprints"]
    )
    prints = a["runs"][0]["results"][0]["partialFingerprints"]
    assert prints[FINGERPRINT_KEY] == first.fingerprint
    assert prints["primaryLocationLineHash"].endswith(":1")


def test_same_secret_twice_in_a_file_gets_distinct_line_hashes(sample: Any) -> None:
    first = sample.report.findings[0]
    again = replace(first, line=first.line + 10)
    log = sarif_log(replace(sample.report, findings=(first, again)), rules=sample.rules)
    hashes = [
        r["partialFingerprints"]["primaryLocationLineHash"] for r in log["runs"][0]["results"]
    ]
    assert len(set(hashes)) == 2


@pytest.mark.parametrize(
    ("severity", "expected_level", "bucket"),
    [
        (Severity.CRITICAL, "error", "critical"),
        (Severity.HIGH, "error", "high"),
        (Severity.MEDIUM, "warning", "medium"),
        (Severity.LOW, "note", "low"),
        (Severity.INFO, "note", "low"),
    ],
)
def test_severity_mapping(severity: Severity, expected_level: str, bucket: str) -> None:
    assert level(severity) == expected_level
    score = float(security_severity(severity))
    github_bucket = (
        "critical" if score >= 9 else "high" if score >= 7 else "medium" if score >= 4 else "low"
    )
    assert github_bucket == bucket


def test_no_secret_in_sarif(sample: Any, no_leak: Callable[[str, tuple[str, ...]], None]) -> None:
    no_leak(render(sample.report, Format.SARIF, rules=sample.rules), sample.values)
