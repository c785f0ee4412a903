"""The GitHub provider through the real CLI: provision (--dry-run, --yes), status, run, revoke."""

from __future__ import annotations

import io
import json
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError
from tests.support.cli import Result, in_process

from agentauth.config.envfile import parse, read_text, values


class MemoryKeyring(KeyringBackend):
    """A keyring backend in memory: stands in for the OS keyring without touching it."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        """Start empty."""
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        """Return the stored password."""
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        """Store a password."""
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        """Delete a password; missing is an error, as in real backends."""
        if self.entries.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


@pytest.fixture
def ring() -> Iterator[MemoryKeyring]:
    """Install the in-memory keyring for one test, then put the previous one back."""
    previous = keyring.get_keyring()
    fake = MemoryKeyring()
    keyring.set_keyring(fake)
    yield fake
    keyring.set_keyring(previous)


DEV_TOKEN = "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"  # the developer's own (checksum-valid)


def _write_project(project: Path, stub: Any, entry: str) -> None:
    (project / ".env").write_text(f"GITHUB_TOKEN={DEV_TOKEN}\nAPP_NAME=demo\n")
    (project / "agentauth.yaml").write_text(
        "version: 1\n"
        "agent: claude-code\n"
        "source: .env\n"
        "output: .env.ai\n"
        "ttl: 8h\n"
        "credentials:\n"
        "  GITHUB_TOKEN:\n"
        "    provider: github\n"
        '    repositories: ["acme/web"]\n'
        "    permissions: {contents: read, pull_requests: write}\n"
        f"    api_url: {stub.url}\n" + entry
    )


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    """Run the real console entry point (error funnel included) in ``project``."""
    run_in_process = in_process(monkeypatch, capsys)

    def run(project: Path | None, *args: str, stdin: str | None = None) -> Result:
        where = ["--project", str(project)] if project is not None else []
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin or ""))
        return run_in_process(*args, *where)

    return run


def _state_text(project: Path) -> str:
    """Everything agentauth wrote outside .env.ai: the ledger and the audit log."""
    import os

    home = Path(os.environ["AGENTAUTH_HOME"])
    return "\n".join(p.read_text(errors="replace") for p in home.rglob("*") if p.is_file())


def _env_ai(project: Path) -> dict[str, str]:
    return values(parse(read_text(project / ".env.ai")))


def test_app_path_through_the_cli(cli, project, stub, key_file, ring, monkeypatch) -> None:
    _write_project(project, stub, f"    app_id: 4242\n    private_key_file: {key_file}\n")

    dry = cli(project, "provision", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "POST" in dry.stdout and "/access_tokens" in dry.stdout
    assert '"contents": "read"' in dry.stdout and '"pull_requests": "write"' in dry.stdout
    assert '"web"' in dry.stdout and "acme/web" in dry.stdout
    assert stub.requests == []
    assert not (project / ".env.ai").exists()

    done = cli(project, "provision", "--yes")
    assert done.exit_code == 0, done.output
    env = _env_ai(project)
    token = env["GITHUB_TOKEN"]
    assert token.startswith("ghs_") and stub.tokens[token].repos == {"acme/web"}
    assert env["APP_NAME"] == "demo"
    assert stat.S_IMODE((project / ".env.ai").stat().st_mode) == 0o600
    (mint,) = stub.calls("POST", r"/app/installations/777/access_tokens")
    assert mint.body == {
        "repositories": ["web"],
        "permissions": {"contents": "read", "metadata": "read", "pull_requests": "write"},
    }

    status = cli(project, "status", "--format", "json")
    (grant,) = json.loads(status.stdout)["grants"]
    assert grant["provider"] == "github" and grant["state"] == "active"
    assert "contents:read" in grant["scope"] and "acme/web" in grant["scope"]

    # `agentauth run` asks the provisioning service for fresh short-lived credentials.
    from agentauth.service.run import default_minter

    minted = default_minter(project, "agentauth.yaml")
    fresh = minted["GITHUB_TOKEN"].reveal()
    assert fresh != token and stub.tokens[fresh].repos == {"acme/web"}

    revoked = cli(project, "revoke", "--all", "--yes")
    assert revoked.exit_code == 0, revoked.output
    used = {
        c.headers["Authorization"].split(" ", 1)[1]
        for c in stub.calls("DELETE", "/installation/token")
    }
    assert used == {token, fresh}
    assert stub.tokens[token].revoked and stub.tokens[fresh].revoked
    assert "GITHUB_TOKEN" not in _env_ai(project)
    assert not [k for k in ring.entries if k[1].startswith("github/")]

    outputs = dry.output + done.output + status.output + revoked.output
    state = _state_text(project)
    for secret in (token, fresh, DEV_TOKEN):
        assert secret not in outputs
        assert secret not in state
    assert DEV_TOKEN not in (project / ".env.ai").read_text()


def test_pat_path_through_the_cli(cli, project, stub, ring, token_factory) -> None:
    from datetime import UTC, datetime, timedelta

    _write_project(project, stub, "    expires_in_days: 5\n")
    token = stub.add_token(
        token_factory.fine_grained(),
        token_factory.info(
            "fine-grained",
            "octodev",
            {"acme/web"},
            {"contents": "read", "pull_requests": "write"},
            expires=datetime.now(UTC).replace(microsecond=0) + timedelta(days=5),
        ),
    )

    dry = cli(project, "provision", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "settings/personal-access-tokens/new?" in dry.stdout
    assert "contents=read" in dry.stdout and "pull_requests=write" in dry.stdout
    assert "expires_in=5" in dry.stdout and "acme/web" in dry.stdout
    assert stub.requests == []

    done = cli(project, "provision", "--yes", stdin=token + "\n")
    assert done.exit_code == 0, done.output
    assert _env_ai(project)["GITHUB_TOKEN"] == token
    (stored,) = [v for k, v in ring.entries.items() if k[1].startswith("github/")]
    assert stored == token

    status = cli(project, "status")
    assert "manual revoke" not in status.stdout  # POST /credentials/revoke can end it

    revoked = cli(project, "revoke", "--all", "--yes")
    assert revoked.exit_code == 0, revoked.output
    assert "credential-revocation API" in revoked.stdout
    assert stub.tokens[token].revoked
    assert "GITHUB_TOKEN" not in _env_ai(project)
    assert not [k for k in ring.entries if k[1].startswith("github/")]

    outputs = dry.output + done.output + status.output + revoked.output
    assert token not in outputs and DEV_TOKEN not in outputs
    assert token not in _state_text(project)


def test_pat_path_without_stdin_fails_cleanly(cli, project, stub, ring) -> None:
    _write_project(project, stub, "")
    result = cli(project, "provision", "--yes", stdin="")
    assert result.exit_code == 2, result.output
    assert "nothing on standard input" in result.output
    assert not (project / ".env.ai").exists()


def test_classic_broad_token_is_refused_through_thecli(
    cli, project, stub, ring, token_factory
) -> None:
    _write_project(project, stub, "")
    classic = stub.add_token(
        token_factory.classic("ghp"),
        token_factory.info("classic", "octodev", {"acme/web"}, {}, scopes=("repo", "workflow")),
    )
    result = cli(project, "provision", "--yes", stdin=classic + "\n")
    assert result.exit_code == 1, result.output
    assert "refusing a classic token with scopes repo, workflow" in result.output
    assert classic not in result.output
    assert not (project / ".env.ai").exists()
    assert classic not in _state_text(project)


def test_bad_policy_entry_exits_2_naming_key_and_line(cli, project, stub) -> None:
    _write_project(project, stub, "    permissions_typo: {}\n")
    result = cli(project, "provision", "--dry-run")
    assert result.exit_code == 2
    assert "agentauth.yaml:12: credentials.GITHUB_TOKEN.permissions_typo" in result.output


def test_audit_verify_rates_a_found_token_by_its_scopes(
    cli, project, stub, token_factory, monkeypatch
) -> None:
    classic = stub.add_token(
        token_factory.classic("ghp"),
        token_factory.info("classic", "octodev", {"acme/web"}, {}, scopes=("repo", "workflow")),
    )
    narrow = stub.add_token(
        token_factory.classic("ghp"),
        token_factory.info("classic", "octodev", {"acme/web"}, {}, scopes=()),
    )
    (project / ".env").write_text(f"GITHUB_TOKEN={classic}\nGH_READONLY={narrow}\n")
    monkeypatch.setenv("AGENTAUTH_GITHUB_API_URL", stub.url)
    result = cli(None, "audit", str(project), "--verify", "--format", "json")
    report = json.loads(result.stdout)
    by_var = {f["variable"]: f for f in report["findings"]}
    assert by_var["GITHUB_TOKEN"]["verification"]["status"] == "valid"
    assert by_var["GITHUB_TOKEN"]["verification"]["details"]["scopes"] == ["repo", "workflow"]
    assert by_var["GITHUB_TOKEN"]["severity"] == "critical"
    assert by_var["GH_READONLY"]["severity"] == "low"
    assert "public read only" in by_var["GH_READONLY"]["verification"]["summary"]
    assert classic not in result.output and narrow not in result.output


@pytest.mark.parametrize("preset", ["code-review", "deploy-staging"])
def test_init_preset_writes_an_entry_the_provider_accepts(cli, project, stub, preset) -> None:
    (project / ".env").write_text(f"GITHUB_TOKEN={DEV_TOKEN}\n")
    made = cli(project, "init", "--preset", preset)
    assert made.exit_code == 0, made.output
    text = (project / "agentauth.yaml").read_text()
    assert "provider: github" in text
    text = text.replace("OWNER/REPO", "acme/web")
    (project / "agentauth.yaml").write_text(text + f"    api_url: {stub.url}\n")
    dry = cli(project, "provision", "--dry-run")
    # NOTE: the dry run runs provision's preflights: with no keyring on the test machine the
    # PAT path is refused (exit 2, before anything is asked), and the plan is still shown.
    assert dry.exit_code == 0 or (dry.exit_code == 2 and "keyring" in dry.output), dry.output
    assert "personal-access-tokens/new?" in dry.stdout
    assert "contents=read" in dry.stdout
    assert DEV_TOKEN not in made.output + dry.output


AGENT_SCRIPT = """
import os, sys
from github import Auth, Github, GithubException
token = os.environ.get("GITHUB_TOKEN", "")
env_ai = open(".env.ai").read()
if not token.startswith("ghs_") or token in env_ai or token == sys.argv[2]:
    sys.exit(10)  # not a fresh installation token minted for this run
