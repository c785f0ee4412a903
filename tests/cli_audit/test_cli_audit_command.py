"""``agentauth audit`` over the example apps: formats, exit codes, baselines, and no leaks."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from tests.cli_audit.cli_audit_helpers import DEMO, assert_no_secret, copy_app, git

from agentauth.cli.scanrun import parse_size
from agentauth.errors import UsageError

REPORT_DIR = Path(__file__).resolve().parents[1] / "report"
SARIF_SCHEMA = json.loads((REPORT_DIR / "sarif-schema-2.1.0.json").read_text())
CORE_PROVIDERS = {"stripe", "aws", "github", "postgres", "openai"}

Cli = Callable[..., Any]


def _json(text: str) -> dict[str, Any]:
    data = json.loads(text)
    assert isinstance(data, dict)
    return data


def test_table_shows_the_blast_radius(
    cli: Cli, demo: Path, secrets_of_demo: tuple[str, ...]
) -> None:

    result = cli("audit", str(demo))
    assert result.code == 0, result.err
    first = " ".join(result.out.split("\n\n")[0].split())  # the headline paragraph, unwrapped
    assert first.startswith(f"An agent started in {demo} can:")
    for phrase in ("move money", "push code", "administer a database"):
        assert phrase in first
    assert "\n.env\n" in result.out
    assert ".mcp.json (MCP config)" in result.out
    assert "Next: agentauth init" in result.out
    assert_no_secret(result.both, secrets_of_demo)


def test_json_report(cli: Cli, demo: Path, secrets_of_demo: tuple[str, ...]) -> None:

    result = cli("audit", str(demo), "--format", "json")
    assert result.code == 0, result.err
    data = _json(result.out)
    assert data["schema_version"] == 1
    assert data["root"] == str(demo)
    providers = {f["provider"] for f in data["findings"]}
    assert providers >= CORE_PROVIDERS
    files = {f["file"] for f in data["findings"]}
    assert ".env" in files and ".mcp.json" in files
    assert ".env.example" not in files  # placeholders only
    stripe = [f for f in data["findings"] if f["variable"] == "STRIPE_SECRET_KEY"]
    assert stripe and stripe[0]["environment"] == "live" and stripe[0]["ci_fail"] is True
    assert stripe[0]["line"] == 5 and stripe[0]["column"] == 19
    publishable = [f for f in data["findings"] if f["variable"] == "STRIPE_PUBLISHABLE_KEY"]
    assert all(not f["ci_fail"] for f in publishable)
    assert data["summary"]["findings"] == len(data["findings"])
    assert data["summary"]["ci_fail"] is True
    assert_no_secret(result.both, secrets_of_demo)


def test_sarif_report_validates(cli: Cli, demo: Path, secrets_of_demo: tuple[str, ...]) -> None:

    result = cli("audit", str(demo), "--format", "sarif")
    assert result.code == 0, result.err
    log = _json(result.out)
    jsonschema.Draft7Validator(SARIF_SCHEMA).validate(log)
    run = log["runs"][0]
    assert len(run["tool"]["driver"]["rules"]) >= 10  # the whole catalog
    assert {r["ruleId"] for r in run["results"]} >= {"stripe-secret-key"} or run["results"]
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]
    }
    assert ".env" in uris and ".mcp.json" in uris  # not a git repo: root-relative
    assert_no_secret(result.both, secrets_of_demo)


def test_sarif_uris_are_relative_to_the_repository(cli: Cli, tmp_path: Path) -> None:

    repo = tmp_path / "mono"
    repo.mkdir()
    git(repo, "init", "-q")
    copy_app(DEMO, repo / "services" / "shop")
    result = cli("audit", "services/shop", "--format", "sarif", cwd=repo)
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in _json(result.out)["runs"][0]["results"]
    }
    assert "services/shop/.env" in uris


@pytest.mark.parametrize(
    ("flags", "code"),
    [
        ([], 0),
        (["--fail-on", "high"], 1),
        (["--fail-on", "critical"], 1),
        (["--fail-on", "none"], 0),
    ],
)
def test_fail_on(cli: Cli, demo: Path, flags: list[str], code: int) -> None:
    assert cli("audit", str(demo), "-q", *flags).code == code


def test_fail_on_counts_only_findings_at_or_above(cli: Cli, clean_repo: Path) -> None:
    assert cli("audit", str(clean_repo), "--fail-on", "info").code == 0


def test_fail_on_rejects_unknown_severity(cli: Cli, demo: Path) -> None:
    result = cli("audit", str(demo), "--fail-on", "severe")
    assert result.code == 2
    assert "severe" in result.err


def test_missing_path_is_a_usage_error(cli: Cli, tmp_path: Path) -> None:
    result = cli("audit", str(tmp_path / "nope"))
    assert result.code == 2
    assert result.out == ""
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "does not exist" in lines[0]


def test_single_file(cli: Cli, demo: Path) -> None:
    data = _json(cli("audit", str(demo / ".env"), "--format", "json").out)
    assert {f["file"] for f in data["findings"]} == {".env"}


@pytest.mark.parametrize(
    "relative", ["demo-app/.env", "./demo-app/.env", "demo-app/../demo-app/.env"]
)
def test_single_file_by_a_relative_path(cli: Cli, demo: Path, relative: str) -> None:
    """``audit a/b/file`` once joined the path to its own folder again (a/b/a/b/file)."""
    result = cli("audit", relative, "--format", "json", cwd=demo.parent)
    assert result.code == 0, result.err
    assert {f["file"] for f in _json(result.out)["findings"]} == {".env"}


def test_output_file(
    cli: Cli, demo: Path, tmp_path: Path, secrets_of_demo: tuple[str, ...]
) -> None:

    for fmt in ("json", "sarif", "table"):
        target = tmp_path / f"report.{fmt}"
        result = cli("audit", str(demo), "--format", fmt, "-o", str(target))
        assert result.code == 0
        assert result.out == ""
        assert f"Wrote the {fmt} report to {target}" in result.err
        text = target.read_text(encoding="utf-8")
        assert text.strip()
        assert "\x1b[" not in text
        assert_no_secret(text + result.both, secrets_of_demo)
    assert _json((tmp_path / "report.json").read_text())["schema_version"] == 1


def test_output_into_a_missing_folder_is_an_error(cli: Cli, demo: Path, tmp_path: Path) -> None:
    result = cli("audit", str(demo), "--format", "json", "-o", str(tmp_path / "no" / "r.json"))
    assert result.code == 2
    assert "cannot write" in result.err


def test_baseline_accepts_findings(cli: Cli, demo: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    written = cli("audit", str(demo), "--write-baseline", str(baseline))
    assert written.code == 0
    assert "fingerprint(s)" in written.err
    assert json.loads(baseline.read_text())["fingerprints"]
    accepted = cli(
        "audit", str(demo), "--baseline", str(baseline), "--fail-on", "info", "-f", "json"
    )
    assert accepted.code == 0
    data = _json(accepted.out)
    assert data["findings"] == []
    assert data["summary"]["suppressed"] > 0
    # a new credential is still reported
    with (demo / ".env").open("a") as fh:
        fh.write("\nSTRIPE_SECOND_KEY=sk_live_51Q8rVb2NxT4mKpZ7wYcLd3HsJf9GtAe6Uk1\n")
    again = cli("audit", str(demo), "--baseline", str(baseline), "--fail-on", "high", "-f", "json")
    assert again.code == 1
    assert [f["variable"] for f in _json(again.out)["findings"]] == ["STRIPE_SECOND_KEY"]


def test_bad_baseline_is_a_usage_error(cli: Cli, demo: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    result = cli("audit", str(demo), "--baseline", str(broken))
    assert result.code == 2
    assert "baseline" in result.err
    missing = cli("audit", str(demo), "--baseline", str(tmp_path / "absent.json"))
    assert missing.code == 2


def test_baseline_and_write_baseline_conflict(cli: Cli, demo: Path, tmp_path: Path) -> None:
    result = cli(
        "audit",
        str(demo),
        "--baseline",
        str(tmp_path / "a"),
        "--write-baseline",
        str(tmp_path / "b"),
    )
    assert result.code == 2
    assert "--write-baseline" in result.err


def test_environ(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, secrets_of_demo: tuple[str, ...]
) -> None:

    empty = tmp_path / "empty"
    empty.mkdir()
    key = secrets_of_demo[0]
    assert key.startswith("sk_live_")
    monkeypatch.setenv("STRIPE_SECRET_KEY", key)
    result = cli("audit", str(empty), "--environ", "-f", "json")
    findings = _json(result.out)["findings"]
    assert [(f["file"], f["variable"], f["origin"]) for f in findings] == [
        ("<environ>", "STRIPE_SECRET_KEY", "environ")
    ]
    table = cli("audit", str(empty), "--environ")
    assert "process environment (--environ)" in table.out
    assert_no_secret(result.both + table.both, secrets_of_demo)
    assert cli("audit", str(empty), "-f", "json").out.count("<environ>") == 0


def test_inline_ignore_and_no_ignore_comments(cli: Cli, tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "settings.py").write_text(
        'STRIPE_KEY = "sk_live_51Q8rVb2NxT4mKpZ7wYcLd3HsJf9GtAe6Uk1"  # agentauth:ignore\n'
    )
    honoured = _json(cli("audit", str(app), "-f", "json").out)
    assert honoured["findings"] == [] and honoured["summary"]["suppressed"] == 1
    ignored = _json(cli("audit", str(app), "-f", "json", "--no-ignore-comments").out)
    assert len(ignored["findings"]) == 1


def test_exclude_and_max_file_size(cli: Cli, demo: Path) -> None:
    nested = demo / "vendorized"
    nested.mkdir()
    (nested / "keys.env").write_text(
        "GITHUB_TOKEN="
        + (demo / ".env").read_text().split("GITHUB_TOKEN=")[1].split("\n")[0]
        + "\n"
    )
    base = _json(cli("audit", str(demo), "-f", "json").out)
    assert any(f["file"] == "vendorized/keys.env" for f in base["findings"])
    excluded = _json(cli("audit", str(demo), "-f", "json", "--exclude", "vendorized").out)
    assert not any(f["file"].startswith("vendorized/") for f in excluded["findings"])
    (demo / "big.py").write_text("x = 1\n" * 400)
    small = _json(cli("audit", str(demo), "-f", "json", "--max-file-size", "1KB").out)
    assert any(s["path"] == "big.py" for s in small["skipped"])


def test_verbose_lists_skipped_files(cli: Cli, demo: Path) -> None:
    (demo / "logo.bin").write_bytes(b"\x00\x01" * 100)
    (demo / "big.py").write_text("x = 1\n" * 400)
    result = cli("audit", str(demo), "--verbose", "--max-file-size", "1KB")
    assert "Skipped:" in result.out
    assert "big.py" in result.out


def test_bad_max_file_size(cli: Cli, demo: Path) -> None:
    result = cli("audit", str(demo), "--max-file-size", "lots")
    assert result.code == 2
    assert "--max-file-size" in result.err


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("10MB", 10 * 1024**2),
        ("512k", 512 * 1024),
        ("1GiB", 1024**3),
        ("2048", 2048),
        ("1.5m", 1572864),
    ],
)
def test_parse_size(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "ten", "0", "5PB", "-1MB"])
def test_parse_size_rejects(text: str) -> None:
    with pytest.raises(UsageError):
        parse_size(text)


def test_quiet_prints_findings_only(cli: Cli, demo: Path, clean_repo: Path) -> None:
    result = cli("audit", str(demo), "--quiet")
    assert "An agent started" not in result.out
    assert "STRIPE_SECRET_KEY" in result.out
    assert result.err == ""
    assert cli("audit", str(clean_repo), "--quiet").out.strip() == ""


def test_clean_app(cli: Cli, clean_repo: Path) -> None:
    result = cli("audit", str(clean_repo))
    assert result.code == 0
    assert result.out.startswith("No credentials found")


def test_progress_bar_only_for_big_scans() -> None:
    import io

    from rich.console import Console

    from agentauth.cli.progress import ProgressBar

    buffer = io.StringIO()
    terminal = Console(file=buffer, force_terminal=True, width=80)
    small = ProgressBar(terminal, min_files=10)
    small.start(3)
    small.advance("a.py", 10)
    small.finish()
    assert buffer.getvalue() == ""
    big = ProgressBar(terminal, min_files=2)
    big.start(3)
    for name in ("a.py", "b.py", "c.py"):
        big.advance(name, 10)
    big.finish()
    big.finish()  # idempotent: the CLI calls it again after the scan
    assert "scanning" in buffer.getvalue()


def test_no_progress_bar_without_a_terminal() -> None:
    from agentauth.cli.progress import progress_bar

    assert progress_bar(quiet=False) is None  # pytest's stderr is not a terminal
