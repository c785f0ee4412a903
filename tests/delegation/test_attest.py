"""Attestations: an in-toto Statement v1 in a DSSE envelope that a standard verifier accepts."""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agentauth.model import Grant, GrantId, GrantStatus
from agentauth.service import attest
from agentauth.state import auditlog, signing
from agentauth.state.ledger import Ledger

Cli = Callable[..., tuple[int, str, str]]
POLICY = "version: 1\nagent: claude-code\nsource: .env\noutput: .env.ai\nttl: 8h\ncredentials: {}\n"


def _grant(gid: str, agent: str, *, parent: str | None = None, hours: float = 2) -> Grant:
    now = datetime.now(UTC)
    return Grant(
        id=GrantId(gid),
        agent=agent,
        provider="postgres",
        variable="DATABASE_URL",
        created=now - timedelta(minutes=5),
        expires=now + timedelta(hours=hours),
        status=GrantStatus.ACTIVE,
        scope="read-only on public.orders",
        objects={"role": "agent_ro"},
        parent=GrantId(parent) if parent else None,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "agentauth.yaml").write_text(POLICY)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(
        ["git", "-C", str(root), "-c", "user.email=t@example.com", "-c", "user.name=t",
         "commit", "-q", "--allow-empty", "-m", "start"],
        check=True,
    )  # fmt: skip
    ledger = Ledger(root)
    ledger.put(_grant("pg-parent01", "claude-code"))
    ledger.put(_grant("pg-child001", "claude-code>reviewer", parent="pg-parent01", hours=0.2))
    ledger.put(_grant("pg-other001", "codex"))
    return root


def _statement(document: dict[str, object]) -> dict[str, object]:
    payload = document["payload"]
    assert isinstance(payload, str)
    return json.loads(base64.b64decode(payload))


