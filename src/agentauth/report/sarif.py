"""The ``--format sarif`` report: SARIF 2.1.0 that GitHub code scanning accepts.

One result per finding with a file location. The message holds the masked value and why
it matters, never the secret or the line around it (no ``region.snippet``). Findings read
from the process environment, or from a file outside the scanned tree, have no location
GitHub can show; they are left out and counted in a tool notification instead.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from agentauth import __version__
from agentauth.model import Finding, Origin, ScanReport, Severity
from agentauth.report.rulemeta import RuleInfo, finding_sort_key

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/agentauth/"
FINGERPRINT_KEY = "agentauth/v1"

_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# GitHub buckets security-severity: >= 9 critical, 7-8.9 high, 4-6.9 medium, below low.
_SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "1.0",
}
_MAX_TEXT = 1000  # GitHub rejects descriptions over 1024 characters.


@dataclass(frozen=True)
class _SyntheticRule:
    """A rule descriptor built from a finding whose rule is not in the catalog given."""

    id: str
    provider: str
    kind: str
    description: str
    severity: Severity
    why: str
    fix: str


def level(severity: Severity) -> str:
    """Return the SARIF level of a severity (error, warning or note)."""
    return _LEVEL[severity]


def security_severity(severity: Severity) -> str:
    """Return GitHub's ``security-severity`` score for a severity, as the string it expects."""
    return _SECURITY_SEVERITY[severity]


def render(
    report: ScanReport, *, rules: Sequence[RuleInfo] | None = None, uri_prefix: str = ""
) -> str:
    """Return the SARIF log as JSON text ending in a newline."""
    return json.dumps(sarif_log(report, rules=rules, uri_prefix=uri_prefix), indent=2) + "\n"


def sarif_log(
    report: ScanReport, *, rules: Sequence[RuleInfo] | None = None, uri_prefix: str = ""
) -> dict[str, Any]:
    """Build the SARIF log object.

    ``rules`` defaults to the whole catalog of :mod:`agentauth.engine.rules`, so code scanning
    knows every rule (and can close alerts of rules that stop matching); rules of findings
    missing from it are added from the findings themselves. ``uri_prefix`` is prepended to
    root-relative paths so that URIs are relative to the repository root.
    """
    catalog = list(rules) if rules is not None else _load_catalog_rules()
    known = {rule.id for rule in catalog}
    prefix = _normal_prefix(uri_prefix)
    located: list[tuple[Finding, str]] = []
    left_out = 0
    for finding in sorted(report.findings, key=finding_sort_key):
        uri = _artifact_uri(finding, prefix)
        if uri is None:
            left_out += 1
            continue
        located.append((finding, uri))
        if finding.rule_id not in known:
            catalog.append(_synthetic(finding))
            known.add(finding.rule_id)
    index = {rule.id: i for i, rule in enumerate(catalog)}

    results: list[dict[str, Any]] = []
    occurrences: dict[tuple[str, str], int] = {}
    for finding, uri in located:
        key = (finding.fingerprint, uri)
        occurrences[key] = occurrences.get(key, 0) + 1
        results.append(_result(finding, uri, index[finding.rule_id], occurrences[key]))

    invocation: dict[str, Any] = {"executionSuccessful": True}
    if left_out:
        invocation["toolExecutionNotifications"] = [
            {
                "level": "note",
                "message": {
                    "text": (
                        f"{left_out} finding(s) from the process environment or from files "
                        "outside the scanned tree have no repository location and are not "
                        "listed here; run `agentauth audit --format json` to see them."
                    )
                },
            }
        ]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "agentauth",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [_descriptor(rule) for rule in catalog],
            }
        },
        "invocations": [invocation],
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def _load_catalog_rules() -> list[RuleInfo]:
    from agentauth.engine.rules import load_catalog

    return list(load_catalog().rules)


def _synthetic(finding: Finding) -> _SyntheticRule:
    return _SyntheticRule(
        id=finding.rule_id,
        provider=finding.provider,
        kind=finding.kind,
        description=f"{finding.provider} {finding.kind}".strip(),
        severity=finding.severity,
        why=finding.why,
        fix=finding.fix,
    )


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1] + "…"


