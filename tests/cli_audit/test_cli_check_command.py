"""``agentauth check``: the CI / pre-commit gate over git-tracked or staged files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
from tests.cli_audit.cli_audit_helpers import assert_no_secret, git

REPORT_DIR = Path(__file__).resolve().parents[1] / "report"
SARIF_SCHEMA = json.loads((REPORT_DIR / "sarif-schema-2.1.0.json").read_text())
LIVE_KEY = "sk_live_51Q8rVb2NxT4mKpZ7wYcLd3HsJf9GtAe6Uk1"

Cli = Callable[..., Any]


def test_fails_on_the_demo_repository(
    cli: Cli, demo_repo: Path, secrets_of_demo: tuple[str, ...]
) -> None:
    result = cli("check", cwd=demo_repo)
    assert result.code == 1
    # .env is git-ignored in the demo: only the token committed in .mcp.json fails the gate
    assert ".mcp.json" in result.out
    assert "\n.env\n" not in result.out
    assert "live credential(s) in tracked files" in result.err
    assert "agentauth:ignore" in result.err and "--write-baseline" in result.err
    assert_no_secret(result.both, secrets_of_demo)


def test_tracked_env_file_fails_too(cli: Cli, demo_repo: Path) -> None:
    git(demo_repo, "add", "-f", ".env")
    result = cli("check", "-f", "json", cwd=demo_repo)
    assert result.code == 1
    data = json.loads(result.out)
    files = {f["file"] for f in data["findings"]}
    assert {".env", ".mcp.json"} <= files
    assert all(f["ci_fail"] for f in data["findings"])  # check reports the failing ones
    variables = {f["variable"] for f in data["findings"]}
    assert "STRIPE_PUBLISHABLE_KEY" not in variables
    assert "REDIS_URL" not in variables


def test_passes_on_the_clean_repository(cli: Cli, clean_repo: Path) -> None:
    result = cli("check", cwd=clean_repo)
    assert result.code == 0, result.out + result.err
    assert "no live credentials" in result.err
    assert result.out == ""


def test_untracked_files_are_not_checked(cli: Cli, clean_repo: Path) -> None:
    (clean_repo / "scratch.env").write_text(f"STRIPE_SECRET_KEY={LIVE_KEY}\n")
    assert cli("check", cwd=clean_repo).code == 0
    git(clean_repo, "add", "scratch.env")
    assert cli("check", cwd=clean_repo).code == 1


def test_outside_git_is_a_usage_error_unless_files_are_named(cli: Cli, demo: Path) -> None:
    result = cli("check", cwd=demo)
    assert result.code == 2
    assert "not inside a git repository" in result.err
    assert len([line for line in result.err.splitlines() if line.strip()]) == 1
    named = cli("check", ".mcp.json", "app.py", cwd=demo)
    assert named.code == 1
    assert cli("check", "app.py", cwd=demo).code == 0


def test_missing_named_file_is_a_usage_error(cli: Cli, clean_repo: Path) -> None:
    result = cli("check", "nope.py", cwd=clean_repo)
    assert result.code == 2
    assert "nope.py" in result.err


def test_staged_content_is_what_counts(cli: Cli, clean_repo: Path) -> None:
    git(clean_repo, "commit", "-q", "-m", "init")
    settings = clean_repo / "settings.py"
    settings.write_text(f'STRIPE_KEY = "{LIVE_KEY}"\n')
    git(clean_repo, "add", "settings.py")
    settings.write_text('STRIPE_KEY = os.environ["STRIPE_KEY"]\n')  # fixed on disk, not staged
    assert cli("check", "--staged", cwd=clean_repo).code == 1
    git(clean_repo, "add", "settings.py")
    assert cli("check", "--staged", cwd=clean_repo).code == 0
    settings.write_text(f'STRIPE_KEY = "{LIVE_KEY}"\n')  # on disk only, not staged
    assert cli("check", "--staged", cwd=clean_repo).code == 0


def test_sarif_output_for_code_scanning(cli: Cli, demo_repo: Path, tmp_path: Path) -> None:
    target = tmp_path / "agentauth.sarif"
    result = cli("check", "--format", "sarif", "-o", str(target), cwd=demo_repo)
    assert result.code == 1  # still fails the job after writing the file
    assert result.out == ""
    log = json.loads(target.read_text())
    jsonschema.Draft7Validator(SARIF_SCHEMA).validate(log)
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in log["runs"][0]["results"]
    }
    assert uris == {".mcp.json"}


def test_default_baseline_file_accepts_findings(cli: Cli, demo_repo: Path) -> None:
    written = cli("audit", ".", "--write-baseline", ".agentauth-baseline.json", cwd=demo_repo)
    assert written.code == 0
    git(demo_repo, "add", ".agentauth-baseline.json")
    result = cli("check", cwd=demo_repo)
    assert result.code == 0, result.out + result.err
    assert "accepted by ignore/baseline" in result.err


def test_explicit_baseline(cli: Cli, demo_repo: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "accepted.json"
    assert cli("audit", ".", "--write-baseline", str(baseline), cwd=demo_repo).code == 0
    assert cli("check", "--baseline", str(baseline), cwd=demo_repo).code == 0
    assert cli("check", "--baseline", str(tmp_path / "absent.json"), cwd=demo_repo).code == 2


def test_inline_ignore(cli: Cli, clean_repo: Path) -> None:
    (clean_repo / "fixture.py").write_text(
        f'KEY = "{LIVE_KEY}"  # agentauth:ignore (test fixture)\n'
    )
    git(clean_repo, "add", "fixture.py")
    assert cli("check", cwd=clean_repo).code == 0


def test_json_of_a_passing_check(cli: Cli, clean_repo: Path) -> None:
    result = cli("check", "-f", "json", cwd=clean_repo)
    assert result.code == 0
    data = json.loads(result.out)
    assert data["findings"] == [] and data["summary"]["ci_fail"] is False


def test_an_uncommitted_baseline_does_not_silence_check(cli: Cli, demo_repo: Path) -> None:
    """CI checks out the committed tree: a baseline only on this disk must not pass here."""
    written = cli("audit", ".", "--write-baseline", ".agentauth-baseline.json", cwd=demo_repo)
    assert written.code == 0
    result = cli("check", cwd=demo_repo)
    assert result.code == 1
    assert ".agentauth-baseline.json is not tracked by git" in result.err
    git(demo_repo, "add", ".agentauth-baseline.json")
    assert cli("check", cwd=demo_repo).code == 0
    (demo_repo / ".agentauth-baseline.json").write_text('{"version": 1, "findings": []}\n')
    changed = cli("check", cwd=demo_repo)
    assert changed.code == 1 and "has changes that are not staged" in changed.err


def test_no_ignore_comments_reports_marked_findings(cli: Cli, clean_repo: Path) -> None:
    (clean_repo / "fixture.py").write_text(f'KEY = "{LIVE_KEY}"  # agentauth:ignore\n')
    git(clean_repo, "add", "fixture.py")
    assert cli("check", cwd=clean_repo).code == 0
    assert cli("check", "--no-ignore-comments", cwd=clean_repo).code == 1


def test_the_message_names_what_was_read(cli: Cli, clean_repo: Path) -> None:
    settings = clean_repo / "settings.py"
    settings.write_text(f'STRIPE_KEY = "{LIVE_KEY}"\n')
    named = cli("check", "settings.py", cwd=clean_repo)
    assert named.code == 1 and "in named files" in named.err and "in tracked" not in named.err
    git(clean_repo, "add", "settings.py")
    staged = cli("check", "--staged", cwd=clean_repo)
    assert staged.code == 1 and "in staged files" in staged.err
    tracked = cli("check", cwd=clean_repo)
    assert "in tracked files" in tracked.err
