"""The JSON report matches the schema_version 1 contract of DESIGN.md field by field."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from agentauth import __version__
from agentauth.model import ScanReport
from agentauth.report import Format, render
from agentauth.report.json import FINDING_FIELDS

CONTRACT_FIELDS = {
    "rule_id": str,
    "provider": str,
    "kind": str,
    "file": str,
    "line": int,
    "column": int,
    "variable": (str, type(None)),
    "environment": str,
    "severity": str,
    "ci_fail": bool,
    "capabilities": list,
    "redacted": str,
    "fingerprint": str,
    "why": str,
    "fix": str,
}
ALLOWED_ADDITIONS = {"origin", "context", "verification"}


def _load(report: ScanReport) -> dict[str, Any]:
    data = json.loads(render(report, Format.JSON))
    assert isinstance(data, dict)
    return data


def test_top_level_shape(sample: Any) -> None:
    data = _load(sample.report)
    assert data["schema_version"] == 1
    assert data["tool"] == {"name": "agentauth", "version": __version__}
    assert data["root"] == "."
    assert isinstance(data["findings"], list)
    assert set(data) >= {"schema_version", "tool", "root", "findings", "summary"}


def test_every_finding_has_exactly_the_contract_fields(sample: Any) -> None:
    data = _load(sample.report)
    assert tuple(CONTRACT_FIELDS) == FINDING_FIELDS
    assert len(data["findings"]) == len(sample.report.findings)
    for item in data["findings"]:
        for name, kind in CONTRACT_FIELDS.items():
            assert name in item, name
            assert isinstance(item[name], kind), (name, item[name])
        assert set(item) - set(CONTRACT_FIELDS) <= ALLOWED_ADDITIONS
        assert item["environment"] in {"live", "test", "dev", "unknown"}
        assert item["severity"] in {"critical", "high", "medium", "low", "info"}


def test_values_are_taken_from_the_findings(sample: Any) -> None:
    data = _load(sample.report)
    by_key = {(f.file, f.line, f.variable): f for f in sample.report.findings}
    for item in data["findings"]:
        finding = by_key[(item["file"], item["line"], item["variable"])]
        assert item["rule_id"] == finding.rule_id
        assert item["provider"] == finding.provider
        assert item["kind"] == finding.kind
        assert item["column"] == finding.column
        assert item["environment"] == finding.environment.value
        assert item["severity"] == finding.severity.value
        assert item["ci_fail"] is finding.ci_fail
        assert item["capabilities"] == list(finding.capabilities)
        assert item["redacted"] == finding.redacted
        assert item["fingerprint"] == finding.fingerprint
        assert item["why"] == finding.why
        assert item["fix"] == finding.fix
        assert item["origin"] == finding.origin.value


def test_optional_fields_only_when_present(sample: Any) -> None:
    data = _load(sample.report)
    with_verification = [i for i in data["findings"] if "verification" in i]
    assert len(with_verification) == 1
    verification = with_verification[0]["verification"]
    assert verification["status"] == "valid"
    assert verification["summary"] == "owner of 12 tables"
    assert verification["capabilities"] == ["admin-database"]
    assert verification["severity"] == "critical"
    assert verification["details"]["tables"] == 12
    assert verification["details"]["secret"] == "***"  # a Secret in details stays masked
    mcp = [i for i in data["findings"] if i["origin"] == "mcp"]
    assert mcp and mcp[0]["context"] == "MCP server 'github'"
    assert all("context" not in i for i in data["findings"] if i["origin"] == "file")


def test_summary_counts(sample: Any) -> None:
    summary = _load(sample.report)["summary"]
    assert summary["files_scanned"] == 12
    assert summary["findings"] == 7
    assert summary["by_severity"] == {"critical": 2, "high": 2, "medium": 1, "low": 1, "info": 1}
    assert list(summary["by_severity"]) == ["critical", "high", "medium", "low", "info"]
    assert summary["ci_fail"] is True
    assert summary["skipped"] == 2
    assert summary["suppressed"] == 1


def test_summary_of_a_clean_report() -> None:
    data = json.loads(render(ScanReport(root="src", findings=(), files_scanned=3), Format.JSON))
    assert data["findings"] == []
    assert data["summary"] == {
        "files_scanned": 3,
        "findings": 0,
        "by_severity": {},
        "ci_fail": False,
        "skipped": 0,
        "suppressed": 0,
    }


def test_ci_fail_false_when_only_test_keys(sample: Any) -> None:
    from dataclasses import replace

    safe = replace(
        sample.report, findings=tuple(f for f in sample.report.findings if not f.ci_fail)
    )
    assert _load(safe)["summary"]["ci_fail"] is False


def test_no_secret_in_json(sample: Any, no_leak: Callable[[str, tuple[str, ...]], None]) -> None:
    no_leak(render(sample.report, Format.JSON), sample.values)


def test_output_is_deterministic(sample: Any) -> None:
    assert render(sample.report, Format.JSON) == render(sample.report, Format.JSON)
