"""The installed console script: real streams, no SDK imported on the audit path, no leaks."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.cli_audit.cli_audit_helpers import DEMO, assert_no_secret

HEAVY = ("boto3", "botocore", "psycopg", "github", "stripe", "pymysql", "redis", "keyring", "yaml")


def _modules_loaded_by(args: list[str], cwd: Path) -> set[str]:
    code = (
        "import sys\n"
        "from agentauth.cli.app import main\n"
        f"sys.argv = ['agentauth', *{args!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print('LOADED=' + ','.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, check=False
    )
    line = [x for x in done.stderr.splitlines() if x.startswith("LOADED=")][-1]
    return {m for m in line.removeprefix("LOADED=").split(",") if m}


@pytest.mark.parametrize(
    "args", [["--help"], ["audit", "--help"], ["audit", str(DEMO), "-q"], ["check", "--help"]]
)
def test_no_sdk_is_imported(args: list[str], tmp_path: Path) -> None:
    assert _modules_loaded_by(args, tmp_path) == set()


@pytest.mark.parametrize("fmt", ["table", "json", "sarif"])
def test_console_script_never_prints_a_secret(
    cli_process: Callable[..., Any], fmt: str, secrets_of_demo: tuple[str, ...]
) -> None:
    result = cli_process("audit", str(DEMO), "--format", fmt, "--environ", "--verbose")
    assert result.code == 0, result.err
    assert result.out.strip()
    if fmt != "table":
        json.loads(result.out)
    assert_no_secret(result.both, secrets_of_demo)


def test_console_script_exit_codes(cli_process: Callable[..., Any], tmp_path: Path) -> None:
    assert cli_process("audit", str(DEMO), "-q", "--fail-on", "high").code == 1
    assert cli_process("audit", str(DEMO), "-q").code == 0
    missing = cli_process("audit", str(tmp_path / "missing"))
    assert missing.code == 2
    assert missing.err.count("\n") == 1 and "does not exist" in missing.err
    assert cli_process("audit", "--no-such-flag").code == 2
    assert cli_process("audit", str(DEMO), "--format", "xml").code == 2
