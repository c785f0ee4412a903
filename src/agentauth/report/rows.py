"""One finding on screen: a row of the wide table or a block of the narrow layout.

Why a module of its own: the report's structure (headline, groups, counts, next step)
and the layout of a finding change for different reasons. What must stay copyable is
never put in a wrapping cell: the fix and a value too long for its column are printed
on lines of their own, unwrapped, under the finding (a console never breaks them).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from agentauth.model import Environment, Finding, Severity

SEVERITY_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}

WIDE_TABLE_MIN = 140
"""Below this console width each finding is printed as a block instead of a table row."""


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def printable(text: str) -> str:
    """``text`` with control characters (ESC, newline...) and undecodable bytes escaped.

    File and variable names come from the scanned tree: a name holding an escape sequence
    must not drive the terminal, and one holding a newline must not forge a report line.
    """
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub(_escape_char, text)


def _escape_char(match: re.Match[str]) -> str:
    char = match.group(0)
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (os.fsdecode's surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char) or (
        f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    )


BLOCK_VALUE_MAX = 40
TABLE_VALUE_MAX = 20
"""A redacted value longer than this is shortened in its cell and printed whole beneath.

The table's is short on purpose: redacted keys are about 13 characters (``sk_live_…3K1h``),
and every column of the Value's width is taken from the Why, the one column of prose.
At 160 columns that leaves the Why 87 characters, enough for every reason but the longest."""


def _value_cell(finding: Finding, limit: int = BLOCK_VALUE_MAX) -> tuple[Text, Text | None]:
    """The value as its cell shows it, and the whole value's own line when it is too long."""
    value = printable(finding.redacted)
    if len(value) <= limit:
        return Text(value), None
    line = Text("  value: ", "dim")
    line.append(value)
    return Text(value[: limit - 1] + "…"), line


def _print_under(finding: Finding, console: Console, value: Text | None) -> None:
    """The lines under a finding, unwrapped: the whole value (if shortened), then the fix."""
    for line in (value, _fix_line(finding)):
        if line is not None:
            console.print(line, soft_wrap=True)


def _why_cell(finding: Finding) -> Text:
    text = Text(printable(finding.why))
    verification = finding.verification
    if verification is not None:
        style = {"valid": "bold red", "invalid": "green"}.get(verification.status, "dim")
        text.append("\nverified: ", "dim")
        text.append(verification.status, style)
        if verification.summary:
            text.append(f" — {printable(verification.summary)}")
    return text


def _fix_line(finding: Finding) -> Text | None:
    """The finding's fix on a line of its own, printed unwrapped (commands stay copyable)."""
    if not finding.fix:
        return None
    text = Text("  fix: ", "green")
    text.append(printable(finding.fix))
    return text


def _finding_block(finding: Finding) -> Table:
    """Narrow layout: one block per finding, the reason wrapped under its first line."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True)
    grid.add_column(ratio=1, overflow="fold")
    body = Text()
    body.append("line -" if finding.line < 1 else f"line {finding.line}", "dim")
    body.append("  ")
    body.append(printable(finding.variable or "-"), "bold")
    body.append("  ")
    body.append_text(_value_cell(finding)[0])
    body.append("  ")
    body.append(
        finding.environment.value,
        "bold" if finding.environment is Environment.LIVE else "dim",
    )
    body.append(f"  {finding.rule_id}", "dim")
    if finding.context:
        body.append(f"\n{printable(finding.context)}", "dim")
    body.append("\n")
    body.append_text(_why_cell(finding))
    grid.add_row(Text(finding.severity.value, SEVERITY_STYLE[finding.severity]), body)
    return grid


def print_blocks(findings: Sequence[Finding], console: Console) -> None:
    for index, finding in enumerate(findings):
        if index:
            console.print()
        console.print(_finding_block(finding))
        _print_under(finding, console, _value_cell(finding)[1])


def print_table(findings: Sequence[Finding], console: Console) -> None:
    """Wide layout: one aligned row per finding, its fix on an unwrapped line just under it.

    Column widths are computed for the whole group, so the per-finding tables line up;
    the fix is printed outside the table so that a command or URL is never broken.
    """
    widths = {
        "Severity": max(len("Severity"), *(len(f.severity.value) for f in findings)),
        "Line": max(len("Line"), *(len(str(max(f.line, 0))) for f in findings)),
        "Variable": min(28, max(len("Variable"), *(_variable_width(f) for f in findings))),
        "Value": max(len("Value"), *(len(_value_cell(f, TABLE_VALUE_MAX)[0]) for f in findings)),
        "Env": max(len("Env"), *(len(f.environment.value) for f in findings)),
    }
    for index, finding in enumerate(findings):
        table = Table(
            box=box.SIMPLE_HEAD,
            show_header=index == 0,
            show_edge=False,
            pad_edge=False,
            expand=True,
        )
        for name, width in widths.items():
            table.add_column(
                name,
                no_wrap=name != "Variable",
                overflow="fold",
                width=width,
                justify="right" if name == "Line" else "left",
            )
        table.add_column("Why", ratio=1, min_width=30)
        variable = Text(printable(finding.variable or "-"))
        variable.append(f"\n{finding.rule_id}", "dim")
        if finding.context:
            variable.append(f"\n{printable(finding.context)}", "dim")
        line = "-" if finding.line < 1 else str(finding.line)
        value, whole = _value_cell(finding, TABLE_VALUE_MAX)
        env_style = "bold" if finding.environment is Environment.LIVE else "dim"
        table.add_row(
            Text(finding.severity.value, SEVERITY_STYLE[finding.severity]),
            Text(line),
            variable,
            value,
            Text(finding.environment.value, env_style),
            _why_cell(finding),
        )
        console.print(table)
        _print_under(finding, console, whole)


def _variable_width(finding: Finding) -> int:
    return max(len(printable(finding.variable or "-")), len(finding.rule_id))
