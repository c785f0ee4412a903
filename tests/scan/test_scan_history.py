"""Git history on a real temporary repository: a key committed and later removed is found.

``audit --history`` reads every reachable commit, ``--since REF`` those after REF, and
``check --range BASE..HEAD`` the commits of a branch (a key added then removed inside the
branch still fails). Findings carry the commit, its date and whether the value is still
in the tree.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.support.gitrepo import git as _git


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agentauth", *args],
        cwd=root,
        env={**os.environ, "COLUMNS": "120"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _repo(project: Path, keys: Any) -> dict[str, str]:
    """main: a clean commit; then a key added, then removed; a kept key on top."""
    _git(project, "init", "-q", "-b", "main")
    (project / "app.py").write_text("print('hello')\n")
    _git(project, "add", ".")
    _git(project, "commit", "-q", "-m", "start")
    base = _git(project, "rev-parse", "HEAD")
    _git(project, "checkout", "-q", "-b", "feature")
    (project / "config.py").write_text(f'import os\n\nSTRIPE_SECRET_KEY = "{keys.stripe}"\n')
    _git(project, "add", ".")
    _git(project, "commit", "-q", "-m", "add key")
    added = _git(project, "rev-parse", "HEAD")
    (project / "config.py").write_text('import os\n\nSTRIPE_SECRET_KEY = os.environ["K"]\n')
    _git(project, "commit", "-q", "-am", "remove key")
    (project / "deploy.py").write_text(f'TOKEN = "{keys.github}"\n')
    _git(project, "add", ".")
    _git(project, "commit", "-q", "-m", "kept token")
    kept = _git(project, "rev-parse", "HEAD")
    return {"base": base, "added": added, "kept": kept}


def test_audit_history_finds_a_removed_key_with_its_commit(project: Path, keys: Any) -> None:
    commits = _repo(project, keys)
    plain = json.loads(_cli(project, "audit", "-f", "json").stdout)
    assert {f["file"] for f in plain["findings"]} == {"deploy.py"}
    done = _cli(project, "audit", "--history", "-f", "json")
    assert done.returncode == 0, done.stderr[-2000:]
    assert keys.stripe not in done.stdout and keys.github not in done.stdout
    by_file = {f["file"]: f for f in json.loads(done.stdout)["findings"]}
    removed = by_file["config.py"]
    assert removed["rule_id"] == "stripe-secret-key" and removed["line"] == 3
    assert removed["commit"] == commits["added"] and removed["in_tree"] is False
    assert removed["commit_date"].startswith("20")
    kept = by_file["deploy.py"]
    assert kept["commit"] == commits["kept"] and kept["in_tree"] is True
    assert len(by_file) == 2  # the kept token is one finding, not a tree one and a past one
    table = _cli(project, "audit", "--history")
    assert f"added in commit {commits['added'][:12]}" in table.stdout
    assert "no longer in the tree" in table.stdout


def test_since_limits_the_commits(project: Path, keys: Any) -> None:
    commits = _repo(project, keys)
    done = _cli(project, "audit", "--since", commits["added"], "-f", "json")
    assert done.returncode == 0, done.stderr[-2000:]
    files = {f["file"] for f in json.loads(done.stdout)["findings"]}
    assert files == {"deploy.py"}  # the key was added at REF itself, not after it


def test_check_range_fails_on_a_key_added_and_removed_inside_the_branch(
    project: Path, keys: Any
) -> None:
    commits = _repo(project, keys)
    _git(project, "rm", "-q", "deploy.py")
    _git(project, "commit", "-q", "-m", "drop token")
    assert _cli(project, "check").returncode == 0  # the tree is clean now
    done = _cli(project, "check", "--range", f"{commits['base']}..HEAD", "-f", "json")
    assert done.returncode == 1, done.stderr[-2000:]
    findings = json.loads(done.stdout)["findings"]
    assert {(f["file"], f["in_tree"]) for f in findings} == {
        ("config.py", False),
        ("deploy.py", False),
    }
    sarif = _cli(project, "check", "--range", f"{commits['base']}..HEAD", "-f", "sarif")
    assert sarif.returncode == 1
    props = [r["properties"] for r in json.loads(sarif.stdout)["runs"][0]["results"]]
    assert {p["commit"] for p in props} == {commits["added"], commits["kept"]}
    clean = _cli(project, "check", "--range", f"{commits['kept']}..HEAD")
    assert clean.returncode == 0, clean.stdout + clean.stderr


def test_a_bad_range_is_a_usage_error(project: Path, keys: Any) -> None:
    _repo(project, keys)
    assert _cli(project, "check", "--range", "--output=x").returncode == 2
    done = _cli(project, "check", "--range", "nope..HEAD")
    assert done.returncode == 2 and "Traceback" not in done.stderr
