"""`agentauth doctor` and the fast `run` front end against the full CLI."""

from __future__ import annotations

import json
import typing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from runkit import Runner

from agentauth import launch
from agentauth.model import Grant, GrantId, GrantStatus
from agentauth.service.run import RunRequest
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


def _typer_run_options() -> set[str]:
    from agentauth.cli import runner

    hints = typing.get_type_hints(runner.run_command, include_extras=True)
    names: set[str] = set()
    for hint in hints.values():
        for meta in getattr(hint, "__metadata__", ()):
            if type(meta).__name__ == "OptionInfo":
                # NOTE: in the Annotated form typer keeps the first declaration in `default`.
                decls = [meta.default, *meta.param_decls]
                names.update(d for d in decls if isinstance(d, str) and d.startswith("-"))
    return names


def test_fast_parser_knows_every_run_flag() -> None:
    fast = set(launch.RUN_VALUE_FLAGS) | set(launch.RUN_BOOL_FLAGS)
    assert fast == _typer_run_options()


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--", "claude", "--resume"], {"command": ("claude", "--resume")}),
        (["claude", "-v"], {"command": ("claude", "-v"), "verbose": False}),
        (["-v", "--agent=x", "--allow", "A", "--allow", "B*", "--", "c"],
         {"agent": "x", "allow": ("A", "B*"), "verbose": True}),
        (["--env", "T=agentauth-keyring:p/T", "--allow-nested", "--", "c"],
         {"refs": (("T", "agentauth-keyring:p/T"),), "allow_nested": True}),
        (["--inherit", "all", "--strict", "--human", "--", "c"],
         {"inherit": "all", "strict": True, "human": True}),
    ],
)  # fmt: skip
def test_fast_parser(argv: list[str], expected: dict[str, object]) -> None:
    request = launch.parse_run(argv)
    assert isinstance(request, RunRequest)
    for key, value in expected.items():
        assert getattr(request, key) == value


@pytest.mark.parametrize(
    "argv", [["--help"], ["--unknown", "--", "x"], ["--inherit", "some", "--", "x"], ["--"], []]
)
def test_fast_parser_hands_over_what_it_does_not_know(argv: list[str]) -> None:
    assert launch.parse_run(argv) is None


def test_full_cli_run_help_and_usage(cli: Runner, project: Path) -> None:
    helped = cli("run", "--help", cwd=project)
    assert helped.returncode == 0 and "--inherit" in helped.stdout
    bad = cli("run", "--inherit", "some", "--", "true", cwd=project)
    assert bad.returncode == 2
    empty = cli("run", cwd=project)
    assert empty.returncode == 2 and "nothing to run" in empty.stderr
