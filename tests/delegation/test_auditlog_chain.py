"""The hash-chained audit log: every single-record edit, deletion, swap and truncation is caught."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from agentauth.state import auditlog, loghead, logverify, signing

N = 8


def _make_log(project: Path, n: int = N) -> list[bytes]:
    for i in range(n):
        auditlog.append(project, "pass", agent="claude-code", variable=f"VAR_{i}", i=i)
    return auditlog.log_path(project).read_bytes().split(b"\n")[:-1]


def _write(project: Path, lines: list[bytes]) -> None:
    auditlog.log_path(project).write_bytes(b"".join(line + b"\n" for line in lines))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    return root


def test_intact_log_verifies_and_records_are_chained(project: Path) -> None:
    lines = _make_log(project)
    check = logverify.verify(project)
    assert check.ok, check.problems
    assert check.records == N
    first = json.loads(lines[0])
    assert first["seq"] == 1 and first["prev"] == auditlog.line_hash(b"")
    for before, after in itertools.pairwise(lines):
        assert json.loads(after)["prev"] == auditlog.line_hash(before)
    head = loghead.read(project)
    assert head is not None and head.count == N
    assert head.last_hash == auditlog.line_hash(lines[-1])
    assert oct(auditlog.log_path(project).stat().st_mode & 0o777) == "0o600"


def _edit(line: bytes) -> bytes:
    item = json.loads(line)
    item["variable"] = item["variable"] + "X"
    return json.dumps(item).encode()


@pytest.mark.parametrize("index", range(N))
def test_every_single_record_edit_is_detected_at_that_record(project: Path, index: int) -> None:
    lines = _make_log(project)
    lines[index] = _edit(lines[index])
    _write(project, lines)
    check = logverify.verify(project)
    assert not check.ok
    assert check.problems[0].record == index + 1, check.problems


@pytest.mark.parametrize("index", range(N))
def test_every_single_byte_flip_is_detected(project: Path, index: int) -> None:
    lines = _make_log(project)
    line = bytearray(lines[index])
    position = line.index(b'"VAR_') + 5
    line[position] = ord("Z")
    lines[index] = bytes(line)
    _write(project, lines)
    assert not logverify.verify(project).ok


@pytest.mark.parametrize("index", range(N))
def test_every_single_record_deletion_is_detected(project: Path, index: int) -> None:
    lines = _make_log(project)
    del lines[index]
    _write(project, lines)
    check = logverify.verify(project)
    assert not check.ok
    assert check.problems[0].record == index + 1, check.problems


@pytest.mark.parametrize("index", range(N - 1))
def test_every_adjacent_swap_is_detected(project: Path, index: int) -> None:
    lines = _make_log(project)
    lines[index], lines[index + 1] = lines[index + 1], lines[index]
    _write(project, lines)
    check = logverify.verify(project)
    assert not check.ok
    assert check.problems[0].record == index + 1, check.problems


@pytest.mark.parametrize("keep", range(N))
def test_every_truncation_of_the_tail_is_detected(project: Path, keep: int) -> None:
    lines = _make_log(project)
    _write(project, lines[:keep])
    check = logverify.verify(project)
    assert not check.ok
    assert any("cut off" in p.message or "replaced" in p.message for p in check.problems)


@pytest.mark.parametrize("index", range(N + 1))
def test_every_inserted_record_is_detected(project: Path, index: int) -> None:
    lines = _make_log(project)
    forged = json.dumps({"ts": "2026-01-01T00:00:00+00:00", "event": "pass", "agent": "x"})
    lines.insert(index, forged.encode())
    _write(project, lines)
    check = logverify.verify(project)
    assert not check.ok
    assert check.problems[0].record == index + 1, check.problems


def test_a_consistently_rechained_rewrite_is_caught_by_the_signed_head(project: Path) -> None:
    lines = _make_log(project)
    del lines[3]
    rebuilt: list[bytes] = []
    prev = auditlog.line_hash(b"")
    for seq, line in enumerate(lines, start=1):
        item = json.loads(line)
        item["seq"], item["prev"] = seq, prev
        rebuilt.append(json.dumps(item).encode())
        prev = auditlog.line_hash(rebuilt[-1])
    _write(project, rebuilt)
    check = logverify.verify(project)
    assert not check.ok
    assert "signed head" in check.problems[0].message


def test_a_forged_head_signed_with_another_key_is_refused(project: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    lines = _make_log(project)
    _write(project, lines[:-1])
    other = Ed25519PrivateKey.generate()
    head_file = loghead.head_path(project)
    data = json.loads(head_file.read_text())
    data["count"], data["hash"] = N - 1, auditlog.line_hash(lines[-2])
    data["key"] = other.public_key().public_bytes_raw().hex()
    import base64

    message = loghead.signed_bytes(data["project"], N - 1, data["hash"])
    data["sig"] = base64.b64encode(other.sign(message)).decode()
    head_file.write_text(json.dumps(data))
    check = logverify.verify(project)
    assert not check.ok
    assert "signature" in check.problems[0].message


def test_a_missing_head_fails(project: Path) -> None:
    _make_log(project)
    loghead.head_path(project).unlink()
    assert not logverify.verify(project).ok


def test_an_unchained_log_of_an_older_agentauth_is_sealed_by_the_next_event(project: Path) -> None:
    path = auditlog.log_path(project)
    path.parent.mkdir(parents=True)
    old = [
        json.dumps({"ts": "2026-01-01T00:00:00+00:00", "event": "pass", "agent": "a", "n": i})
        for i in range(3)
    ]
    path.write_text("".join(line + "\n" for line in old))
    first = logverify.verify(project)
    assert first.ok and first.legacy == 3 and "predate" in first.notes[0]
    auditlog.append(project, "drop", agent="a", variable="X")
    check = logverify.verify(project)
    assert check.ok, check.problems
    assert check.legacy == 3 and check.records == 4
    sealed = json.loads(path.read_text().splitlines()[3])
    assert sealed["seq"] == 4
    # a later edit of a legacy record is now detected
    text = path.read_text().replace('"n": 1', '"n": 7')
    path.write_text(text)
    assert not logverify.verify(project).ok


Cli = Callable[..., tuple[int, str, str]]


def test_log_verify_cli_passes_then_names_the_edited_record(project: Path, cli: Cli) -> None:
    lines = _make_log(project, 4)
    code, out, err = cli("log", "--verify", "-C", str(project))
    assert code == 0, err
    assert "chain intact" in out
    lines[1] = _edit(lines[1])
    _write(project, lines)
    code, out, _ = cli("log", "--verify", "-C", str(project))
    assert code == 1
    assert "record 2" in out
    code, out, _ = cli("log", "--verify", "--format", "json", "-C", str(project))
    assert code == 1
    assert json.loads(out)["problems"][0]["record"] == 2


def test_log_verify_with_an_explicit_key_file(project: Path, tmp_path: Path, cli: Cli) -> None:
    _make_log(project, 2)
    pem = tmp_path / "key.pem"
    pem.write_text(signing.public_key_pem())
    assert cli("log", "--verify", "--key", str(pem), "-C", str(project))[0] == 0
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    other = (
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    pem.write_bytes(other)
    code, out, _ = cli("log", "--verify", "--key", str(pem), "-C", str(project))
    assert code == 1
    assert "signature" in out


def test_the_signing_key_file_is_private(project: Path) -> None:
    _make_log(project, 1)
    from agentauth.state import paths

    key_file = paths.home() / signing.KEY_FILE
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert signing.public_key_hex() not in key_file.read_text()


def test_append_many_chains_in_order_and_signs_the_head_once(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    auditlog.append(project, "pass", agent="a", variable="FIRST")
    signed: list[int] = []
    real_write = loghead.write

    def counting(root: Path, *, count: int, last_hash: str) -> None:
        signed.append(count)
        real_write(root, count=count, last_hash=last_hash)

    monkeypatch.setattr(loghead, "write", counting)
    batch = [("request", f"agent-{i}", {"i": i, "seq": 99}) for i in range(5)]
    auditlog.append_many(project, batch)
    assert signed == [6]  # one signature for the five records
    auditlog.append(project, "pass", agent="a", variable="LAST")
    with pytest.raises(ValueError, match="unknown audit event"):
        auditlog.append_many(project, [("request", "a", {}), ("nope", "a", {})])
    auditlog.append_many(project, [])
    events = auditlog.read(project)
    assert [e["seq"] for e in events] == list(range(1, 8))
    assert [e.get("i") for e in events[1:6]] == list(range(5))
    assert [e["agent"] for e in events[1:6]] == [f"agent-{i}" for i in range(5)]
    check = logverify.verify(project)
    assert check.ok and check.records == 7, check.problems
