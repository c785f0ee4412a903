"""The human report: blast radius, then findings grouped by file, then counts and the next step.

Printed through an injected rich Console, so the CLI decides about colour and width and the
tests can capture it. Cells are built as ``Text`` objects: a file name or a variable is
never interpreted as markup.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from agentauth.model import Environment, Finding, Origin, ScanReport, Severity
from agentauth.report.rulemeta import (
    SEVERITY_ORDER,
    capability_phrase,
    capability_rank,
    finding_sort_key,
)

SEVERITY_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


IMPLIED: dict[str, frozenset[str]] = {
    "cloud-admin": frozenset({"delete-cloud-resources", "write-cloud-data", "read-cloud-data"}),
    "write-cloud-data": frozenset({"read-cloud-data"}),
    "admin-database": frozenset({"read-production-data"}),
    "write-production-data": frozenset({"read-production-data"}),
    "admin-repository": frozenset({"push-code", "read-code"}),
    "push-code": frozenset({"read-code"}),
}
"""Capabilities a stronger one already covers; the headline names only the stronger one."""

WIDE_TABLE_MIN = 140
"""Below this console width each finding is printed as a block instead of a table row."""

_PAIRED_KINDS = frozenset({"access-key-id", "secret-access-key"})
"""Two halves of one credential (an AWS key id and its secret) count once in the headline."""


@dataclass(frozen=True)
class Options:
    """How much of the report to print.

    ``quiet`` keeps only the findings; ``verbose`` lists skipped files; ``has_policy``
    (an agentauth.yaml exists) changes the suggested next step; ``next_step`` replaces it.
    """

    verbose: bool = False
    quiet: bool = False
    has_policy: bool = False
    next_step: str | None = None


def blast_radius(findings: Iterable[Finding]) -> list[tuple[str, int]]:
    """Return (capability, number of distinct credentials) for live or unknown findings.

    Test-mode keys and local dev services are left out: they cannot touch production, and
    counting them would make the headline cry wolf. A capability implied by a stronger one
    of the same credential (read code, given push code) is not repeated.
    """
    holders: dict[str, set[str]] = {}
    for finding in findings:
        if finding.environment in (Environment.TEST, Environment.DEV):
            continue
        capabilities = set(finding.capabilities)
        if finding.verification is not None:
            capabilities.update(finding.verification.capabilities)
        for strong in list(capabilities):
            capabilities -= IMPLIED.get(strong, frozenset())
        key = (
            f"pair:{finding.provider}:{finding.origin.value}:{finding.file}"
            if finding.kind in _PAIRED_KINDS
            else finding.fingerprint
        )
        for capability in capabilities:
            holders.setdefault(capability, set()).add(key)
    ranked = sorted(holders.items(), key=lambda item: (capability_rank(item[0]), item[0]))
    return [(capability, len(prints)) for capability, prints in ranked]


_SANDBOX = (Environment.TEST, Environment.DEV)


def headline(report: ScanReport) -> Text:
    """Return the one-sentence blast radius: what an agent started here could do."""
    where = "here" if report.root in {"", "."} else f"in {report.root}"
    radius = blast_radius(report.findings)
    text = Text()
    if not report.findings:
        text.append(f"No credentials found that an agent started {where} could use.", "green")
        return text
    if not radius:
        others = [f for f in report.findings if f.environment not in _SANDBOX]
        text.append(f"An agent started {where} can reach ")
        if not others:
            text.append(_plural(len(report.findings), "test-mode or local-dev credential"), "bold")
            text.append(" only (sandboxes and services on this machine).")
            return text
        text.append(f"{_plural(len(others), 'credential')}", "bold")
        text.append(", none of them with known production powers.")
        return text
    text.append(f"An agent started {where} can: ", "bold")
    for i, (capability, count) in enumerate(radius):
        if i:
            text.append(", ")
        text.append(capability_phrase(capability), "bold red" if i < 3 else "bold")
        text.append(f" ({count})")
    text.append(".")
    return text


def _sandbox_line(report: ScanReport) -> Text | None:
    sandbox = {f.fingerprint for f in report.findings if f.environment in _SANDBOX}
    if not sandbox or len(sandbox) == len({f.fingerprint for f in report.findings}):
        return None  # the headline already says it is all sandboxes
    return Text(
        f"Also reachable: {_plural(len(sandbox), 'test-mode or local-dev credential')} "
        "(sandboxes and services on this machine).",
        "dim",
    )


def _group_title(finding: Finding) -> str:
    if finding.origin is Origin.ENVIRON:
        return "process environment (--environ)"
    if finding.origin is Origin.MCP:
        return f"{finding.file} (MCP config)"
    return finding.file


def _groups(findings: Sequence[Finding]) -> list[tuple[str, list[Finding]]]:
    groups: dict[str, list[Finding]] = {}
    for finding in sorted(findings, key=finding_sort_key):
        groups.setdefault(_group_title(finding), []).append(finding)
    return list(groups.items())


def _why_cell(finding: Finding) -> Text:
    text = Text(finding.why)
    verification = finding.verification
    if verification is not None:
        style = {"valid": "bold red", "invalid": "green"}.get(verification.status, "dim")
        text.append("\nverified: ", "dim")
        text.append(verification.status, style)
        if verification.summary:
            text.append(f" — {verification.summary}")
    return text


def _findings_rows(findings: Sequence[Finding]) -> Table:
    """Narrow layout: one block per finding, the reason wrapped under its first line."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True)
    grid.add_column(ratio=1, overflow="fold")
    for index, finding in enumerate(findings):
        if index:
            grid.add_row("", "")
        body = Text()
        body.append("line -" if finding.line < 1 else f"line {finding.line}", "dim")
        body.append("  ")
        body.append(finding.variable or "-", "bold")
        body.append("  ")
        body.append(finding.redacted)
        body.append("  ")
        body.append(
            finding.environment.value,
            "bold" if finding.environment is Environment.LIVE else "dim",
        )
        body.append(f"  {finding.rule_id}", "dim")
        if finding.context:
            body.append(f"\n{finding.context}", "dim")
        body.append("\n")
        body.append_text(_why_cell(finding))
        grid.add_row(Text(finding.severity.value, SEVERITY_STYLE[finding.severity]), body)
    return grid


