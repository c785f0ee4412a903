"""The ``--format json`` report: schema_version 1 of the audit output contract in DESIGN.md.

Field names are stable: new fields may be added, none renamed or removed. Only masked
fields of a finding are read; the secret itself never reaches this module's output.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from agentauth import __version__
from agentauth.model import Finding, ScanReport, Verification
from agentauth.report.rulemeta import SEVERITY_ORDER

SCHEMA_VERSION = 1

FINDING_FIELDS: tuple[str, ...] = (
    "rule_id",
    "provider",
    "kind",
    "file",
    "line",
    "column",
    "variable",
    "environment",
    "severity",
    "ci_fail",
    "capabilities",
    "redacted",
    "fingerprint",
    "why",
    "fix",
)
"""The contract's fields of a finding, in output order (``origin`` and friends follow)."""


def verification_dict(verification: Verification) -> dict[str, Any]:
    """Return a verification as JSON-ready data (its details are non-secret by contract)."""
    return {
        "status": verification.status,
        "summary": verification.summary,
        "capabilities": list(verification.capabilities),
        "severity": verification.severity.value if verification.severity else None,
        "details": _plain(verification.details),
    }


def finding_dict(finding: Finding) -> dict[str, Any]:
    """Return one finding as the contract's object: masked value, fingerprint, never the secret."""
    data: dict[str, Any] = {
        "rule_id": finding.rule_id,
        "provider": finding.provider,
        "kind": finding.kind,
        "file": finding.file,
        "line": finding.line,
        "column": finding.column,
        "variable": finding.variable,
        "environment": finding.environment.value,
        "severity": finding.severity.value,
        "ci_fail": finding.ci_fail,
        "capabilities": list(finding.capabilities),
        "redacted": finding.redacted,
        "fingerprint": finding.fingerprint,
        "why": finding.why,
        "fix": finding.fix,
        "origin": finding.origin.value,
    }
    if finding.context is not None:
        data["context"] = finding.context
    if finding.verification is not None:
        data["verification"] = verification_dict(finding.verification)
    return data


def summary_dict(report: ScanReport) -> dict[str, Any]:
    """Return the summary block: counts per severity (non-zero only) and the CI verdict."""
    by_severity: dict[str, int] = {}
    for severity in SEVERITY_ORDER:
        count = sum(1 for f in report.findings if f.severity is severity)
        if count:
            by_severity[severity.value] = count
    return {
        "files_scanned": report.files_scanned,
        "findings": len(report.findings),
        "by_severity": by_severity,
        "ci_fail": any(f.ci_fail for f in report.findings),
        "skipped": len(report.skipped),
        "suppressed": report.suppressed,
    }


def report_dict(report: ScanReport) -> dict[str, Any]:
    """Return the whole report as JSON-ready data; findings keep the scan's order."""
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "agentauth", "version": __version__},
        "root": report.root,
        "findings": [finding_dict(f) for f in report.findings],
        "summary": summary_dict(report),
        "skipped": [{"path": s.path, "reason": s.reason} for s in report.skipped],
        "notes": list(report.notes),
    }


def render(report: ScanReport) -> str:
    """Return the report as indented JSON text ending in a newline."""
    return json.dumps(report_dict(report), indent=2, ensure_ascii=False) + "\n"


def _plain(value: Any) -> Any:
    """Turn mappings, sequences and scalars into JSON types; anything else becomes its str."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
