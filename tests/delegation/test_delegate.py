"""agentauth delegate: the sub-agent's chain, a strict subset, refusal before creation, cascade."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agentauth.broker import capability
from agentauth.model import Grant, GrantId, GrantStatus
from agentauth.service import chain
from agentauth.service import delegate as service
from agentauth.service.provision import select_grants
from agentauth.state import auditlog, logverify, signing
from agentauth.state.ledger import Ledger

Cli = Callable[..., tuple[int, str, str]]
POLICY = """version: 1
agent: claude-code
source: .env
output: .env.ai
credentials:
  GITHUB_TOKEN:
    provider: http
    hosts: [api.github.com]
    allow:
      - GET /repos/acme/web/**
      - POST /repos/acme/web/issues
"""
HOST = "api.github.com"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "agentauth.yaml").write_text(POLICY)
    now = datetime.now(UTC)
    Ledger(root).put(Grant(
        id=GrantId("http-parent01"), agent="claude-code", provider="http",
        variable="GITHUB_TOKEN", created=now, expires=now + timedelta(hours=1),
        status=GrantStatus.ACTIVE, scope="brokered on api.github.com",
    ))  # fmt: skip
    return root


def _session() -> dict[str, str]:
    return {"AGENTAUTH_AGENT": "claude-code", "PATH": os.environ["PATH"],
            "GITHUB_TOKEN": "ghs_AGENTAUTHphantom" + "A" * 32, "TERM": "xterm"}  # fmt: skip


def _allowed(value: str, method: str, path: str, project: Path) -> bool:
    token = capability.token_of(value)
    assert token is not None
    public = bytes.fromhex(signing.public_key_hex() or "")
    revoked = service.revoked_ids(Ledger(project).grants())
    return capability.authorize(token, public, host=HOST, method=method, path=path,
                                revoked=revoked).allowed  # fmt: skip


def _delegate(project: Path, *only: str, env: dict[str, str] | None = None,
              to: str = "reviewer") -> service.Delegation:  # fmt: skip
    return service.delegate(project, env or _session(), to=to, only=service.parse_only(only),
                            ttl=timedelta(minutes=10))  # fmt: skip


def test_child_gets_the_chain_and_only_the_named_subset(project: Path) -> None:
    made = _delegate(project, "GITHUB_TOKEN=GET /repos/acme/web/**")
    assert made.chain == "claude-code>reviewer"
    assert made.env["AGENTAUTH_AGENT"] == "claude-code>reviewer"
    value = made.env["GITHUB_TOKEN"]
    assert value.startswith("ghs_AGENTAUTHcap_")
    assert _allowed(value, "GET", "/repos/acme/web/pulls/3", project)
    assert not _allowed(value, "POST", "/repos/acme/web/issues", project), "parent-only write"
    (grant,) = made.grants
    assert grant.parent == "http-parent01" and grant.agent == "claude-code>reviewer"
    assert Ledger(project).get(grant.id) is not None
    event = auditlog.read(project)[-1]
    assert event["event"] == "delegate" and event["agent"] == "claude-code>reviewer"
    assert made.expires <= datetime.now(UTC) + timedelta(minutes=10)


def test_a_request_for_more_than_the_parent_is_refused_before_anything_is_created(
    project: Path,
) -> None:
    before = Ledger(project).grants()
    with pytest.raises(Exception, match=r"DELETE /repos/acme/web/\*\* exceeds what claude-code"):
        _delegate(project, "GITHUB_TOKEN=GET /repos/acme/web/**,DELETE /repos/acme/web/**")
    with pytest.raises(Exception, match="GET /repos/\\*\\* exceeds"):
        _delegate(project, "GITHUB_TOKEN=GET /repos/**")
    with pytest.raises(Exception, match=r"not a credential of agentauth\.yaml"):
        _delegate(project, "DATABASE_URL")
    assert Ledger(project).grants() == before
    assert not [e for e in auditlog.read(project) if e["event"] == "delegate"]


def test_nested_delegation_attenuates_offline_and_never_widens(project: Path) -> None:
    first = _delegate(project, "GITHUB_TOKEN=GET /repos/acme/web/**")
    nested_env = {**first.env}
    with pytest.raises(Exception, match="exceeds"):
        _delegate(project, "GITHUB_TOKEN=POST /repos/acme/web/issues", env=nested_env, to="x")
    second = _delegate(project, "GITHUB_TOKEN=GET /repos/acme/web/pulls/*", env=nested_env,
                       to="linter")  # fmt: skip
    assert second.chain == "claude-code>reviewer>linter"
    value = second.env["GITHUB_TOKEN"]
    assert _allowed(value, "GET", "/repos/acme/web/pulls/9", project)
    assert not _allowed(value, "GET", "/repos/acme/web/contents/x", project)
    public = bytes.fromhex(signing.public_key_hex() or "")
    parsed = capability.verify_token(capability.token_of(value) or "", public)
    assert parsed.block_count() == 3


def test_revoking_the_parent_revokes_every_descendant_and_not_the_reverse(project: Path) -> None:
    first = _delegate(project, "GITHUB_TOKEN=GET /repos/acme/web/**")
    second = _delegate(project, "GITHUB_TOKEN", env=dict(first.env), to="linter")
    grants = Ledger(project).grants()
    only_child = select_grants(grants, grant_ids=[second.grants[0].id])
    assert [g.id for g in only_child] == [second.grants[0].id]
    chosen = select_grants(grants, grant_ids=["http-parent01"])
    assert {g.id for g in chosen} == {"http-parent01", first.grants[0].id, second.grants[0].id}


def test_cli_revoke_cascades_and_the_child_token_stops_working(project: Path, cli: Cli) -> None:
    first = _delegate(project, "GITHUB_TOKEN=GET /repos/acme/web/**")
    value = first.env["GITHUB_TOKEN"]
    code, out, err = cli("revoke", first.grants[0].id, "--yes", "-C", str(project))
    assert code == 0, out + err
    assert not _allowed(value, "GET", "/repos/acme/web/x", project)
    assert Ledger(project).get("http-parent01").status is GrantStatus.ACTIVE  # type: ignore[union-attr]
    again = _delegate(project, "GITHUB_TOKEN=GET /repos/acme/web/**")
    code, out, err = cli("revoke", "http-parent01", "--yes", "-C", str(project))
    assert code == 0, out + err
    assert Ledger(project).get(again.grants[0].id).status is GrantStatus.REVOKED  # type: ignore[union-attr]
    assert not _allowed(again.env["GITHUB_TOKEN"], "GET", "/repos/acme/web/x", project)
    assert logverify.verify(project).ok


def test_delegate_command_runs_the_child_with_its_chain(project: Path, tmp_path: Path) -> None:
    env = {**_session(), "HOME": os.environ["HOME"], "AGENTAUTH_HOME": os.environ["AGENTAUTH_HOME"],
           "PYTHON_KEYRING_BACKEND": os.environ["PYTHON_KEYRING_BACKEND"],
           "SECRET_TOKEN": "ghp_" + "b" * 36}  # fmt: skip
    script = "import json, os; print(json.dumps(dict(os.environ)))"
    done = subprocess.run(
        [sys.executable, "-m", "agentauth", "delegate", "--to", "reviewer",
         "--only", "GITHUB_TOKEN=GET /repos/acme/web/**", "--", sys.executable, "-c", script],
        cwd=project, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    child = json.loads(done.stdout.strip().splitlines()[-1])
    assert child["AGENTAUTH_AGENT"] == "claude-code>reviewer"
    assert child["GITHUB_TOKEN"].startswith("ghs_AGENTAUTHcap_")
    assert "SECRET_TOKEN" not in child
    check = subprocess.run(
        [sys.executable, "-m", "agentauth", "check-capability", "GITHUB_TOKEN",
         "POST /repos/acme/web/issues"],
        cwd=project, env={**env, **child}, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert check.returncode == 1 and "refused" in check.stdout, check.stdout + check.stderr
    events = [(e["event"], e["agent"]) for e in auditlog.read(project)]
    assert ("run-start", "claude-code>reviewer") in events
    assert ("run-end", "claude-code>reviewer") in events


def test_delegate_outside_a_session_is_refused(project: Path) -> None:
    with pytest.raises(Exception, match="inside an agent's session"):
        only = service.parse_only(["GITHUB_TOKEN"])
        service.delegate(project, {"PATH": "/bin"}, to="reviewer", only=only,
                         ttl=timedelta(minutes=1))  # fmt: skip


def test_names_are_sanitised_for_providers() -> None:
    assert chain.sanitised("claude-code>reviewer") == "claude_code__reviewer"
    long = chain.sanitised("a" * 40 + ">" + "b" * 40)
    assert len(long) == 63 and long != chain.sanitised("a" * 40 + ">" + "b" * 39 + "c")
    with pytest.raises(Exception, match="--to"):
        chain.child_chain("claude-code", "Bad>Name")


def test_the_broker_enforces_a_delegated_phantom_through_its_resolver(project: Path) -> None:
    """enforce.decide with the capability resolver: allowed, refused, revoked."""
    from agentauth.broker.capresolve import CapabilityResolver
    from agentauth.broker.enforce import decide
    from agentauth.config import brokerpolicy
    from agentauth.config.policy import load_policy
    from agentauth.secret import Secret

    policy = load_policy(project / "agentauth.yaml")
    bp = brokerpolicy.broker_policy(policy, (project / "agentauth.yaml").read_text())
    entry = bp.entries[0]
    real = "ghs_" + "R" * 36
    resolver = CapabilityResolver(
        {entry.variable: (entry, Secret(real))},
        signing.private_key().public_key().public_bytes_raw(),
        revoked=lambda: service.revoked_ids(Ledger(project).grants()),
    )
    made = _delegate(project, "GITHUB_TOKEN=GET /repos/acme/web/**")
    header = [(b"authorization", b"Bearer " + made.env["GITHUB_TOKEN"].encode())]
    import time as _time

    def ask(method: str, path: str) -> object:
        return decide(bp, resolver, host=HOST, method=method, target=path, headers=header,
                      now=_time.time())  # fmt: skip

    ok = ask("GET", "/repos/acme/web/pulls")
    assert ok.allowed, ok.reason  # type: ignore[attr-defined]
    assert any(real.encode() in v for _n, v in ok.headers)  # type: ignore[attr-defined]
    assert ok.grant_id == made.grants[0].id  # type: ignore[attr-defined]
    refused = ask("POST", "/repos/acme/web/issues")
    assert not refused.allowed  # type: ignore[attr-defined]
    Ledger(project).put(replace(made.grants[0], status=GrantStatus.REVOKED))
    assert not ask("GET", "/repos/acme/web/pulls").allowed  # type: ignore[attr-defined]
    forged = made.env["GITHUB_TOKEN"][:-8] + "AAAAAAAA"
    header[0] = (b"authorization", b"Bearer " + forged.encode())
    assert not ask("GET", "/repos/acme/web/pulls").allowed  # type: ignore[attr-defined]
