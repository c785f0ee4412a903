"""Running git in a test's throwaway repository, with a fixed author (no git config needed)."""

from __future__ import annotations

import subprocess
from pathlib import Path

IDENTITY = (
    "-c", "user.email=t@example.com", "-c", "user.name=t",
    "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false",
)  # fmt: skip
"""Who commits in tests (CI machines have no ``user.name``), unsigned, on branch main."""


def git(root: Path, *args: str) -> str:
    """Run ``git ARGS`` in ``root`` (raises when it fails); return its stripped stdout.

    Output is decoded with replacement: hostile-name tests commit files whose names
    are not UTF-8, and git echoes them.
    """
    done = subprocess.run(
        ["git", *IDENTITY, *args], cwd=root, check=True, capture_output=True, text=True,
        errors="replace",
    )  # fmt: skip
    return done.stdout.strip()
