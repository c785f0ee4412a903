"""`agentauth doctor`, and `run`'s usage errors through the full CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.support.cli import Runner

from agentauth.model import Grant, GrantId, GrantStatus
from agentauth.state.ledger import Ledger

STRIPE = "sk_live_" + "51HxYzAbCdEfGhIjKlMnOpQr5"


def _checks(result_stdout: str) -> dict[str, dict[str, str]]:
    data = json.loads(result_stdout)
    assert data["schema_version"] == 1
    return {c["id"]: c for c in data["checks"]}


def test_doctor_reports_gaps_then_clean(cli: Runner, project: Path) -> None:
    (project / ".env").write_text(f"STRIPE_SECRET_KEY={STRIPE}\n", encoding="utf-8")
    (project / ".claude").mkdir()
    past = datetime.now(UTC) - timedelta(hours=1)
    old = Grant(GrantId("g-old"), "claude-code", "postgres", "DATABASE_URL",
                past - timedelta(hours=8), past, GrantStatus.ACTIVE, "read-only")  # fmt: skip
    Ledger(project).put(old)
    result = cli("doctor", "--format", "json", cwd=project)
    assert result.returncode == 0, result.stderr
    checks = _checks(result.stdout)
    assert checks["keyring"]["status"] == "warn"  # tests run with the fail backend
    assert checks["env-file:.env"]["status"] == "warn"
    assert "STRIPE_SECRET_KEY" in checks["env-file:.env"]["summary"]
    assert checks["env-file:.env"]["fix"] == "agentauth lock"
    assert checks["tool:claude"]["status"] == "warn"
    assert checks["grants-expired"]["fix"] == "agentauth revoke --expired"
    assert STRIPE not in result.stdout + result.stderr

    (project / ".env").write_text("DEBUG=1\n", encoding="utf-8")
    assert cli("guard", "--tool", "claude", "--yes", cwd=project).returncode == 0
    text = cli("doctor", cwd=project)
    assert "claude: guarded" in text.stdout
    assert "no live credentials" in text.stdout


def test_doctor_fails_when_env_ai_is_tracked(cli: Runner, project: Path) -> None:
    import subprocess

    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    (project / ".env.ai").write_text("A=b\n", encoding="utf-8")
    subprocess.run(["git", "add", "-f", ".env.ai"], cwd=project, check=True)
    result = cli("doctor", "--format", "json", cwd=project)
    assert result.returncode == 1
    assert _checks(result.stdout)["env-ai"]["status"] == "fail"


def test_full_cli_run_help_and_usage(cli: Runner, project: Path) -> None:
    helped = cli("run", "--help", cwd=project)
    assert helped.returncode == 0 and "--inherit" in helped.stdout
    bad = cli("run", "--inherit", "some", "--", "true", cwd=project)
    assert bad.returncode == 2
    empty = cli("run", cwd=project)
    assert empty.returncode == 2 and "nothing to run" in empty.stderr


def test_a_fix_command_is_one_line_in_a_narrow_pipe(cli: Runner, project: Path) -> None:
    """Issue 14: doctor's lines were hard-wrapped at 80 columns, breaking the fix command."""
    result = cli("doctor", cwd=project, env={"COLUMNS": "80"})
    fixes = [line for line in result.stdout.splitlines() if "fix: headless: export" in line]
    assert fixes and fixes[0].endswith("gnome-keyring-daemon --unlock)"), result.stdout
