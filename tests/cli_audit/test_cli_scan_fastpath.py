"""The typer-free fast path of ``check`` and ``audit``: typer's reading of argv, typer's output."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main  # noqa: TID251 - the test holds the fast parser to typer's own reading
from tests.support.cli import Result, cli_env

from agentauth.cli import scanargs
from agentauth.cli.app import app
from agentauth.report import Format

_COMMANDS = typer.main.get_command(app).commands  # type: ignore[attr-defined]


def _typer_params(command: str, argv: list[str]) -> dict[str, Any]:
    ctx = _COMMANDS[command].make_context(command, list(argv))
    params = dict(ctx.params)
    params["fmt"] = Format(params["fmt"])  # NOTE: typer makes the enum after click's parse
    return _normal(params)


def _fast(command: str, argv: list[str]) -> dict[str, Any] | None:
    params = scanargs.parse(command, argv)
    return None if params is None else _normal(params)


def _normal(params: dict[str, Any]) -> dict[str, Any]:
    """Empty lists and None both mean "not given"; paths compare as the text typed."""
    out = {}
    for name, value in params.items():
        if isinstance(value, tuple | list):
            value = [str(v) if isinstance(v, Path) else v for v in value] or None
        out[name] = str(value) if isinstance(value, Path) else value
    return out


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--staged"],
        ["--staged", "-q", "--format", "JSON", "-o", "out.json"],
        ["a.py", "--quiet", "b.py", "--exclude", "vendor", "--exclude=dist"],
        ["--range", "origin/main..HEAD", "--no-ignore-comments", "--format=sarif"],
        ["--baseline", "base.json", "--", "-odd-name.py"],
        ["-f", "json", "-f", "table"],
    ],
)
def test_check_reads_argv_as_typer_does(argv: list[str]) -> None:
    assert _fast("check", argv) == _typer_params("check", argv)


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["examples/demo-app"],
        ["src", "--format", "json", "-o", "-", "--fail-on", "high", "--environ", "--verify"],
        ["-j", "2", "--max-file-size", "1MB", "--no-default-excludes", "--show-info", "-v"],
        ["--history", "--since", "v1.0", "--write-baseline", "b.json", "--exclude", "x"],
        ["--baseline=b.json", "--jobs=0", "--quiet", "--no-ignore-comments", "."],
    ],
)
def test_audit_reads_argv_as_typer_does(argv: list[str]) -> None:
    assert _fast("audit", argv) == _typer_params("audit", argv)


def test_variables_are_read_as_typer_reads_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTAUTH_BASELINE", "from-env.json")
    monkeypatch.setenv("AGENTAUTH_FAIL_ON", "medium")
    for command, argv in (("check", []), ("check", ["--baseline", "b.json"]), ("audit", [])):
        assert _fast(command, argv) == _typer_params(command, argv)
    monkeypatch.setenv("AGENTAUTH_NO_COLOR", "yes")
    assert scanargs.global_flags({"--debug": True}) == (True, True)
    monkeypatch.setenv("AGENTAUTH_NO_COLOR", "maybe")
    assert scanargs.global_flags({}) is None  # typer words that error


@pytest.mark.parametrize(
    ("command", "argv"),
    [
        ("check", ["--help"]),
        ("check", ["-fjson"]),
        ("check", ["--bogus"]),
        ("check", ["--format", "xml"]),
        ("check", ["--staged=yes"]),
        ("check", ["--output"]),
        ("audit", ["a", "b"]),
        ("audit", ["--jobs", "-1"]),
        ("audit", ["--jobs", "two"]),
    ],
)
def test_anything_unusual_is_left_to_typer(command: str, argv: list[str]) -> None:
    assert scanargs.parse(command, argv) is None


def _run(entry: str, args: tuple[str, ...], cwd: Path) -> Result:
    done = subprocess.run(
        [sys.executable, "-c", entry, *args],
        cwd=cwd, env=cli_env(), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    return Result(done.returncode, done.stdout, done.stderr)


_FAST = "import sys; from agentauth.launch import main; sys.exit(main())"
_TYPER = "import sys; from agentauth.cli.app import main; sys.exit(main())"
_MODULES = (
    "import sys; from agentauth.launch import main; code = main(); "
    "print(sorted(m for m in ('typer', 'rich') if m in sys.modules)); sys.exit(code)"
)


@pytest.mark.parametrize(
    "args",
    [
        ("check",),
        ("check", "--format", "json"),
        ("check", "--staged", "-q"),
        ("audit", ".", "--format", "json", "--fail-on", "high"),
        ("audit", "--format", "sarif"),
        ("check", "--format", "xml"),
        ("audit", "--jobs", "-1"),
        ("audit", "no-such-folder"),
    ],
)
def test_fast_path_prints_what_typer_prints(demo_repo: Path, args: tuple[str, ...]) -> None:
    fast, slow = _run(_FAST, args, demo_repo), _run(_TYPER, args, demo_repo)
    assert (fast.code, fast.out, fast.err) == (slow.code, slow.out, slow.err)


def test_a_passing_check_loads_neither_typer_nor_rich(clean_repo: Path) -> None:
    result = _run(_MODULES, ("check", "--staged"), clean_repo)
    assert result.code == 0, result.err
    assert result.out.strip() == "[]"
    assert "no live credentials" in result.err


def test_a_json_audit_to_a_file_loads_neither_typer_nor_rich(clean_repo: Path) -> None:
    """CI runs ``audit --format json -o FILE``: no table is drawn, so rich is not paid for."""
    result = _run(_MODULES, ("audit", ".", "--format", "json", "-o", "report.json"), clean_repo)
    assert result.code == 0, result.err
    assert result.out.strip().splitlines()[-1] == "[]"
    assert '"findings"' in (clean_repo / "report.json").read_text()
