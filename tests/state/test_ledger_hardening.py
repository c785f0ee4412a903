"""A damaged or tampered ledger is a clear StateError, and the previous version is kept."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agentauth.errors import ExitCode, StateError
from agentauth.model import Grant, GrantId, GrantStatus
from agentauth.state.ledger import BACKUP_FILE, Ledger


def _grant(n: int) -> Grant:
    now = datetime.now(UTC)
    return Grant(
        id=GrantId(f"my-0000000{n}"),
        agent="bot",
        provider="mysql",
        variable="MYSQL_URL",
        created=now,
        expires=now + timedelta(hours=1),
        status=GrantStatus.ACTIVE,
        scope="read-only",
        objects={"user": f"agentauth_bot_{n}", "host": "%"},
    )


def _tamper(ledger: Ledger, change: object) -> None:
    data = json.loads(ledger.path.read_text())
    change(data["grants"][0])  # type: ignore[operator]
    ledger.path.write_text(json.dumps(data))


def test_previous_version_is_kept_on_each_write(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    ledger.put(_grant(1))
    assert not (ledger.directory / BACKUP_FILE).exists()
    ledger.put(_grant(2))
    backup = json.loads((ledger.directory / BACKUP_FILE).read_text())
    assert [g["id"] for g in backup["grants"]] == ["my-00000001"]


def test_truncated_ledger_message_points_at_the_backup(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    ledger.put(_grant(1))
    ledger.put(_grant(2))
    ledger.path.write_text(ledger.path.read_text()[:40])
    with pytest.raises(StateError, match=BACKUP_FILE.replace(".", r"\.")) as caught:
        ledger.grants()
    assert caught.value.exit_code == ExitCode.USAGE
    with pytest.raises(StateError):
        ledger.put(_grant(3))  # a damaged ledger is never rewritten over its backup
    assert json.loads((ledger.directory / BACKUP_FILE).read_text())["grants"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("objects", {"user": ["agentauth_bot_1"], "host": "%"}, "objects.user"),
        ("objects", ["x"], "objects is a list"),
        ("created", "2026-01-01T00:00:00", "no time zone"),
        ("expires", "2026-01-01T00:00:00", "no time zone"),
        ("status", ["active"], "status"),
    ],
)
def test_tampered_record_is_refused(
    tmp_path: Path, field: str, value: object, message: str
) -> None:
    ledger = Ledger(tmp_path)
    ledger.put(_grant(1))
    _tamper(ledger, lambda g: g.__setitem__(field, value))
    with pytest.raises(StateError, match=message):
        ledger.grants()


def test_binary_ledger_is_a_state_error(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    ledger.put(_grant(1))
    ledger.path.write_bytes(b'{"grants": [\xff\xfe\x00]}')
    with pytest.raises(StateError, match="not UTF-8"):
        ledger.grants()


def test_deeply_nested_ledger_is_a_state_error(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    ledger.put(_grant(1))
    ledger.path.write_text("[" * 200_000 + "]" * 200_000)
    with pytest.raises(StateError, match="nested too deeply"):
        ledger.grants()


def test_fifo_ledger_is_refused(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    ledger.put(_grant(1))
    ledger.path.unlink()
    os.mkfifo(ledger.path)
    with pytest.raises(StateError, match="FIFO"):
        ledger.grants()