g = Github(auth=Auth.Token(token), base_url=sys.argv[1], retry=0)
repo = g.get_repo("acme/web")
try:
    g.get_repo("acme/api")
    sys.exit(11)
except GithubException as exc:
    if exc.status != 404:
        sys.exit(12)
try:
    repo.create_file("pwned.txt", "agent write", "x")
    sys.exit(13)
except GithubException as exc:
    if exc.status != 403 or exc.headers.get("x-accepted-github-permissions") != "contents=write":
        sys.exit(14)
sys.exit(0)
"""


def test_agent_started_by_run_gets_a_fresh_token_scoped_by_github(
    cli, project, stub, key_file, ring, monkeypatch
) -> None:
    _write_project(project, stub, f"    app_id: 4242\n    private_key_file: {key_file}\n")
    assert cli(project, "provision", "--yes").exit_code == 0
    monkeypatch.chdir(project)
    result = cli(None, "run", "--", sys.executable, "-c", AGENT_SCRIPT, stub.url, DEV_TOKEN)
    assert result.exit_code == 0, result.output
    minted = [t for t, i in stub.tokens.items() if i.kind == "installation"]
    assert len(minted) == 2  # one at provision, one for this run
    assert ("acme/web", "pwned.txt") not in stub.files
    assert all(t not in result.output for t in minted)
    events = [json.loads(line) for line in _state_text(project).splitlines() if '"event"' in line]
    assert any(e.get("event") == "mint" and e.get("provider") == "github" for e in events)


def test_run_gives_the_minted_tokens_expiry_not_the_grants(
    cli, project, stub, key_file, ring, monkeypatch
) -> None:
    """The grant lives 8 h, each minted token 1 h: the agent is told the hour, not the 8 h."""
    _write_project(project, stub, f"    app_id: 4242\n    private_key_file: {key_file}\n")
    assert cli(project, "provision", "--yes").exit_code == 0
    seen = project / "seen.txt"
    probe = "import os, sys; open(sys.argv[1], 'w').write(os.environ['AGENTAUTH_EXPIRATION'])"
    monkeypatch.chdir(project)
    ran = cli(None, "run", "--", sys.executable, "-c", probe, str(seen))
    assert ran.exit_code == 0, ran.output
    (mint,) = [t for t in stub.tokens.values() if t.expires][-1:]
    assert mint.expires is not None
    assert seen.read_text() == mint.expires.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert "agentauth: claude-code: 1 credential, expires in 59m" in ran.stderr