def test_statement_shape_and_no_secret(project: Path) -> None:
    document = attest.attest(project, "claude-code")
    assert document["payloadType"] == "application/vnd.in-toto+json"
    statement = _statement(document)
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["predicateType"] == attest.PREDICATE_TYPE
    subjects = {s["name"]: s["digest"] for s in statement["subject"]}
    assert subjects["agentauth.yaml"]["sha256"] == attest.policy_digest(project)
    head = subprocess.run(["git", "-C", str(project), "rev-parse", "HEAD"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    assert subjects["git:HEAD"]["gitCommit"] == head
    predicate = statement["predicate"]
    assert predicate["agent"]["chain"] == ["claude-code"]
    assert [g["id"] for g in predicate["grants"]] == ["pg-parent01"]
    assert [g["id"] for g in predicate["delegations"]] == ["pg-child001"]
    assert predicate["delegations"][0]["parent"] == "pg-parent01"
    assert "pg-other001" not in json.dumps(statement)
    assert "password" not in json.dumps(statement).lower()
    assert auditlog.read(project)[-1]["event"] == "attest"


def test_the_envelope_verifies_with_securesystemslib_itself(project: Path) -> None:
    """A signature a standard verifier cannot check does not count."""
    from securesystemslib.dsse import Envelope
    from securesystemslib.signer import SSlibKey

    document = attest.attest(project, "claude-code")
    public = signing.public_key_hex()
    assert public is not None
    key = SSlibKey(signing.key_id(public), "ed25519", "ed25519", {"public": public})
    envelope = Envelope.from_dict(document)
    accepted = envelope.verify([key], 1)
    assert list(accepted) == [signing.key_id(public)]
    assert json.loads(envelope.payload)["_type"] == "https://in-toto.io/Statement/v1"


def test_the_pae_is_the_dsse_one() -> None:
    assert attest.pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )


def test_expiry_is_the_earliest_grant_or_the_ttl(project: Path) -> None:
    now = datetime.now(UTC)
    statement = _statement(attest.attest(project, "claude-code", ttl=timedelta(minutes=30)))
    expires = datetime.fromisoformat(statement["predicate"]["expiresAt"])  # type: ignore[index]
    assert timedelta(minutes=29) < expires - now < timedelta(minutes=31)
    child = _statement(attest.attest(project, "claude-code>reviewer"))
    predicate = child["predicate"]
    assert predicate["agent"]["delegatedBy"] == "claude-code"  # type: ignore[index]
    expires = datetime.fromisoformat(predicate["expiresAt"])  # type: ignore[index]
    assert expires - now < timedelta(minutes=13)


def _round_trip(project: Path, tmp_path: Path, cli: Cli) -> Path:
    out = tmp_path / "agent.intoto.json"
    code, _, err = cli("attest", "-C", str(project), "-o", str(out))
    assert code == 0, err
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    code, stdout, err = cli("verify-attestation", str(out), "-C", str(project))
    assert code == 0, stdout + err
    assert "valid: claude-code" in stdout
    return out


def test_verified_then_refused_after_one_byte_of_it_changes(
    project: Path, tmp_path: Path, cli: Cli
) -> None:
    out = _round_trip(project, tmp_path, cli)
    original = out.read_bytes()
    document = json.loads(original)
    payload = bytearray(base64.b64decode(document["payload"]))
    at = payload.index(b"read-only")
    payload[at] = ord("R")
    document["payload"] = base64.b64encode(bytes(payload)).decode()
    out.write_text(json.dumps(document))
    code, stdout, _ = cli("verify-attestation", str(out), "-C", str(project))
    assert code == 1
    assert "signature does not verify" in stdout
    # one byte of the file itself (inside the base64 signature)
    flipped = bytearray(original)
    at = original.index(b'"sig": "') + 10
    flipped[at] = ord("A") if flipped[at] != ord("A") else ord("B")
    out.write_bytes(bytes(flipped))
    code, stdout, _ = cli("verify-attestation", str(out), "-C", str(project))
    assert code == 1 and "REFUSED" in stdout


def test_refused_after_one_byte_of_the_policy_changes(
    project: Path, tmp_path: Path, cli: Cli
) -> None:
    out = _round_trip(project, tmp_path, cli)
    (project / "agentauth.yaml").write_text(POLICY.replace("8h", "9h"))
    code, stdout, _ = cli("verify-attestation", str(out), "-C", str(project))
    assert code == 1
    assert "agentauth.yaml changed" in stdout


def test_refused_at_another_commit(project: Path, tmp_path: Path, cli: Cli) -> None:
    out = _round_trip(project, tmp_path, cli)
    subprocess.run(
        ["git", "-C", str(project), "-c", "user.email=t@example.com", "-c", "user.name=t",
         "commit", "-q", "--allow-empty", "-m", "next"],
        check=True,
    )  # fmt: skip
    code, stdout, _ = cli("verify-attestation", str(out), "-C", str(project))
    assert code == 1 and "git commit differs" in stdout


def test_refused_when_expired_and_with_another_key(project: Path, tmp_path: Path) -> None:
    document = attest.attest(project, "claude-code", ttl=timedelta(minutes=1))
    data = json.dumps(document).encode()
    later = datetime.now(UTC) + timedelta(minutes=2)
    verdict = attest.verify(data, project, key_hex=None, now=later)
    assert not verdict.ok and "expired" in verdict.reason
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    other = Ed25519PrivateKey.generate().public_key().public_bytes_raw().hex()
    verdict = attest.verify(data, project, key_hex=other, now=datetime.now(UTC))
    assert not verdict.ok and "signature" in verdict.reason


def test_verify_with_an_exported_key(project: Path, tmp_path: Path, cli: Cli) -> None:
    pub = tmp_path / "agentauth.pub"
    code, out, _ = cli("attest", "--show-key", "-C", str(project))
    assert code == 0 and "BEGIN PUBLIC KEY" in out
    pub.write_text(out)
    env = tmp_path / "a.json"
    assert cli("attest", "-C", str(project), "-o", str(env))[0] == 0
    code, stdout, _ = cli("verify-attestation", str(env), "--key", str(pub), "-C", str(project))
    assert code == 0, stdout


def test_run_attest_hands_the_child_its_attestation(project: Path, tmp_path: Path) -> None:
    import os
    import sys

    seen = tmp_path / "seen.json"
    script = (
        "import os, shutil, sys; p = os.environ['AGENTAUTH_ATTESTATION']; "
        f"shutil.copy(p, {str(seen)!r}); print(p)"
    )
    env = {k: os.environ[k] for k in ("PATH", "HOME", "AGENTAUTH_HOME", "PYTHON_KEYRING_BACKEND")}
    done = subprocess.run(
        [sys.executable, "-m", "agentauth", "run", "--attest", "--", sys.executable, "-c", script],
        cwd=project, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    handed = Path(done.stdout.strip().splitlines()[-1])
    assert not handed.exists(), "the attestation is removed when the run ends"
    verdict = attest.verify(seen.read_bytes(), project, key_hex=None, now=datetime.now(UTC))
    assert verdict.ok, verdict.reason
