"""agentauth.gitcmd, the one place git is started: its questions never raise, its reads do."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support.gitrepo import git

from agentauth import gitcmd


def _repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    git(root, "commit", "-q", "--allow-empty", "-m", "first")
    return root


def test_answer_and_returncode_in_a_repository(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    head = gitcmd.answer(root, "rev-parse", "--verify", "-q", "HEAD")
    assert head is not None
    assert len(head) in (40, 64)
    assert gitcmd.returncode(root, "rev-parse", "--is-inside-work-tree") == 0
    assert gitcmd.read(root, "rev-parse", "HEAD").decode().strip() == head


def test_outside_a_repository_questions_say_none_and_reads_name_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    monkeypatch.setenv("LANG", "de_DE.UTF-8")  # the message is matched in any locale
    assert gitcmd.answer(tmp_path, "rev-parse", "HEAD") is None
    assert gitcmd.returncode(tmp_path, "rev-parse", "HEAD") == 128
    with pytest.raises(gitcmd.GitError) as info:
        gitcmd.read(tmp_path, "-c", "core.quotePath=false", "ls-files")
    assert info.value.not_a_repository
    assert info.value.command == "ls-files"
    assert not info.value.missing


def test_without_git_questions_say_none_and_reads_say_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    assert gitcmd.answer(tmp_path, "rev-parse", "HEAD") is None
    assert gitcmd.returncode(tmp_path, "status") is None
    with pytest.raises(gitcmd.GitError) as info:
        gitcmd.read(tmp_path, "ls-files")
    assert info.value.missing
    with pytest.raises(gitcmd.GitError):
        gitcmd.popen(tmp_path, "log")


def test_git_never_prompts_and_never_takes_optional_locks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_TERMINAL_PROMPT", "1")
    env = gitcmd.environment()
    assert env["GIT_TERMINAL_PROMPT"] == "0"
    assert env["GIT_OPTIONAL_LOCKS"] == "0"
    assert env["LC_ALL"] == "C"
    assert env["PATH"]  # the developer's environment otherwise


def test_a_silent_failure_still_names_the_command() -> None:
    failed = gitcmd.failure(["-c", "core.quotePath=false", "log", "-p"], 129, b"")
    assert str(failed) == "git log: git log exited with 129"
    assert not failed.not_a_repository