def _rule_name(rule_id: str) -> str:
    """``stripe-secret-key`` -> ``StripeSecretKey`` (SARIF's readable rule name)."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", rule_id))


def _descriptor(rule: RuleInfo) -> dict[str, Any]:
    severity = rule.severity
    short = _clip(rule.description) or rule.id
    full = _clip(f"{rule.description}. {rule.why}" if rule.why else rule.description) or short
    help_text = _clip(f"{rule.why} Fix: {rule.fix}" if rule.fix else rule.why) or short
    help_markdown = f"**Why:** {rule.why}\n\n**Fix:** {rule.fix}" if rule.fix else rule.why
    tags = ["security", "secret"]
    if rule.provider and rule.provider not in tags:
        tags.append(rule.provider)
    return {
        "id": rule.id,
        "name": _rule_name(rule.id),
        "shortDescription": {"text": short},
        "fullDescription": {"text": full},
        "help": {"text": help_text, "markdown": help_markdown or help_text},
        "defaultConfiguration": {"level": level(severity)},
        "properties": {
            "tags": tags,
            "precision": "high",
            "security-severity": security_severity(severity),
            "provider": rule.provider,
            "kind": rule.kind,
        },
    }


def _normal_prefix(prefix: str) -> str:
    prefix = prefix.replace("\\", "/").strip("/")
    if prefix in {"", "."}:
        return ""
    return prefix + "/"


def _artifact_uri(finding: Finding, prefix: str) -> str | None:
    """Return the repository-relative URI of a finding, or None when it has no file there."""
    if finding.origin is Origin.ENVIRON or finding.line < 1:
        return None
    path = finding.file.replace("\\", "/")
    if not path or path.startswith(("<", "/", "~")) or re.match(r"^[A-Za-z]:/", path):
        return None
    path = posixpath.normpath(prefix + path)
    if path == ".." or path.startswith("../"):
        return None
    # NOTE: percent-encode the path's bytes: a file name that is not UTF-8 (kept by
    # os.fsdecode as surrogates) stays lossless and the URI stays valid.
    return quote(path.encode("utf-8", "surrogateescape"), safe="/")


def _line_hash(finding: Finding, uri: str, occurrence: int) -> str:
    """GitHub's ``primaryLocationLineHash``, derived from the fingerprint (never the line)."""
    digest = hashlib.sha256(f"{finding.fingerprint}\0{uri}".encode()).hexdigest()[:16]
    return f"{digest}:{occurrence}"


def _message(finding: Finding) -> str:
    where = f" in {finding.variable}" if finding.variable else ""
    env = f" ({finding.environment.value})" if finding.environment.value != "unknown" else ""
    context = f" [{finding.context}]" if finding.context else ""
    return _clip(f"{finding.redacted}{where}{env}{context}: {finding.why}")


def _result(finding: Finding, uri: str, rule_index: int, occurrence: int) -> dict[str, Any]:
    region: dict[str, Any] = {"startLine": finding.line, "startColumn": max(finding.column, 1)}
    properties: dict[str, Any] = {
        "severity": finding.severity.value,
        "environment": finding.environment.value,
        "capabilities": list(finding.capabilities),
        "ci_fail": finding.ci_fail,
        "redacted": finding.redacted,
        "fix": finding.fix,
    }
    if finding.variable:
        properties["variable"] = finding.variable
    if finding.verification is not None:
        properties["verification"] = finding.verification.status
    if "commit" in finding.extra:
        properties["commit"] = finding.extra["commit"]
        properties["commit_date"] = finding.extra.get("commit_date", "")
        properties["in_tree"] = finding.extra.get("in_tree") == "true"
    return {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": level(finding.severity),
        "message": {"text": _message(finding)},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": uri},
                    "region": region,
                }
            }
        ],
        "partialFingerprints": {
            FINGERPRINT_KEY: finding.fingerprint,
            "primaryLocationLineHash": _line_hash(finding, uri, occurrence),
        },
        "properties": properties,
    }
