"""Passwords holding ``@ / # : ? %`` or spaces: never printed, never taken for the host.

libpq, PyMySQL and redis-py end a URL's password at the last ``@`` before the host;
a redactor that stops at the first one prints the rest of the password as the host
(issue 15, High #2). Every format (table, JSON ``redacted``/``why``, SARIF) and the
Postgres connection errors are checked with freshly generated passwords.
"""

from __future__ import annotations

import json
import secrets
import string
import subprocess
import sys
from pathlib import Path

import pytest
from tests.support.cli import run_cli

from agentauth.engine.rules.urls import parse_url
from agentauth.errors import AgentAuthError
from agentauth.model import Secret
from agentauth.redact import Scrubber, mask, scrub_urls, split_authority

_ALNUM = string.ascii_letters + string.digits


def _chunk(n: int = 6) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(n))


def _password(separators: str) -> str:
    """Random alphanumeric chunks joined by each separator in turn (``Kx9@Qm3/Zt7#...``)."""
    return _chunk() + "".join(sep + _chunk() for sep in separators)


def _pieces(password: str, size: int = 6) -> set[str]:
    """Every run of ``size`` letters and digits of the password (case-folded), for leak checks.

    Why only runs without a separator: a run across one (``e own`` of a password with
    spaces, ``/shop`` with a slash) is mostly ordinary text and matched the output's own
    words ("the owner") at random. Why six: every chunk is six random characters, so each
    is a piece; five-character pieces met the SARIF report's hex fingerprints and rule
    texts by chance about one run in twelve (36**5 is only 60 million).
    """
    low = password.lower()
    runs = (low[i : i + size] for i in range(len(low) - size + 1))
    return {run for run in runs if run.isalnum()}


def _leaks(output: str, password: str) -> list[str]:
    low = output.lower()
    return sorted(p for p in _pieces(password) if p in low)


SEPARATORS = ["@", "@@", "/", "#", ":", "?", "%", "@/", "@#?", "@:%/", "%40", "/@#:?%"]


@pytest.mark.parametrize("separators", SEPARATORS)
@pytest.mark.parametrize(
    ("template", "host"),
    [
        ("mysql://app:{pw}@db.shop-corp.io:3306/shop", "db.shop-corp.io"),
        ("postgresql://owner:{pw}@prod-db.c9akciq32.eu-west-1.rds.amazonaws.com/shop", None),
        ("postgres+asyncpg://owner:{pw}@10.0.3.7:5432/orders", "10.0.3.7"),
        ("redis://:{pw}@cache.acme-corp.io:6379/0", "cache.acme-corp.io"),
        ("mongodb+srv://app:{pw}@cluster0.ab1cd.mongodb.net/shop", "cluster0.ab1cd.mongodb.net"),
        ("https://deploy:{pw}@git.acme-corp.io/infra.git", "git.acme-corp.io"),
        ("postgres://app:{pw}@db/app", "db"),
    ],
)
def test_mask_and_parse_end_the_password_at_the_right_at(
    separators: str, template: str, host: str | None
) -> None:
    password = _password(separators)
    url = template.format(pw=password)
    shown = mask(url)
    assert _leaks(shown, password) == [], shown
    authority = split_authority(url)
    assert authority is not None and authority.password == password
    assert "@" not in authority.host
    parsed = parse_url(url)
    assert parsed is not None and parsed.password == password
    if host is not None:
        assert parsed.host == host
    assert _leaks(scrub_urls(f"failed: {url} (timeout)"), password) == []


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgres://app:app_dev@db/app_dev", "postgres://app:***@db/***"),
        (
            "postgres://postgres:postgres@db.acme-corp.io/postgres",
            "postgres://***:***@db.acme-corp.io/***",
        ),
        (
            "https://u:p@registry.acme-corp.io/@scope/pkg",
            "https://u:***@registry.acme-corp.io/@scope/pkg",
        ),
        ("git+https://u:tok@github.com/o/r.git@v1.0", "git+https://u:***@github.com/o/r.git@v1.0"),
        ("postgres://u:pw@[::1]:5432/app?sslmode=disable", "postgres://u:***@[::1]:5432/app"),
    ],
)
def test_mask_hides_every_occurrence_and_keeps_paths_with_at(url: str, shown: str) -> None:
    assert mask(url) == shown


