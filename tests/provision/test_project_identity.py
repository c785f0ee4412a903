"""One project-root rule for every command, and a project identity that survives ``mv``."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from fakeprovider import FakeProvider

from agentauth import project as proj
from agentauth.state import paths
from agentauth.state.ledger import Ledger

SOURCE = "API_TOKEN=tok_live_0123456789abcdef\nPORT=3000\n"
POLICY = "agent: bot\nttl: 1h\ncredentials:\n  API_TOKEN:\n    provider: fake\n    level: low\n"

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "src" / "deep").mkdir(parents=True)
    (root / ".env").write_text(SOURCE)
    (root / "agentauth.yaml").write_text(POLICY)
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "agentauth.yaml"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "policy"], cwd=root, check=True)
    return root


def test_find_root_walks_up_and_c_overrides(repo: Path, tmp_path: Path) -> None:
    assert proj.find_root(repo / "src" / "deep") == repo
    assert proj.find_root(repo / "src" / "deep", tmp_path) == tmp_path
    assert proj.find_root(tmp_path) == tmp_path


def test_provision_status_revoke_from_a_subfolder(repo: Path, cli: Cli, fake: FakeProvider) -> None:
    sub = repo / "src" / "deep"
    code, _out, err = cli("provision", "--yes", cwd=sub)
    assert code == 0, err
    assert (repo / ".env.ai").exists()
    assert not (sub / ".env.ai").exists()
    code, out, err = cli("status", "--format", "json", cwd=sub)
    assert code == 0, err
    grants = json.loads(out)["grants"]
    assert [g["agent"] for g in grants] == ["bot"]
    code, out, err = cli("revoke", "--agent", "bot", "--yes", cwd=sub)
    assert code == 0, err
    assert fake.revoked == [grants[0]["id"]]
    code, out, _err = cli("log", cwd=sub)
    assert code == 0
    assert "revoke" in out


def test_identity_survives_mv_and_no_duplicate(repo: Path, cli: Cli, fake: FakeProvider) -> None:
    assert cli("provision", "--yes", cwd=repo)[0] == 0
    before = Ledger(repo).grants()
    ident = paths.project_id(repo)
    assert ident
    moved = repo.with_name("project2")
    shutil.move(repo, moved)
    assert paths.project_id(moved) == ident
    assert [g.id for g in Ledger(moved).grants()] == [g.id for g in before]
    code, _out, err = cli("provision", "--yes", cwd=moved)
    assert code == 0, err
    assert fake.calls.count("apply") == 1  # kept, not issued twice
    data = json.loads(Ledger(moved).path.read_text())
    assert data["project_id"] == ident
    identity = json.loads((paths.project_dir(moved) / proj.IDENTITY_FILE).read_text())
    assert identity["root"] == str(moved.resolve())


def test_two_clones_are_two_projects(repo: Path, cli: Cli, fake: FakeProvider) -> None:
    assert cli("provision", "--yes", cwd=repo)[0] == 0
    clone = repo.with_name("clone")
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    (clone / ".env").write_text(SOURCE)
    assert paths.project_id(clone) is None
    assert Ledger(clone).grants() == []
    assert cli("provision", "--yes", cwd=clone)[0] == 0
    assert paths.project_id(clone) != paths.project_id(repo)
    assert len(Ledger(repo).grants()) == 1


def test_legacy_path_keyed_state_is_adopted(repo: Path, fake: FakeProvider) -> None:
    legacy = paths.home() / "projects" / "legacy"
    Ledger(repo).put(_any_grant())
    directory = paths.project_dir(repo)
    # Simulate a state directory written before project ids: no identity, no index.
    (directory / proj.IDENTITY_FILE).unlink()
    (paths.home() / "projects" / paths.INDEX_FILE).unlink()
    assert not legacy.exists()
    assert paths.project_dir(repo) == directory
    assert paths.project_id(repo)
    assert len(Ledger(repo).grants()) == 1


def test_status_all_projects(repo: Path, tmp_path: Path, cli: Cli, fake: FakeProvider) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / ".env").write_text(SOURCE)
    (other / "agentauth.yaml").write_text(POLICY.replace("bot", "helper"))
    assert cli("provision", "--yes", cwd=repo)[0] == 0
    assert cli("provision", "--yes", cwd=other)[0] == 0
    code, out, err = cli("status", "--all-projects", "--format", "json", cwd=tmp_path)
    assert code == 0, err
    grants = json.loads(out)["grants"]
    assert sorted((g["agent"], Path(g["project"]).name) for g in grants) == [
        ("bot", "project"),
        ("helper", "other"),
    ]
    code, out, _err = cli("status", "--all-projects", cwd=tmp_path)
    assert str(repo.resolve()) in out and str(other.resolve()) in out


def _any_grant():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from agentauth.model import Grant, GrantId, GrantStatus

    return Grant(GrantId("fa-00000001"), "bot", "fake", "API_TOKEN", datetime.now(UTC), None,
                 GrantStatus.ACTIVE, "fake")  # fmt: skip
