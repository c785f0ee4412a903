"""`run`'s two front doors (fast path, typer command) share one parser, observer and funnel."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from tests.support.cli import Runner, cli_env

from agentauth.cli import runargs
from agentauth.errors import UsageError
from agentauth.service.run import RunRequest

STRIPE = "sk_live_" + "51HxYzAbCdEfGhIjKlMnOpQr5"
TYPER = "import sys; from agentauth.cli.app import main; sys.exit(main())"
"""The typer app, bypassing the fast path of agentauth.launch."""


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--", "claude", "--resume"], {"command": ("claude", "--resume")}),
        (["claude", "-v"], {"command": ("claude", "-v"), "verbose": False}),
        (["-v", "--agent=x", "--allow", "A", "--allow", "B*", "--", "c"],
         {"agent": "x", "allow": ("A", "B*"), "verbose": True}),
        (["--env", "T=agentauth-keyring:p/T", "--allow-nested", "--", "c"],
         {"refs": (("T", "agentauth-keyring:p/T"),), "allow_nested": True}),
        (["--inherit", "all", "--strict", "--human", "-q", "--", "c"],
         {"inherit": "all", "strict": True, "human": True, "quiet": True}),
        (["--strict", "--", "-weird"], {"command": ("-weird",), "strict": True}),
    ],
)  # fmt: skip
def test_parser(argv: list[str], expected: dict[str, object]) -> None:
    request = runargs.parse(argv, Path("/"))
    assert isinstance(request, RunRequest)
    for key, value in expected.items():
        assert getattr(request, key) == value


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--unknown", "--", "x"], "no such option '--unknown'"),
        (["--inherit", "some", "--", "x"], "--inherit must be one of"),
        (["--agent", "a", "--agent", "b", "--", "x"], "--agent given twice"),
        (["--env", "NOEQUALS", "--", "x"], "--env expects VAR="),
        (["--strict=1", "--", "x"], "--strict takes no value"),
        (["--agent"], "--agent needs a value"),
        (["--"], "nothing to run"),
        ([], "nothing to run"),
    ],
)
def test_parser_errors(argv: list[str], message: str) -> None:
    with pytest.raises(UsageError, match=message.replace("[", r"\[")):
        runargs.parse(argv, Path("/"))


def test_help_is_left_to_typer() -> None:
    assert runargs.wants_help(["--help"]) and runargs.wants_help(["-v", "-h", "--", "x"])
    assert not runargs.wants_help(["--", "--help"]) and not runargs.wants_help(["cmd", "--help"])


def test_every_flag_is_in_the_typer_help(cli: Runner, project: Path) -> None:
    helped = cli("run", "--help", cwd=project)
    assert helped.returncode == 0
    for flag in runargs.FLAGS:
        for name in flag.names:
            assert name in helped.stdout


def _both(project: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], ...]:
    env = cli_env()
    env.pop("NO_COLOR", None)
    fast = subprocess.run([sys.executable, "-m", "agentauth", *args], cwd=project, env=env,
                          capture_output=True, text=True, check=False)  # fmt: skip
    full = subprocess.run([sys.executable, "-c", TYPER, *args], cwd=project, env=env,
                          capture_output=True, text=True, check=False)  # fmt: skip
    return fast, full


def test_fast_and_typer_run_print_the_same_bytes(project: Path) -> None:
    (project / ".env").write_text(f"STRIPE_SECRET_KEY={STRIPE}\n", encoding="utf-8")
    for args in (("run", "--", "true"), ("--no-color", "run", "--", "true")):
        fast, full = _both(project, *args)
        assert fast.returncode == full.returncode == 0, fast.stderr + full.stderr
        assert "agentauth: warning: live credentials in env files" in fast.stderr
        assert "STRIPE_SECRET_KEY" in fast.stderr and STRIPE not in fast.stderr
        assert fast.stderr == full.stderr
    plain = _both(project, "run", "--", "true")[0]
    colour = _both(project, "--no-color", "run", "--", "true")[0]
    assert plain.stderr == colour.stderr


def test_fast_and_typer_run_fail_the_same_way(project: Path) -> None:
    for args in (("run", "--bogus", "--", "true"), ("run", "--", "no-such-command-xyz")):
        fast, full = _both(project, *args)
        assert fast.stderr == full.stderr and fast.returncode == full.returncode
        assert fast.stderr.startswith("error: ")


def test_typer_run_keeps_a_double_dash_before_a_dashed_command(project: Path) -> None:
    script = project / "-dashed"
    script.write_text("#!/bin/sh\necho dashed-ran\n", encoding="utf-8")
    script.chmod(0o755)
    env = cli_env({"PATH": f"{project}:/usr/bin:/bin"})
    argv = [sys.executable, "-c", TYPER, "run", "--strict", "--", "-dashed"]
    full = subprocess.run(argv, cwd=project, env=env, capture_output=True, text=True, check=False)
    assert full.returncode == 0, full.stderr
    assert "dashed-ran" in full.stdout


def test_fast_top_level_help_lists_what_the_typer_app_lists(cli: Runner, project: Path) -> None:
    from agentauth.cli import commands
    from agentauth.cli.app import app

    visible = [c for c in app.registered_commands if not c.hidden]
    assert [c.name for c in visible] == [name for name, _ in commands.COMMANDS]
    assert all(c.short_help == commands.SUMMARY[str(c.name)] for c in visible)
    fast = cli("--help", cwd=project)
    assert fast.returncode == 0 and fast.stdout == commands.render()
    typer_help = subprocess.run([sys.executable, "-c", TYPER, "--help"], cwd=project,
                                env=cli_env({"COLUMNS": "250"}), capture_output=True, text=True,
                                check=False)  # fmt: skip
    assert typer_help.returncode == 0
    for name, summary in commands.COMMANDS:
        assert name in typer_help.stdout and summary[:40] in typer_help.stdout
    for option, _help in commands.OPTIONS:
        assert option.split(", ")[-1] in typer_help.stdout
