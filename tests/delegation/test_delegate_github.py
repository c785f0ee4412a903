"""Delegated GitHub tokens against the local GitHub API stub (tests/github).

The parent is provisioned through the App path (contents:write and pull_requests:read
on acme/web and acme/api); the child asks for contents:read on acme/web and gets an
installation token minted with exactly that body, which the stub refuses a write and
the other repository, both of which the parent's token may do. Exceeding the parent
reaches no API; a pasted-PAT parent is refused with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from github import Auth, Github, GithubException
from tests.delegation.kit import delegate, provision_parent
from tests.github.conftest import GitHubStub, app_key, key_file, stub
from tests.run.conftest import test_keyring

from agentauth.model import GrantStatus
from agentauth.state.ledger import Ledger

__all__ = ["app_key", "key_file", "stub", "test_keyring"]
Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def session(stub: GitHubStub, key_file: Path, project: Path, cli: Cli,
            test_keyring: Path) -> dict[str, str]:  # fmt: skip
    """Provision the App-backed parent through the CLI; return its session environment.

    With the file-backed test keyring, so that each minted token is kept for revoke.
    """
    (project / ".env").write_text("APP_NAME=demo\n")
    (project / "agentauth.yaml").write_text(
        "version: 1\nagent: claude-code\nttl: 2h\ncredentials:\n  GITHUB_TOKEN:\n"
        "    provider: github\n    mode: app\n    app_id: 4242\n"
        f"    private_key_file: {key_file}\n    api_url: {stub.url}\n"
        "    repositories: [acme/web, acme/api]\n"
        "    permissions: {contents: write, pull_requests: read}\n"
    )
    return provision_parent(cli, project)


def _repo(stub: GitHubStub, token: str, name: str) -> Any:
    return Github(auth=Auth.Token(token), base_url=stub.url, retry=0).get_repo(name)


def test_the_child_token_is_minted_for_the_subset_and_refused_what_only_the_parent_may_do(
    stub: GitHubStub, project: Path, session: dict[str, str]
) -> None:
    made = delegate(project, session, "GITHUB_TOKEN=acme/web,contents:read")
    mint = stub.calls("POST", r"/app/installations/777/access_tokens")[-1]
    assert mint.body == {"repositories": ["web"],
                         "permissions": {"contents": "read", "metadata": "read"}}  # fmt: skip
    child = made.env["GITHUB_TOKEN"]
    assert child.startswith("ghs_") and child != session["GITHUB_TOKEN"]
    repo = _repo(stub, child, "acme/web")
    assert repo.get_contents("README.md").content == "aGVsbG8="
    with pytest.raises(GithubException) as write:
        repo.create_file("child.txt", "child write", "nope")
    assert write.value.status == 403
    with pytest.raises(GithubException) as other:
        _repo(stub, child, "acme/api")
    assert other.value.status == 404
    parent = _repo(stub, session["GITHUB_TOKEN"], "acme/web")
    parent.create_file("parent.txt", "parent write", "ok")
    assert ("acme/web", "parent.txt") in stub.files
    assert _repo(stub, session["GITHUB_TOKEN"], "acme/api").full_name == "acme/api"
    (grant,) = made.grants
    (root,) = [g for g in Ledger(project).grants() if g.parent is None]
    assert grant.parent == root.id and grant.agent == "claude-code>reviewer"
    assert grant.objects["repositories"] == ["acme/web"]


def test_a_repository_or_permission_beyond_the_parent_is_refused_before_any_mint(
    stub: GitHubStub, project: Path, session: dict[str, str]
) -> None:
    mints = len(stub.calls("POST", r"/app/installations/.*"))
    with pytest.raises(Exception, match="repository acme/secret-infra exceeds what claude-code"):
        delegate(project, session, "GITHUB_TOKEN=acme/secret-infra")
    with pytest.raises(Exception, match="permission pull_requests:write exceeds"):
        delegate(project, session, "GITHUB_TOKEN=pull_requests:write")
    with pytest.raises(Exception, match="permission issues:read exceeds"):
        delegate(project, session, "GITHUB_TOKEN=acme/web,issues:read")
    assert len(stub.calls("POST", r"/app/installations/.*")) == mints
    assert len(Ledger(project).grants()) == 1


def test_revoking_the_parent_deletes_the_child_token_too(
    stub: GitHubStub, project: Path, session: dict[str, str], cli: Cli
) -> None:
    made = delegate(project, session, "GITHUB_TOKEN=acme/web")
    (root,) = [g for g in Ledger(project).grants() if g.parent is None]
    code, out, err = cli("revoke", root.id, "--yes", "-C", str(project))
    assert code == 0, out + err
    assert stub.tokens[made.env["GITHUB_TOKEN"]].revoked
    assert Ledger(project).get(made.grants[0].id).status is GrantStatus.REVOKED  # type: ignore[union-attr]


def test_a_pasted_token_parent_cannot_be_narrowed(project: Path) -> None:
    from tests.delegation.test_provider_subsets import PARENT

    from agentauth.model import Action, CredentialPolicy
    from agentauth.providers.github.delegate import NARROWING

    entry = CredentialPolicy("GITHUB_TOKEN", Action.PROVISION, "github",
                             {"mode": "pat", "repositories": ["acme/web"],
                              "permissions": {"contents": "read"}}, line=1)  # fmt: skip
    with pytest.raises(Exception, match=r"pasted token \(mode: pat\) cannot be narrowed"):
        NARROWING.narrow(entry, PARENT, ["acme/web"])
