"""The human table: blast radius first, grouped findings, fixes, counts and the next step."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from rich.console import Console

from agentauth.model import Environment, ScanReport, Severity
from agentauth.report import Format, render
from agentauth.report.table import (
    WIDE_TABLE_MIN,
    Options,
    blast_radius,
    print_report,
    render_text,
)


def _text(report: ScanReport, width: int = 160, **options: Any) -> str:
    return render_text(report, width=width, options=Options(**options))


def test_headline_lists_capabilities_most_dangerous_first(sample: Any) -> None:
    first_line = _text(sample.report).splitlines()[0]
    assert first_line.startswith("An agent started here can: move money (1), delete production")
    assert "push code (2)" in first_line  # the .env token and the MCP token
    order = ["move money", "delete production data", "administer a database", "push code"]
    positions = [first_line.index(phrase) for phrase in order]
    assert positions == sorted(positions)


def test_test_and_dev_credentials_are_not_in_the_headline(sample: Any) -> None:
    radius = dict(blast_radius(sample.report.findings))
    assert radius["move-money"] == 1  # the sk_test_ key does not count
    assert "read-write-cache" not in radius  # redis on localhost does not count
    text = _text(sample.report)
    assert "Also reachable: 2 test-mode or local-dev credentials" in text


def test_verified_capabilities_join_the_headline(sample: Any) -> None:
    radius = dict(blast_radius(sample.report.findings))
    assert radius["admin-database"] == 1


def test_root_is_named_in_the_headline(sample: Any) -> None:
    text = _text(replace(sample.report, root="examples/demo-app"))
    assert text.startswith("An agent started in examples/demo-app can:")


@pytest.mark.parametrize("width", [160, 90])  # wide: one table per file; narrow: one block each
def test_findings_are_grouped_by_file_with_fixes(sample: Any, width: int) -> None:
    text = _text(sample.report, width=width)
    titles = [
        ".env",
        "config/prod.env",
        ".mcp.json (MCP config)",
        "process environment (--environ)",
    ]
    lines = text.splitlines()
    positions = [lines.index(title) for title in titles]
    assert positions == sorted(positions)
    env_block = "\n".join(lines[positions[0] : positions[1]])
    assert "STRIPE_SECRET_KEY" in env_block and "GITHUB_TOKEN" in env_block
    assert "DATABASE_URL" not in env_block
    stripe = [f for f in sample.report.findings if f.file == ".env" and f.provider == "stripe"]
    # each finding's fix right under it, not gathered below the file
    assert env_block.count("fix: Give the agent a scoped stripe credential") == len(stripe)
    for finding in sample.report.findings:
        if finding.severity is Severity.INFO:  # counted, listed with --show-info
            assert finding.redacted not in text
            continue
        assert finding.redacted in text  # masked URLs are never folded
        assert finding.rule_id in text
    assert "MCP server 'github'" in text
    assert "verified: valid — owner of 12 tables" in text
    assert ("Severity" in text) is (width >= WIDE_TABLE_MIN)


def test_narrow_layout_keeps_each_reason_whole(sample: Any) -> None:
    text = _text(sample.report, width=80)
    assert "line 3  STRIPE_SECRET_KEY  " in text
    assert "line -  OPENAI_API_KEY" in text  # environment: no line
    assert "stripe secret-key in live mode." in text


def test_footer_counts_and_next_step(sample: Any) -> None:
    text = _text(sample.report)
    assert (
        "7 findings (2 critical, 2 high, 1 medium, 1 low, 1 info) in 12 files scanned; "
        "2 files skipped; 1 suppressed" in text
    )
    assert "(--verbose lists the skipped files)" in text
    assert "Next: agentauth init" in text
    with_policy = _text(sample.report, has_policy=True)
    assert "Next: agentauth provision --dry-run" in with_policy
    assert "Next: agentauth init" not in with_policy


def test_verbose_lists_skipped_files(sample: Any) -> None:
    text = _text(sample.report, verbose=True)
    assert "assets/logo.png: binary" in text
    assert "dump.sql: larger than 10 MiB" in text
    assert "assets/logo.png" not in _text(sample.report)


def test_quiet_prints_only_findings(sample: Any) -> None:
    text = _text(sample.report, quiet=True)
    assert "An agent started" not in text
    assert "Next:" not in text
    assert "7 findings" not in text
    assert "STRIPE_SECRET_KEY" in text


def test_no_next_step_without_live_findings(sample: Any) -> None:
    safe = replace(
        sample.report, findings=tuple(f for f in sample.report.findings if not f.ci_fail)
    )
    text = _text(safe)
    assert "Next:" not in text
    assert "none of them with known production powers" not in text or "An agent" in text


def test_clean_report() -> None:
    text = _text(ScanReport(root=".", findings=(), files_scanned=4))
    assert text.splitlines()[0] == "No credentials found that an agent started here could use."
    assert "0 findings in 4 files scanned." in text
    assert "Next:" not in text


def test_file_names_are_not_markup(sample: Any) -> None:
    odd = replace(sample.report.findings[0], file="[bold]weird[/bold].env", variable="[red]X")
    text = _text(replace(sample.report, findings=(odd,)))
    assert "[bold]weird[/bold].env" in text
    assert "[red]X" in text


def test_colour_on_a_terminal_console(sample: Any) -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, color_system="standard", width=160)
    print_report(sample.report, console)
    out = buffer.getvalue()
    assert "\x1b[" in out  # severity colours
    assert "critical" in out


def test_render_table_format_is_plain(sample: Any) -> None:
    text = render(sample.report, Format.TABLE, width=160)
    assert "\x1b[" not in text
    assert "An agent started here can:" in text


def test_unknown_environment_counts_in_the_headline(sample: Any) -> None:
    unknown = replace(sample.report.findings[0], environment=Environment.UNKNOWN)
    assert dict(blast_radius([unknown]))["move-money"] == 1


@pytest.mark.parametrize("width", [200, 80])
def test_no_secret_in_table(
    sample: Any, no_leak: Callable[[str, tuple[str, ...]], None], width: int
) -> None:
    no_leak(_text(sample.report, width=width, verbose=True), sample.values)


def test_key_id_and_secret_count_as_one_credential(sample: Any) -> None:
    base = replace(sample.report.findings[0], provider="aws", capabilities=("cloud-admin",))
    key_id = replace(base, kind="access-key-id", fingerprint="a" * 32)
    secret = replace(base, kind="secret-access-key", fingerprint="b" * 32, line=base.line + 1)
    other_file = replace(secret, file="deploy/.env", fingerprint="c" * 32)
    assert dict(blast_radius([key_id, secret]))["cloud-admin"] == 1
    assert dict(blast_radius([key_id, secret, other_file]))["cloud-admin"] == 2


def test_implied_capabilities_are_not_repeated(sample: Any) -> None:
    base = sample.report.findings[0]
    pusher = replace(base, capabilities=("push-code", "read-code"), fingerprint="d" * 32)
    reader = replace(base, capabilities=("read-code",), fingerprint="e" * 32)
    assert dict(blast_radius([pusher])) == {"push-code": 1}
    assert dict(blast_radius([pusher, reader])) == {"push-code": 1, "read-code": 1}


def test_only_sandbox_credentials_are_said_once(sample: Any) -> None:
    sandbox = tuple(
        f for f in sample.report.findings if f.environment in (Environment.TEST, Environment.DEV)
    )
    assert sandbox
    lines = _text(replace(sample.report, findings=sandbox)).splitlines()
    assert lines[0].startswith(f"An agent started here can reach {len(sandbox)} test-mode or")
    assert "only (sandboxes and services on this machine)" in lines[0]
    assert not any(line.startswith("Also reachable") for line in lines)


@pytest.mark.parametrize("width", [80, 160])
def test_info_findings_are_a_count_unless_asked_for(sample: Any, width: int) -> None:
    info = [f for f in sample.report.findings if f.severity is Severity.INFO]
    assert info
    text = _text(sample.report, width=width)
    assert all(f.redacted not in text for f in info)
    assert f"{len(info)} info finding" in text and "--show-info lists them" in text
    listed = _text(sample.report, width=width, show_info=True)
    assert all(f.redacted in listed for f in info)
    assert "--show-info" not in listed
    assert render(sample.report, Format.JSON).count('"severity": "info"') == len(info)


@pytest.mark.parametrize("width", [80, 160])
def test_each_fix_is_one_unbroken_line_under_its_finding(sample: Any, width: int) -> None:
    url = "https://dashboard.stripe.com/apikeys/" + "x" * 60
    long_fix = f"Rotate it: {url} then run agentauth init"
    findings = tuple(
        replace(f, fix=long_fix) if f.provider == "stripe" else f for f in sample.report.findings
    )
    text = _text(replace(sample.report, findings=findings), width=width)
    fix_lines = [line for line in text.splitlines() if "fix: Rotate it:" in line]
    shown = [f for f in findings if f.provider == "stripe" and f.severity is not Severity.INFO]
    assert len(fix_lines) == len(shown)
    assert all(line.strip() == f"fix: {long_fix}" for line in fix_lines)


def test_no_trailing_padding_when_not_a_terminal(sample: Any) -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, width=160, force_terminal=False, color_system=None)
    print_report(sample.report, console)
    lines = buffer.getvalue().splitlines()
    assert lines and all(line == line.rstrip() for line in lines)


@pytest.mark.parametrize("columns", [80, 160, 200])
def test_audit_never_breaks_a_url_or_command_and_gives_why_the_room(columns: int) -> None:
    """The bundled example at three widths, through a pipe (issue 14, Messages/output)."""
    import json

    from tests.support.cli import REPO, run_cli

    demo = REPO / "examples" / "demo-app"
    shown = run_cli("audit", str(demo), cwd=REPO, env={"COLUMNS": str(columns)}).stdout
    found = json.loads(run_cli("audit", str(demo), "-f", "json", cwd=REPO).stdout)["findings"]
    lines = shown.splitlines()
    assert not [line for line in lines if line != line.rstrip()]  # no padding off a terminal
    url = next(f["redacted"] for f in found if f["redacted"].startswith("postgresql://"))
    assert len(url) > 60 and any(url in line for line in lines), shown  # whole, on one line
    for finding in found:
        if finding["severity"] != "info" and finding["fix"]:
            assert any(finding["fix"] in line for line in lines), finding["fix"]
    if columns >= 160:  # the Why column has the room: a reason that fits is never wrapped
        room = columns - 73  # what the other columns leave (Value shortened to 20)
        fits = [f["why"] for f in found if f["severity"] != "info" and len(f["why"]) <= room]
        assert len(fits) >= 4
        assert fits and all(any(why in line for line in lines) for why in fits), shown
