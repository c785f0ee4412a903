"""The ``--format json`` report: schema_version 1 of the audit output contract in DESIGN.md.

Field names are stable: new fields may be added, none renamed or removed. Only masked
fields of a finding are read; the secret itself never reaches this module's output.
"""

from __future__ import annotations

import base64
import json
import re
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
"""The contract's fields of a finding, in output order (``origin`` and friends follow).

``file`` is valid Unicode; a file name that is not UTF-8 has its bytes escaped there
(``\\xNN``) and also given losslessly in the optional ``file_bytes`` (base64).
"""


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
        "file": text(finding.file),
        "line": finding.line,
        "column": finding.column,
        "variable": text(finding.variable) if finding.variable else finding.variable,
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
    raw = raw_path(finding.file)
    if raw is not None:
        data["file_bytes"] = raw
    if finding.context is not None:
        data["context"] = text(finding.context)
    if finding.verification is not None:
        data["verification"] = verification_dict(finding.verification)
    if "commit" in finding.extra:  # audit --history, check --range
        data["commit"] = finding.extra["commit"]
        data["commit_date"] = finding.extra.get("commit_date", "")
        data["in_tree"] = finding.extra.get("in_tree") == "true"
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
        "skipped": [_skip(s.path, s.reason) for s in report.skipped],
        "notes": [text(n) for n in report.notes],
    }


def text(value: str) -> str:
    """``value`` as valid Unicode: a byte that was not UTF-8 in a file name becomes ``\\xNN``.

    ``os.fsdecode`` keeps such bytes as lone surrogates, which no UTF-8 output can hold.
    """
    if not _SURROGATE.search(value):
        return value
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def raw_path(path: str) -> str | None:
    """The path's bytes in base64 when ``text`` had to escape it (lossless), else None."""
    if not _SURROGATE.search(path):
        return None
    return base64.b64encode(path.encode("utf-8", "surrogateescape")).decode("ascii")


def _skip(path: str, reason: str) -> dict[str, str]:
    entry = {"path": text(path), "reason": text(reason)}
    raw = raw_path(path)
    if raw is not None:
        entry["path_bytes"] = raw
    return entry


_SURROGATE = re.compile("[\ud800-\udfff]")


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