def test_scrubber_learns_the_userinfo_and_the_pieces_libpq_quotes() -> None:
    head, tail = _chunk(8), _chunk(12)
    url = f"postgresql://app:{head}@{tail}@127.0.0.1:5433/shop"
    scrub = Scrubber([Secret(url)])
    libpq = f'could not translate host name "{tail}@127.0.0.1" to address: Name unknown'
    out = scrub(libpq)
    assert tail not in out and head not in out


def _project(tmp_path: Path, passwords: list[str]) -> list[str]:
    lines = [
        f"MYSQL_URL=mysql://app:{passwords[0]}@db.shopcorp.io:3306/shop",
        f"DATABASE_URL=postgres://owner:{passwords[1]}@db.prod-acme.io:5432/shop",
        f"REDIS_URL=redis://:{passwords[2]}@cache.prod-acme.io:6379/0",
        f"GIT_URL=https://deploy:{passwords[3]}@git.acme-corp.io/infra.git",
        f'SPACED_URL="postgres://app:{passwords[4]}@db.prod-acme.io:5432/shop"',
        f"DEV_URL=postgres://{passwords[5]}:{passwords[5]}@db/{passwords[5]}",
    ]
    (tmp_path / ".env").write_text("\n".join(lines) + "\n")
    return lines


@pytest.mark.parametrize("fmt", ["table", "json", "sarif"])
def test_no_piece_of_such_a_password_in_any_format(tmp_path: Path, fmt: str) -> None:
    passwords = [
        _password("@"),
        _password("@/#"),
        _password(":?%@"),
        _password("@#?/"),
        _password("  @"),
        _chunk(10),
    ]
    _project(tmp_path, passwords)
    for columns in ("80", "200"):
        done = run_cli(
            "audit", str(tmp_path), "--format", fmt, cwd=tmp_path, env={"COLUMNS": columns},
            full_env=True,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
        output = done.stdout + done.stderr
        for password in passwords:
            assert _leaks(output, password) == [], (fmt, columns)
        if fmt == "json":
            findings = json.loads(done.stdout)["findings"]
            hosts = {f["redacted"].split("@")[-1].split("/")[0] for f in findings}
            assert {"db.shopcorp.io:3306", "db.prod-acme.io:5432"} <= hosts
            assert {"cache.prod-acme.io:6379", "git.acme-corp.io"} <= hosts
            for finding in findings:
                assert finding["redacted"].count("@") == 1, finding["redacted"]
        if fmt == "sarif":
            results = json.loads(done.stdout)["runs"][0]["results"]
            assert len(results) >= 4


@pytest.mark.postgres
@pytest.mark.parametrize("separators", ["@", "/", "@/", "/@"])
def test_postgres_errors_never_echo_a_misparsed_host_or_port(
    pg_admin_dsn: str, separators: str
) -> None:
    """libpq splits at the first ``@``: the URL does not parse as intended; say so, echo neither."""
    from agentauth.providers.postgres.provider import connect

    password = _password(separators)
    url = Secret(f"postgresql://app:{password}@127.0.0.1:5432/postgres")
    with pytest.raises(AgentAuthError) as caught, connect(url):
        pass
    message = str(caught.value)
    assert _leaks(message, password) == [], message
    assert "does not parse as intended" in message


@pytest.mark.postgres
def test_verify_of_such_a_url_reports_it_without_the_password(
    pg_admin_dsn: str, tmp_path: Path
) -> None:
    password = _password("@/")
    (tmp_path / ".env").write_text(
        f"DATABASE_URL=postgresql://owner:{password}@127.0.0.1:5432/postgres\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "agentauth", "audit", str(tmp_path), "--verify", "-f", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert _leaks(done.stdout + done.stderr, password) == []
    (finding,) = json.loads(done.stdout)["findings"]
    assert "does not parse as intended" in finding["verification"]["summary"]
