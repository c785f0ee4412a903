"""The trust probe on both kinds of server: a private cluster that requires SCRAM passwords
(no warning anywhere) and the default test server that trusts every login (the warning).

The private cluster is initdb'd in a temporary folder with ``--auth=scram-sha-256`` on
a free loopback port, so the probe is shown to tell the two apart rather than to
always say "trusting". Skipped when the PostgreSQL 15 server binaries are absent.
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from tests.support.cli import Runner

from agentauth.model import Secret
from agentauth.providers.postgres.trust import passwordless_logins
from agentauth.service.doctor import diagnose

BIN = Path("/usr/lib/postgresql/15/bin")
PASSWORD = "scram-" + secrets.token_hex(12)
TRUSTING = "postgresql://postgres@127.0.0.1:5432/postgres"

pytestmark = pytest.mark.postgres


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_owner() -> dict[str, object]:
    """initdb and postgres refuse to run as root: run them as the ``postgres`` account then."""
    if os.geteuid() != 0:
        return {}
    try:
        account = pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("running as root and there is no postgres account to run initdb as")
    return {"user": account.pw_uid, "group": account.pw_gid}


@pytest.fixture(scope="module")
def scram_url() -> Iterator[str]:
    """A private cluster whose pg_hba.conf requires scram-sha-256 for every login."""
    if not (BIN / "initdb").exists():
        pytest.skip(f"no PostgreSQL server binaries in {BIN}")
    # NOTE: not under pytest's tmp folder: that is 0700 root, and the server runs as postgres.
    base = Path(tempfile.mkdtemp(prefix="agentauth-scram-"))
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    pwfile = base / "pw"
    pwfile.write_text(PASSWORD + "\n", encoding="utf-8")
    owner = _as_owner()
    if owner:
        for path in (base, sock, pwfile):
            os.chown(path, int(str(owner["user"])), int(str(owner["group"])))
    run = {"capture_output": True, "text": True, "timeout": 120, "check": False, **owner}
    made = subprocess.run([str(BIN / "initdb"), "-D", str(data), "-U", "postgres",
                           "--auth=scram-sha-256", f"--pwfile={pwfile}", "--no-sync"],
                          **run)  # type: ignore[call-overload]  # fmt: skip
    assert made.returncode == 0, made.stderr
    port = _free_port()
    options = f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off"
    started = subprocess.run([str(BIN / "pg_ctl"), "-D", str(data), "-o", options, "-w",
                              "-l", str(base / "log"), "start"], **run)  # type: ignore[call-overload]  # fmt: skip
    assert started.returncode == 0, started.stderr + (base / "log").read_text()
    try:
        yield f"postgresql://postgres:{PASSWORD}@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([str(BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       **run)  # type: ignore[call-overload]  # fmt: skip
        shutil.rmtree(base, ignore_errors=True)


def _project(tmp_path: Path, url: str) -> Path:
    project = tmp_path / "app"
    project.mkdir(parents=True)
    (project / ".env").write_text(f"DATABASE_URL={url}\n", encoding="utf-8")
    (project / "agentauth.yaml").write_text(
        "version: 1\nagent: trustprobe\nttl: 1h\ncredentials:\n"
        "  DATABASE_URL:\n    provider: postgres\n    schemas: [public]\n",
        encoding="utf-8",
    )
    return project


def test_the_private_cluster_really_requires_passwords(scram_url: str) -> None:
    with psycopg.connect(scram_url, autocommit=True) as conn:  # the right password: in
        assert conn.execute("SELECT 1").fetchone() == (1,)
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(scram_url.replace(PASSWORD, "wrong"), connect_timeout=5).close()


def test_probe_says_not_trusting_on_scram_and_trusting_on_the_default_server(
    scram_url: str, capfd: pytest.CaptureFixture[str]
) -> None:
    assert passwordless_logins(Secret(scram_url)) == []
    assert passwordless_logins(Secret(TRUSTING)) == ["postgres"]
    assert capfd.readouterr().err == ""  # libpq says nothing about the probe's password file


def test_doctor_plan_and_verify_quiet_on_scram_loud_on_trust(
    scram_url: str, tmp_path: Path, cli: Runner
) -> None:
    for url, trusting in ((scram_url, False), (TRUSTING, True)):
        project = _project(tmp_path / ("trust" if trusting else "scram"), url)
        report = diagnose(project)
        ids = {c.id: c for c in report.checks}
        assert ("server-auth-DATABASE_URL" in ids) is trusting, ids
        if trusting:
            assert ids["server-auth-DATABASE_URL"].status == "fail"

        plan = cli("provision", "--dry-run", cwd=project)
        assert plan.returncode == 0, plan.stderr
        assert ("with NO password" in plan.stdout + plan.stderr) is trusting

        verify = cli("audit", "--verify", "--format", "json", cwd=project)
        (finding,) = json.loads(verify.stdout)["findings"]
        details = finding["verification"]["details"]
        assert details["passwordless_logins"] == (["postgres"] if trusting else []), details
        assert PASSWORD not in plan.stdout + plan.stderr + verify.stdout + verify.stderr
