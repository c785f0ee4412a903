"""`agentauth lock`/`unlock`: secrets move to the keyring and back; the file keeps its shape."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from tests.support.cli import PRINT_ENV, Runner
from tests.support.doubles import MemorySecretStore
from tests.support.testkeyring import keyring_entries

from agentauth.config import envfile
from agentauth.errors import ConfigError
from agentauth.model import Secret
from agentauth.service import lock

STRIPE = "sk_live_" + "51HxYzAbCdEfGhIjKlMnOpQr9"
GITHUB = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
DB = "postgresql://owner:Own3r-pw-secret@db.prod.internal:5432/app"
DOTENV = (
    "# my app\n"
    f'export STRIPE_SECRET_KEY="{STRIPE}"   # live key\n'
    "DEBUG=1\r\n"
    f"DATABASE_URL={DB}\n"
    "\n"
    f"GITHUB_TOKEN='{GITHUB}'\n"
    "PORT=3000\n"
    "REF=${PORT}\n"
)
SECRETS = (STRIPE, GITHUB, DB, "Own3r-pw-secret")


def _no_secret(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


def test_lock_round_trip_through_the_cli(cli: Runner, project: Path, test_keyring: Path) -> None:
    env_path = project / ".env"
    env_path.write_bytes(DOTENV.encode())
    dry = cli("lock", "--dry-run", cwd=project)
    assert dry.returncode == 0, dry.stderr
    assert env_path.read_bytes() == DOTENV.encode()
    assert keyring_entries(test_keyring) == {}
    locked = cli("lock", "--yes", cwd=project)
    assert locked.returncode == 0, locked.stderr
    _no_secret(dry.stdout, dry.stderr, locked.stdout, locked.stderr)
    assert "sk_live_…" in dry.stdout  # masked preview of what moves

    text = env_path.read_bytes().decode()
    _no_secret(text)
    slug = lock.project_slug(project)
    lines = text.split("\n")
    assert lines[0] == "# my app"
    assert lines[1] == (
        f'export STRIPE_SECRET_KEY="agentauth-keyring:{slug}/STRIPE_SECRET_KEY"   # live key'
    )
    assert lines[2] == "DEBUG=1\r"
    assert lines[3] == f"DATABASE_URL=agentauth-keyring:{slug}/DATABASE_URL"
    assert lines[5] == f"GITHUB_TOKEN='agentauth-keyring:{slug}/GITHUB_TOKEN'"
    assert lines[6:] == ["PORT=3000", "REF=${PORT}", ""]
    assert keyring_entries(test_keyring) == {
        f"{slug}/STRIPE_SECRET_KEY": STRIPE,
        f"{slug}/DATABASE_URL": DB,
        f"{slug}/GITHUB_TOKEN": GITHUB,
    }

    again = cli("lock", "--yes", cwd=project)
    assert again.returncode == 0 and "Nothing to lock" in again.stderr

    human = cli("run", "--human", "--", sys.executable, "-c", PRINT_ENV, cwd=project)
    assert human.returncode == 0, human.stderr
    env = json.loads(human.stdout)
    assert (env["STRIPE_SECRET_KEY"], env["GITHUB_TOKEN"], env["DATABASE_URL"]) == (
        STRIPE, GITHUB, DB,
    )  # fmt: skip
    assert env["DEBUG"] == "1"
    agent = cli("run", "--", sys.executable, "-c", PRINT_ENV, cwd=project)
    _no_secret(agent.stdout, agent.stderr)

    unlocked = cli("unlock", "--yes", cwd=project)
    assert unlocked.returncode == 0, unlocked.stderr
    _no_secret(unlocked.stdout, unlocked.stderr)
    restored = envfile.values(envfile.parse(env_path.read_text()))
    original = envfile.values(envfile.parse(DOTENV))
    assert restored == original
    assert keyring_entries(test_keyring) == {}


def test_lock_refuses_without_a_secure_backend(cli: Runner, project: Path) -> None:
    env_path = project / ".env"
    env_path.write_bytes(DOTENV.encode())
    result = cli("lock", "--yes", cwd=project)  # conftest selects keyring.backends.fail
    assert result.returncode == 2
    assert "never falls back to storing secrets in plaintext" in result.stderr
    assert "dbus-run-session" in result.stderr
    assert env_path.read_bytes() == DOTENV.encode()
    _no_secret(result.stdout, result.stderr)
    plaintext = list(Path.home().rglob("*.cfg")) + list(Path.home().rglob("keyring*"))
    assert plaintext == []


def test_lock_needs_yes_without_a_terminal(cli: Runner, project: Path, test_keyring: Path) -> None:
    (project / ".env").write_bytes(DOTENV.encode())
    result = cli("lock", cwd=project, input="")
    assert result.returncode == 2
    assert "--yes" in result.stderr
    assert (project / ".env").read_bytes() == DOTENV.encode()
    assert keyring_entries(test_keyring) == {}


class _MemoryStore(MemorySecretStore):
    """The shared in-memory store; ``corrupt`` makes it read back something else."""

    def __init__(self, corrupt: bool = False) -> None:
        super().__init__()
        self.corrupt = corrupt

    @property
    def data(self) -> dict[str, str]:
        return {k: v.reveal() for k, v in self.values.items()}

    def get(self, name: str) -> Secret | None:
        value = super().get(name)
        if value is None or not self.corrupt:
            return value
        return Secret(value.reveal() + "!")


def test_a_value_that_does_not_read_back_leaves_the_file_untouched(project: Path) -> None:
    path = project / ".env"
    path.write_bytes(DOTENV.encode())
    plan = lock.plan_lock(project, path)
    store = _MemoryStore(corrupt=True)
    with pytest.raises(ConfigError, match="did not return"):
        lock.apply_lock(plan, store, project_root=project)
    assert path.read_bytes() == DOTENV.encode()
    assert store.data == {}  # what this call created was deleted again


def test_bom_crlf_and_mode_survive(project: Path) -> None:
    path = project / ".env"
    original = f"\ufeffA_TOKEN={GITHUB}\r\nPLAIN=x\r\n".encode()
    path.write_bytes(original)
    path.chmod(0o640)
    store = _MemoryStore()
    plan = lock.plan_lock(project, path)
    lock.apply_lock(plan, store, project_root=project)
    data = path.read_bytes()
    assert data.startswith("\ufeff".encode())
    assert data.endswith(b"\r\nPLAIN=x\r\n")
    assert GITHUB.encode() not in data
    assert path.stat().st_mode & 0o777 == 0o640
    unplan = lock.plan_unlock(project, path, store)
    lock.apply_unlock(unplan, store, project_root=project)
    assert path.read_bytes() == original


def test_only_named_variables_and_unknown_names(project: Path) -> None:
    path = project / ".env"
    path.write_bytes(DOTENV.encode())
    plan = lock.plan_lock(project, path, only=["GITHUB_TOKEN"])
    assert [i.variable for i in plan.items] == ["GITHUB_TOKEN"]
    with pytest.raises(ConfigError, match="does not assign NOPE"):
        lock.plan_lock(project, path, only=["NOPE"])


def test_provisioning_reads_locked_values(project: Path) -> None:
    from agentauth.config.policy import parse_policy
    from agentauth.service.sourceenv import load_source_env

    path = project / ".env"
    path.write_bytes(DOTENV.encode())
    store = _MemoryStore()
    lock.apply_lock(lock.plan_lock(project, path), store, project_root=project)
    policy = parse_policy("version: 1\nagent: a\ncredentials: {}\n")
    values = load_source_env(project, policy, store)
    assert values["STRIPE_SECRET_KEY"].reveal() == STRIPE
    assert values["DATABASE_URL"].reveal() == DB
