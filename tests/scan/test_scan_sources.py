"""File selection: what the audit reads, what it skips, and why (agentauth.engine.sources)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from tests.support.gitrepo import git as _git

from agentauth.engine import sources
from agentauth.errors import ConfigError
from agentauth.model import Skip


def _write(root: Path, rel: str, content: str | bytes = "x = 1\n") -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def _rels(selection: sources.Selection) -> set[str]:
    return {f.rel for f in selection.files}


def test_gitignored_env_and_secret_files_are_selected(project: Path) -> None:
    _git(project, "init", "-q")
    _write(project, ".gitignore", ".env\n*.pem\nterraform.tfvars\n.npmrc\n")
    for rel in (
        ".env",
        ".env.local",
        ".envrc",
        ".dev.vars",
        "key.pem",
        "terraform.tfvars",
        ".npmrc",
        "app/settings.py",
        "credentials.json",
        ".git-credentials",
    ):
        _write(project, rel)
    rels = _rels(sources.select(project))
    assert {
        ".env",
        ".env.local",
        ".envrc",
        ".dev.vars",
        "key.pem",
        "terraform.tfvars",
        ".npmrc",
        "app/settings.py",
        "credentials.json",
        ".git-credentials",
    } <= rels
    assert not any(r.startswith(".git/") for r in rels)
    env = {f.rel for f in sources.select(project).files if f.env}
    assert env == {".env", ".env.local", ".envrc", ".dev.vars"}


def test_dependency_and_cache_folders_are_skipped_and_counted(project: Path) -> None:
    for rel in (
        "node_modules/pkg/index.js",
        ".venv/lib/x.py",
        "__pycache__/a.py",
        "src/pkg.egg-info/PKG-INFO",
        "vendor/bundle/ruby/3.2.0/gems/x.rb",
        "src/main.py",
    ):
        _write(project, rel)
    selection = sources.select(project)
    assert _rels(selection) == {"src/main.py"}
    note = " ".join(selection.notes)
    assert "node_modules (1)" in note and "*.egg-info (1)" in note


def test_virtualenv_under_any_name_is_skipped(project: Path) -> None:
    _write(project, ".env/pyvenv.cfg", "home = /usr/bin\n")  # an old-style venv called .env
    _write(project, ".env/lib/site.py")
    _write(project, "main.py")
    selection = sources.select(project)
    assert _rels(selection) == {"main.py"}
    assert "virtualenv (1)" in " ".join(selection.notes)


def test_custom_excludes_add_and_remove(project: Path) -> None:
    for rel in ("fixtures/a.py", "docs/generated/b.py", "docs/c.py", "coverage/d.py", "e.py"):
        _write(project, rel)
    rels = _rels(sources.select(project, exclude_dirs=("fixtures", "docs/generated", "!coverage")))
    assert rels == {"docs/c.py", "coverage/d.py", "e.py"}
    everything = _rels(sources.select(project, default_excludes=False))
    assert "coverage/d.py" in everything
    assert _rels(sources.select(project, exclude_dirs=("doc*",))) == {"fixtures/a.py", "e.py"}


def test_binaries_by_extension_skipped_but_lockfiles_and_env_read(project: Path) -> None:
    _write(project, "package-lock.json", "{}")
    _write(project, "go.sum", "x")
    _write(project, "logo.png", b"\x89PNG\r\n\x1a\n\0\0")
    _write(project, "prod.env", "A=1\n")
    _write(project, "app.js")
    selection = sources.select(project)
    assert _rels(selection) == {"prod.env", "app.js", "package-lock.json", "go.sum"}
    assert "1 binary file(s) by extension" in selection.notes[0]


def test_folders_that_hold_credentials_are_read(project: Path) -> None:
    """Build output, caches, vendored code, Terraform and direnv state: an agent reads them."""
    kept = (
        ".cache/gh/hosts.yml",
        "vendor/acme/config.php",
        "dist/bundle.js",
        "build/env.js",
        "out/server.js",
        "target/classes/application.properties",
        ".terraform/terraform.tfstate",
        ".direnv/env.sh",
    )
    for rel in kept:
        _write(project, rel)
    _write(project, ".direnv/python-3.11/pyvenv.cfg", "home = /usr/bin\n")
    _write(project, ".direnv/python-3.11/lib/site.py")
    assert _rels(sources.select(project)) == set(kept)


def test_binary_content_skipped_with_reason_env_file_read_anyway(project: Path) -> None:
    _write(project, "blob.dat", b"abc\0def")
    _write(project, ".env.production", b"KEY=va\0lue\n")
    selection = sources.select(project)
    by_rel = {f.rel: f for f in selection.files}
    skip = sources.read(by_rel["blob.dat"])
    assert isinstance(skip, Skip) and "binary" in skip.reason
    text = sources.read(by_rel[".env.production"])
    assert isinstance(text, str) and text.startswith("KEY=")


def test_oversized_skipped_with_note_env_exempt(project: Path) -> None:
    _write(project, "big.json", "a" * 5000)
    _write(project, ".env", "A=" + "b" * 5000 + "\n")
    selection = sources.select(project, max_file_bytes=1000)
    assert _rels(selection) == {".env"}
    (skip,) = selection.skipped
    assert (
        skip.path == "big.json" and "too large" in skip.reason and "--max-file-size" in skip.reason
    )


def test_fifo_and_unreadable_files_give_a_skip_not_a_traceback(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    os.mkfifo(project / "pipe")
    _write(project, "locked.py")
    selection = sources.select(project)
    assert any(s.path == "pipe" and "FIFO" in s.reason for s in selection.skipped)
    locked = next(f for f in selection.files if f.rel == "locked.py")

    read_at_most = sources.read_at_most

    def deny(path: str, *args: Any) -> bytes:
        if str(path).endswith("locked.py"):
            raise PermissionError(13, "Permission denied")
        return read_at_most(path, *args)

    # NOTE: tests run as root, where chmod 000 does not stop a read; fail the open instead.
    monkeypatch.setattr(sources, "read_at_most", deny)
    result = sources.read(locked)
    assert isinstance(result, Skip) and result.reason == "unreadable: Permission denied"


def test_a_file_swapped_for_a_fifo_after_the_walk_is_read_without_hanging(project: Path) -> None:
    _write(project, "swapped.py")
    (listed,) = [f for f in sources.select(project).files if f.rel == "swapped.py"]
    (project / "swapped.py").unlink()
    os.mkfifo(project / "swapped.py")
    assert sources.read(listed) == ""  # NOTE: a non-blocking open: no writer reads as empty


def test_a_file_that_grew_after_the_walk_is_read_whole_or_skipped(project: Path) -> None:
    _write(project, "grew.py")
    (listed,) = [f for f in sources.select(project).files if f.rel == "grew.py"]
    (project / "grew.py").write_text("x = 1\n" * 5000)
    assert sources.read(listed) == "x = 1\n" * 5000
    too_big = sources.read(listed, max_file_bytes=1000)
    assert isinstance(too_big, Skip) and too_big.reason.startswith("too large")


def test_unreadable_subfolder_is_a_skip(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(project, "secret/a.py")
    _write(project, "b.py")
    real_scandir = os.scandir

    def deny(path: object) -> object:
        if str(path).endswith("secret"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", deny)
    selection = sources.select(project)
    assert _rels(selection) == {"b.py"}
    assert Skip("secret", "unreadable folder: Permission denied") in selection.skipped


def test_symlink_loops_terminate_and_outside_links_are_not_followed(
    project: Path, tmp_path: Path
) -> None:
    _write(project, "a/b/c.py")
    (project / "a/b/loop").symlink_to(project / "a")
    (project / "self").symlink_to(project)
    outside = tmp_path / "outside"
    _write(outside, "huge.py")
    (project / "ext").symlink_to(outside)
    _write(outside, "secrets.env", "K=v\n")
    (project / "linked.env").symlink_to(outside / "secrets.env")
    (project / "dangling").symlink_to(project / "nope")
    (project / "c-link.py").symlink_to(project / "a/b/c.py")
    selection = sources.select(project)
    # the file linked from outside is readable by an agent here, so it is scanned;
    # a link to a file inside the root is scanned once, where it lives
    assert _rels(selection) == {"a/b/c.py", "linked.env"}
    reasons = {s.path: s.reason for s in selection.skipped}
    assert "loop" in reasons["a/b/loop"] and "loop" in reasons["self"]
    assert "outside" in reasons["ext"]
    assert "broken" in reasons["dangling"]


def test_named_paths_must_exist(project: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        sources.select(project / "missing")
    with pytest.raises(ConfigError, match="does not exist"):
        sources.select(project, paths=(Path("nope.py"),))
    os.mkfifo(project / "pipe")
    with pytest.raises(ConfigError, match="FIFO"):
        sources.select(project, paths=(Path("pipe"),))


def test_named_paths_bypass_folder_excludes(project: Path) -> None:
    _write(project, "node_modules/x/config.js")
    _write(project, "other.py")
    selection = sources.select(project, paths=(Path("node_modules/x/config.js"),))
    assert _rels(selection) == {"node_modules/x/config.js"}


def test_root_may_be_a_single_file(project: Path) -> None:
    env = _write(project, ".env", "A=1\n")
    selection = sources.select(env)
    assert [(f.rel, f.env) for f in selection.files] == [(".env", True)]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xef\xbb\xbfA=1\r\nB=2\r\n", "A=1\r\nB=2\r\n"),
        ("A=caf\xe9\n".encode("latin-1"), "A=caf\xe9\n"),
        ("A=café\n".encode(), "A=café\n"),
        ("\ufeffA=1\nB=2\n".encode("utf-16-le"), "A=1\nB=2\n"),
    ],
)
def test_decode_keeps_lines(data: bytes, expected: str) -> None:
    assert sources.decode(data) == expected


def test_compose_env_files_are_env_files(project: Path) -> None:
    _write(
        project,
        "docker-compose.yml",
        "services:\n  web:\n    env_file: config/web.vars\n"
        "  db:\n    env_file:\n      - path: ./secrets/db.txt\n        required: false\n"
        "      - missing.env\n",
    )
    _write(project, "config/web.vars", "A=1\n")
    _write(project, "build/secrets/db.txt", "B=2\n")
    _write(project, "secrets/db.txt", "B=2\n")
    selection = sources.select(project)
    env = {f.rel for f in selection.files if f.env}
    assert env == {"config/web.vars", "secrets/db.txt"}
    assert any("missing.env does not exist" in n for n in selection.notes)


def test_compose_env_file_in_excluded_folder_is_still_read(project: Path) -> None:
    _write(project, "compose.yaml", "services:\n  app:\n    env_file: [build/app.env.txt]\n")
    _write(project, "build/app.env.txt", "A=1\n")
    assert "build/app.env.txt" in _rels(sources.select(project))


def test_git_tracked_only(project: Path) -> None:
    _git(project, "init", "-q")
    _write(project, ".gitignore", ".env\n")
    _write(project, ".env", "A=1\n")
    _write(project, "tracked.py")
    _write(project, "untracked.py")
    _write(project, "gone.py")
    _git(project, "add", ".gitignore", "tracked.py", "gone.py")
    (project / "gone.py").unlink()
    assert _rels(sources.select(project, git_tracked_only=True)) == {".gitignore", "tracked.py"}


def test_git_tracked_in_a_subfolder_of_the_repo(project: Path) -> None:
    _git(project, "init", "-q")
    _write(project, "sub/a.py")
    _write(project, "b.py")
    _git(project, "add", ".")
    assert _rels(sources.select(project / "sub", git_tracked_only=True)) == {"a.py"}


def test_staged_only_reads_staged_content(project: Path) -> None:
    _git(project, "init", "-q")
    _write(project, "committed.py", "old\n")
    _git(project, "add", ".")
    _git(project, "commit", "-qm", "one")
    _write(project, "committed.py", "staged\n")
    _write(project, "new.env", "A=staged\n")
    _write(project, "sub/deep.py", "deep\n")
    _git(project, "add", ".")
    _write(project, "committed.py", "working tree\n")
    _write(project, "unstaged.py", "nope\n")
    selection = sources.select(project, staged_only=True)
    texts = {f.rel: sources.read(f) for f in selection.files}
    assert texts == {"committed.py": "staged\n", "new.env": "A=staged\n", "sub/deep.py": "deep\n"}
    # staged content in a subfolder, paths relative to it
    sub = sources.select(project / "sub", staged_only=True)
    assert [(f.rel, sources.read(f)) for f in sub.files] == [("deep.py", "deep\n")]


def test_staged_in_a_repo_without_commits_and_explicit_paths(project: Path) -> None:
    _git(project, "init", "-q")
    _write(project, "a.py", "a\n")
    _write(project, "b.py", "b\n")
    _git(project, "add", ".")
    selection = sources.select(project, staged_only=True, paths=(Path("a.py"),))
    assert _rels(selection) == {"a.py"}


def test_git_modes_outside_a_repo_are_config_errors(project: Path) -> None:
    _write(project, "a.py")
    with pytest.raises(ConfigError, match="not inside a git work tree"):
        sources.select(project, git_tracked_only=True)
    with pytest.raises(ConfigError, match="not inside a git work tree"):
        sources.select(project, staged_only=True)


def test_unreadable_root_is_a_config_error(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def deny(path: object) -> object:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "scandir", deny)
    with pytest.raises(ConfigError, match=r"cannot read .*Permission denied"):
        sources.select(project)


@pytest.mark.parametrize(
    "data",
    [
        b"KEY=value\n",
        "caf\u00e9 = '\u2603'\n".encode(),
        b"\xef\xbb\xbfTOKEN=x\n",
        "TOKEN=x\n".encode("utf-16"),
        b"latin-1 \xe9\xff\n",
        b"",
    ],
)
def test_the_detectors_bytes_are_the_decoded_texts_and_no_copy_when_already_utf8(
    data: bytes,
) -> None:
    from agentauth.engine.filekinds import decode, utf8

    assert utf8(data) == decode(data).encode("utf-8", "surrogatepass")
    try:
        plain = not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe")) and bool(data.decode())
    except UnicodeDecodeError:
        plain = False
    if plain:
        assert utf8(data) is data