def _findings_table(findings: Sequence[Finding]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=True)
    table.add_column("Severity", no_wrap=True)
    table.add_column("Line", justify="right", no_wrap=True)
    table.add_column("Rule", no_wrap=True)
    table.add_column("Variable", overflow="fold", max_width=28)
    table.add_column("Value", overflow="fold", max_width=32)
    table.add_column("Env", no_wrap=True)
    table.add_column("Why", overflow="fold", ratio=1, min_width=30)
    for finding in findings:
        variable = Text(finding.variable or "-")
        if finding.context:
            variable.append(f"\n{finding.context}", "dim")
        line = "-" if finding.line < 1 else str(finding.line)
        env_style = "bold" if finding.environment is Environment.LIVE else "dim"
        table.add_row(
            Text(finding.severity.value, SEVERITY_STYLE[finding.severity]),
            Text(line),
            Text(finding.rule_id),
            variable,
            Text(finding.redacted),
            Text(finding.environment.value, env_style),
            _why_cell(finding),
        )
    return table


def _counts(report: ScanReport) -> Text:
    parts = []
    for severity in SEVERITY_ORDER:
        count = sum(1 for f in report.findings if f.severity is severity)
        if count:
            parts.append(f"{count} {severity.value}")
    detail = f" ({', '.join(parts)})" if parts else ""
    text = Text(f"{_plural(len(report.findings), 'finding')}{detail}", "bold")
    text.append(f" in {_plural(report.files_scanned, 'file')} scanned")
    if report.skipped:
        text.append(f"; {_plural(len(report.skipped), 'file')} skipped")
    if report.suppressed:
        text.append(f"; {report.suppressed} suppressed (inline ignore or baseline)")
    text.append(".")
    return text


def _next_step(report: ScanReport, options: Options) -> Text | None:
    if options.next_step is not None:
        return Text(options.next_step) if options.next_step else None
    if not any(f.environment is not Environment.DEV and f.ci_fail for f in report.findings):
        return None
    text = Text("Next: ", "bold")
    if options.has_policy:
        text.append("agentauth provision --dry-run", "bold cyan")
        text.append(" shows what the policy in agentauth.yaml will create for the agent.")
    else:
        text.append("agentauth init", "bold cyan")
        text.append(" writes a least-privilege policy for these credentials; then ")
        text.append("agentauth provision --dry-run", "bold cyan")
        text.append(" shows exactly what it will create.")
    return text


def print_report(report: ScanReport, console: Console, options: Options | None = None) -> None:
    """Print the human report on ``console``."""
    options = options or Options()
    if not options.quiet:
        console.print(headline(report))
        sandbox = _sandbox_line(report)
        if sandbox is not None:
            console.print(sandbox)
    for title, findings in _groups(report.findings):
        console.print()
        console.print(Text(title, "bold underline"))
        wide = console.width >= WIDE_TABLE_MIN
        console.print(_findings_table(findings) if wide else _findings_rows(findings))
        fixes = list(dict.fromkeys(f.fix for f in findings if f.fix))
        if fixes:
            grid = Table.grid(padding=(0, 1))
            grid.add_column(no_wrap=True)
            grid.add_column(ratio=1)
            for fix in fixes:
                grid.add_row(Text("  fix:", "green"), Text(fix))
            console.print(grid)
    if options.verbose and report.skipped:
        console.print()
        console.print(Text("Skipped:", "bold"))
        for skip in report.skipped:
            console.print(Text(f"  {skip.path}: {skip.reason}", "dim"))
    if options.quiet:
        return
    console.print()
    for note in report.notes:
        console.print(Text(f"note: {note}", "dim"))
    console.print(_counts(report))
    if report.skipped and not options.verbose:
        console.print(Text("(--verbose lists the skipped files)", "dim"))
    step = _next_step(report, options)
    if step is not None:
        console.print(step)


def render_text(
    report: ScanReport, *, verbose: bool = False, width: int = 120, options: Options | None = None
) -> str:
    """Return the human report as plain text (no colour), e.g. for ``--output``."""
    buffer = io.StringIO()
    console = Console(
        file=buffer, width=width, no_color=True, color_system=None, highlight=False, soft_wrap=False
    )
    print_report(report, console, options or Options(verbose=verbose))
    return buffer.getvalue()


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
