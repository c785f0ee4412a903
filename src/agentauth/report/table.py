"""The human report: blast radius, then findings grouped by file, then counts and the next step.

Printed through an injected rich Console, so the CLI decides about colour and width and the
tests can capture it. Cells are built as ``Text`` objects: a file name or a variable is
never interpreted as markup.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from rich.console import Console
from rich.text import Text

from agentauth.model import Environment, Finding, Origin, ScanReport, Severity
from agentauth.report.rows import (
    WIDE_TABLE_MIN,
    print_blocks,
    print_table,
    printable,
)
from agentauth.report.rulemeta import (
    SEVERITY_ORDER,
    capability_phrase,
    capability_rank,
    finding_sort_key,
)
from agentauth.report.tableoptions import Options

IMPLIED: dict[str, frozenset[str]] = {
    "cloud-admin": frozenset({"delete-cloud-resources", "write-cloud-data", "read-cloud-data"}),
    "write-cloud-data": frozenset({"read-cloud-data"}),
    "admin-database": frozenset({"read-production-data"}),
    "write-production-data": frozenset({"read-production-data"}),
    "admin-repository": frozenset({"push-code", "read-code"}),
    "push-code": frozenset({"read-code"}),
}
"""Capabilities a stronger one already covers; the headline names only the stronger one."""

_PAIRED_KINDS = frozenset({"access-key-id", "secret-access-key"})
"""Two halves of one credential (an AWS key id and its secret) count once in the headline."""


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
        return f"{printable(finding.file)} (MCP config)"
    return printable(finding.file)


def _groups(findings: Sequence[Finding]) -> list[tuple[str, list[Finding]]]:
    groups: dict[str, list[Finding]] = {}
    for finding in sorted(findings, key=finding_sort_key):
        groups.setdefault(_group_title(finding), []).append(finding)
    return list(groups.items())


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
    """Print the human report on ``console``.

    When ``console`` is not a terminal (a pipe, a file) the lines carry no trailing
    padding: the report is rendered first and each line right-stripped.
    """
    options = options or Options()
    if console.is_terminal:
        _print_report(report, console, options)
        return
    with console.capture() as captured:
        _print_report(report, console, options)
    text = "\n".join(line.rstrip() for line in captured.get().split("\n"))
    console.file.write(text)
    console.file.flush()


def _print_report(report: ScanReport, console: Console, options: Options) -> None:
    shown = report.findings
    hidden_info = 0
    if not options.show_info:
        shown = tuple(f for f in report.findings if f.severity is not Severity.INFO)
        hidden_info = len(report.findings) - len(shown)
    if not options.quiet:
        console.print(headline(report))
        sandbox = _sandbox_line(report)
        if sandbox is not None:
            console.print(sandbox)
    for title, findings in _groups(shown):
        console.print()
        console.print(Text(title, "bold underline"))
        if console.width >= WIDE_TABLE_MIN:
            print_table(findings, console)
        else:
            print_blocks(findings, console)
    if options.verbose and report.skipped:
        console.print()
        console.print(Text("Skipped:", "bold"))
        for skip in report.skipped:
            console.print(Text(f"  {printable(skip.path)}: {printable(skip.reason)}", "dim"))
    if options.quiet:
        return
    console.print()
    for note in report.notes:
        console.print(Text(f"note: {printable(note)}", "dim"))
    console.print(_counts(report))
    if hidden_info:
        console.print(
            Text(
                f"{_plural(hidden_info, 'info finding')} not listed (publishable keys, "
                "invalid checksums, expired tokens: no risk); --show-info lists them.",
                "dim",
            )
        )
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
