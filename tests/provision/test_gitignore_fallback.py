"""Outside git, ``.env.ai`` is called ignored only when git's own rules would ignore it.

The fallback used to look for a literal ``.env.ai`` line in the root ``.gitignore``
and missed ``!`` negations (issue 15 Low). :mod:`agentauth.config.gitignore` is held to
git itself: the same trees are asked of ``git check-ignore --no-index`` in a
repository and of the matcher.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support.gitrepo import git

from agentauth import gitcmd
from agentauth.config import envwrite
from agentauth.config.gitignore import ignored

TREES: list[dict[str, str]] = [
    {".gitignore": ".env.ai\n"},
    {".gitignore": "/.env.ai\n"},
    {".gitignore": ".env.ai\n", "sub/.gitignore": "!.env.ai\n"},
    {".gitignore": ".env.ai\n!sub/.env.ai\n"},
    {".gitignore": "*.ai\n!.env.ai\n"},
    {".gitignore": "sub/\n!sub/.env.ai\n"},  # a folder ignored: no re-include inside it
    {".gitignore": "**/.env.*\n"},
    {".gitignore": "sub/**\n"},
    {".gitignore": "sub/*.ai\n"},
    {".gitignore": "/sub/deep/.env.ai\n"},
    {".gitignore": ".env.a[ij]\n"},
    {".gitignore": ".env.ai/\n"},  # folders only: a file is not ignored
    {".gitignore": "\\!.env.ai\n#.env.ai\n"},
    {".gitignore": ".env.ai   \n"},  # trailing spaces are not part of the pattern
    {"sub/.gitignore": ".env.ai\n", "sub/deep/.gitignore": "!/.env.ai\n"},
    {".gitignore": "deep\n"},
]
PATHS = [".env.ai", "sub/.env.ai", "sub/deep/.env.ai", "!.env.ai"]


def _tree(root: Path, files: dict[str, str]) -> None:
    (root / "sub" / "deep").mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")


def _git_says(root: Path, path: str) -> bool:
    code = gitcmd.returncode(root, "check-ignore", "-q", "--no-index", "--", path)
    assert code in (0, 1), code
    return code == 0


@pytest.mark.parametrize("files", TREES, ids=[" | ".join(t.values()).strip() for t in TREES])
def test_the_matcher_agrees_with_git(tmp_path: Path, files: dict[str, str]) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    _tree(repo, files)
    plain = tmp_path / "plain"
    plain.mkdir()
    _tree(plain, files)
    for path in PATHS:
        assert ignored(path, plain) is _git_says(repo, path), path


def test_outside_git_a_nested_negation_gets_its_own_entry(tmp_path: Path) -> None:
    project = tmp_path / "project"
    _tree(project, {".gitignore": ".env.ai\n", "sub/.gitignore": "!.env.ai\n"})
    out = project / "sub" / ".env.ai"
    assert not ignored("sub/.env.ai", project)  # the old fallback said "ignored" here
    assert envwrite.ensure_gitignored(out, project) is True
    assert "/.env.ai" in (project / "sub" / ".gitignore").read_text()
    assert ignored("sub/.env.ai", project)
    # And git, once the project becomes a repository, agrees.
    git(project, "init", "-q")
    assert _git_says(project, "sub/.env.ai")


def test_outside_git_a_plain_entry_is_not_added_twice(tmp_path: Path) -> None:
    project = tmp_path / "project"
    _tree(project, {".gitignore": "/.env.ai\n"})
    assert envwrite.ensure_gitignored(project / ".env.ai", project) is False
    assert (project / ".gitignore").read_text() == "/.env.ai\n"


@pytest.mark.timeout(10)
def test_a_fifo_named_gitignore_neither_hangs_nor_counts(tmp_path: Path) -> None:
    import os

    _tree(tmp_path, {".gitignore": ".env.ai\n"})
    os.mkfifo(tmp_path / "sub" / ".gitignore")
    assert ignored("sub/.env.ai", tmp_path) is True
