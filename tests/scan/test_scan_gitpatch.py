"""The ``git log -p --unified=0`` reader: hunks of added lines, from real git output."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from tests.support.gitrepo import git

from agentauth.engine.gitpatch import hunks
from agentauth.engine.history import log_arguments


def _log(repo: Path) -> bytes:
    return subprocess.run(
        ["git", *log_arguments()], cwd=repo, capture_output=True, check=True
    ).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """Commits whose added lines look like diff headers, lose their last newline, are
    removed beside additions, live in an odd path, and delete a file."""
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "a.txt").write_text("one\ntwo\nthree\n")
    (tmp_path / "tab\tname.txt").write_text("x\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "first")
    (tmp_path / "a.txt").write_text("one\n++ looks like a header\n@@ -1 +1 @@\nthree")
    (tmp_path / "b.txt").write_text("-- b\n+++ b/fake\n")
    git(tmp_path, "rm", "-q", "tab\tname.txt")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "second")
    return tmp_path


def _added(data: bytes, block_bytes: int = 1 << 20) -> list[tuple[str, int, list[str]]]:
    return [
        (h.path, h.first, h.text.decode().splitlines())
        for h in hunks(io.BytesIO(data), block_bytes)
    ]


def test_every_added_line_with_its_path_and_number_and_nothing_else(repo: Path) -> None:
    added = _added(_log(repo))
    assert added == [
        ("a.txt", 1, ["one", "two", "three"]),
        ("tab\tname.txt", 1, ["x"]),
        ("a.txt", 2, ["++ looks like a header", "@@ -1 +1 @@", "three"]),
        ("b.txt", 1, ["-- b", "+++ b/fake"]),
    ]


@pytest.mark.parametrize("block_bytes", [1, 7, 64, 4096])
def test_blocks_of_any_size_give_the_same_hunks(repo: Path, block_bytes: int) -> None:
    data = _log(repo)
    assert _added(data, block_bytes) == _added(data)


def test_each_hunk_counts_its_lines_and_ends_in_a_newline(repo: Path) -> None:
    for hunk in hunks(io.BytesIO(_log(repo))):
        assert hunk.text.endswith(b"\n")
        assert hunk.text.count(b"\n") == hunk.count
        assert len(hunk.commit.sha) == 40 and hunk.commit.date.endswith("+00:00")
