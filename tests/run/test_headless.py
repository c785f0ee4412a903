"""The headless story end to end: no terminal, no Secret Service, no prompt (issue 14).

With ``PYTHON_KEYRING_BACKEND=agentauth.state.filestore.FileKeyring`` the developer's
Postgres URL is locked into agentauth's 0600 file store, ``provision`` reads it from
there and creates the agent's role, ``run`` gives the agent its scoped URL (and ``run
--human`` the developer's own), and ``revoke`` drops the role. Every command's stdin is
an empty pipe, so a prompt would fail the test instead of waiting.
"""

from __future__ import annotations

import json
import os
import secrets
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from tests.support.cli import run_cli

from agentauth.state.secretstore import FILE_BACKEND

pytestmark = pytest.mark.postgres

_WHOAMI = (
    "import os, psycopg\n"
    "with psycopg.connect(os.environ['DATABASE_URL']) as c:\n"
    "    print(c.execute('SELECT current_user').fetchone()[0])\n"
)


@pytest.fixture
def database() -> Iterator[str]:
    name = f"headless_{secrets.token_hex(4)}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as su:
        su.execute(f"CREATE DATABASE {name}")
    yield name
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as su:
        su.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_lock_provision_run_revoke_without_a_terminal_or_a_prompt(
    project: Path, database: str
) -> None:
    agent = f"headless{secrets.token_hex(3)}"
    url = f"postgresql://postgres:dev-{secrets.token_hex(8)}@127.0.0.1:5432/{database}"
    (project / ".env").write_text(f"DATABASE_URL={url}\n", encoding="utf-8")
    (project / "agentauth.yaml").write_text(
        f"version: 1\nagent: {agent}\nttl: 1h\ncredentials:\n"
        "  DATABASE_URL:\n    provider: postgres\n    schemas: [public]\n",
        encoding="utf-8",
    )
    env = {"PYTHON_KEYRING_BACKEND": FILE_BACKEND}

    def cli(*args: str) -> str:
        done = run_cli(*args, cwd=project, env=env, input="")  # stdin: an empty pipe
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        assert "Options:" not in done.stderr and "[y/N]" not in done.stderr
        assert url not in done.stdout + done.stderr
        return done.stdout

    cli("lock", "--yes")
    assert url not in (project / ".env").read_text()
    assert "agentauth-keyring:" in (project / ".env").read_text()
    store = Path(os.environ["AGENTAUTH_HOME"]) / "secrets.json"
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    assert url in json.loads(store.read_text())["agentauth"].values()

    cli("provision", "--yes")
    role = cli("run", "-q", "--", sys.executable, "-c", _WHOAMI).strip()
    assert role.startswith(f"agentauth_{agent}_")
    assert cli("run", "--human", "--", sys.executable, "-c", _WHOAMI).strip() == "postgres"

    cli("revoke", "--agent", agent, "--yes")
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres") as su:
        assert su.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone() is None
