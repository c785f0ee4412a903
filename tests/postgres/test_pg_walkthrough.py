"""docs/walkthrough-postgres.md §5 shows psql's answers: run those very commands as the agent."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from pgshop import Shop

pytestmark = pytest.mark.postgres

DOC = Path(__file__).resolve().parents[2] / "docs" / "walkthrough-postgres.md"


def _section_five() -> list[tuple[str, str]]:
    """(command, the ERROR line the doc shows for it) for every psql line of §5."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## 5.", 1)[1].split("\n## ", 1)[0]
    pairs: list[tuple[str, str]] = []
    command = ""
    for line in section.splitlines():
        if line.startswith('$ psql "$DATABASE_URL"'):
            command = line[2:]
        elif line.startswith("ERROR:") and command:
            pairs.append((command, re.sub(r"\s+", " ", line)))
            command = ""
    return pairs


@pytest.mark.skipif(shutil.which("psql") is None, reason="psql is not installed")
def test_section_five_errors_are_what_psql_says(
    shop: Shop,
    cli: Callable[..., tuple[int, str, str]],
    read_env_ai: Callable[[Path], dict[str, str]],
) -> None:
    pairs = _section_five()
    assert len(pairs) == 3
    shop.write_policy("  DATABASE_URL:\n    provider: postgres\n    schemas: [public]\n")
    assert cli("provision", "--yes", "-C", str(shop.project))[0] == 0
    url = read_env_ai(shop.project)["DATABASE_URL"]
    for command, shown in pairs:
        argv = [url if a == "$DATABASE_URL" else a for a in shlex.split(command)]
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=30, check=False,
            env={"PATH": os.environ.get("PATH", ""), "HOME": os.environ["HOME"]},
        )  # fmt: skip
        errors = [re.sub(r"\s+", " ", e) for e in done.stderr.splitlines() if "ERROR" in e]
        assert errors and errors[0].endswith(shown.removeprefix("ERROR: ")), (command, errors)
