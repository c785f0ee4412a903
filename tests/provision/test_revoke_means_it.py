"""Revocation that means it (issue 14): pass values leave .env.ai, "not revoked" is said, forget."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fakeprovider import FakeProvider

from agentauth.config.envfile import parse, values
from agentauth.config.policy import parse_policy
from agentauth.model import GrantStatus
from agentauth.service import provision as svc
from agentauth.state import auditlog
from agentauth.state.ledger import Ledger

SOURCE = "API_TOKEN=tok_live_0123456789abcdef\nOPENAI_API_KEY=sk-proj-abcdefghijklmnop0123456789\n"
POLICY = """agent: bot
ttl: 1h
credentials:
  API_TOKEN:
    provider: fake
  OPENAI_API_KEY: pass
"""


@pytest.fixture
def project(project: Path) -> Path:
    (project / ".env").write_text(SOURCE)
    (project / "agentauth.yaml").write_text(POLICY)
    return project


def _provision(project: Path) -> None:
    policy = parse_policy(POLICY)
    ctx = svc.build_context(project, policy, environ={})
    svc.apply(svc.plan(policy, ctx), ctx)


def _env_ai(project: Path) -> dict[str, str]:
    return values(parse((project / ".env.ai").read_text()))


def test_revoke_agent_removes_pass_values_so_later_runs_stop_passing_them(
    project: Path, fake: FakeProvider, cli: Callable[..., tuple[int, str, str]]
) -> None:
    _provision(project)
    assert "OPENAI_API_KEY" in _env_ai(project)
    code, out, err = cli("revoke", "--agent", "bot", "--yes", "-C", str(project))
    assert code == 0, err
    env = _env_ai(project)
    assert "OPENAI_API_KEY" not in env and "API_TOKEN" not in env
    assert "removed from .env.ai (pass): OPENAI_API_KEY" in out
    events = [e for e in auditlog.read(project) if e.get("reason") == "pass withdrawn"]
    assert [e["variable"] for e in events] == ["OPENAI_API_KEY"]
    # nothing left to revoke but a pass value put back by hand: it is withdrawn again
    (project / ".env.ai").write_text("# written by agentauth\nOPENAI_API_KEY=sk-x\n")
    code, out, _err = cli("revoke", "--agent", "bot", "--yes", "-C", str(project))
    assert code == 0 and "OPENAI_API_KEY" not in _env_ai(project)


def test_a_credential_no_api_can_end_is_not_revoked_with_its_own_exit_code(
    project: Path, fake: FakeProvider, cli: Callable[..., tuple[int, str, str]]
) -> None:
    _provision(project)
    fake.revoke_outcome = "still-valid"
    code, out, err = cli("revoke", "--all", "--yes", "-C", str(project))
    assert code == 4, err
    assert out.startswith("NOT REVOKED ") and "delete it by hand" in out
    [grant] = Ledger(project).grants()
    assert grant.status is GrantStatus.FAILED and (grant.error or "").startswith("not revoked")
    assert "API_TOKEN" not in _env_ai(project)  # the agent stops getting it regardless


def test_forget_closes_a_grant_removed_by_hand_without_calling_the_provider(
    project: Path, fake: FakeProvider, cli: Callable[..., tuple[int, str, str]]
) -> None:
    _provision(project)
    fake.revoke_outcome = "failed"
    code, _out, err = cli("revoke", "--all", "--yes", "-C", str(project))
    assert code == 1, err
    [grant] = Ledger(project).grants()
    assert grant.status is GrantStatus.FAILED
    calls = len(fake.revoked)
    code, out, err = cli("revoke", "--forget", grant.id, "--yes", "-C", str(project))
    assert code == 0, err
    assert "forgotten" in out
    assert len(fake.revoked) == calls  # the provider was not asked again
    [closed] = Ledger(project).grants()
    assert closed.status is GrantStatus.REVOKED
    assert any(e.get("reason") == "forget" for e in auditlog.read(project))
    code, _out, err = cli("revoke", "--forget", "--all", "--yes", "-C", str(project))
    assert code == 2 and "--forget takes grant ids" in err


@pytest.mark.parametrize(
    ("outcome", "word"), [("still-valid", "not revoked"), ("failed", "failed")]
)
def test_status_tells_not_revoked_from_failed(
    project: Path, fake: FakeProvider, cli: Callable[..., tuple[int, str, str]],
    outcome: str, word: str,
) -> None:  # fmt: skip
    """Issue 14: a grant no API could end showed as "failed", the word of a retryable failure."""
    import json

    _provision(project)
    fake.revoke_outcome = outcome
    cli("revoke", "--all", "--yes", "-C", str(project))
    code, out, err = cli("status", "--format", "json", "-C", str(project))
    assert code == 0, err
    assert [g["state"] for g in json.loads(out)["grants"]] == [word]
    code, out, err = cli("status", "-C", str(project))
    assert code == 0 and word in out, err
    assert ("failed" in out) is (word == "failed")


def test_the_header_names_every_revoked_variable(
    project: Path, fake: FakeProvider, cli: Callable[..., tuple[int, str, str]]
) -> None:
    """Issue 14: after revoking MySQL and Redis together the header said "Revoked REDIS_URL"."""
    policy = POLICY + "  CACHE_TOKEN:\n    provider: fake\n"
    (project / ".env").write_text(SOURCE + "CACHE_TOKEN=tok_live_fedcba9876543210\n")
    (project / "agentauth.yaml").write_text(policy)
    ctx = svc.build_context(project, parse_policy(policy), environ={})
    svc.apply(svc.plan(parse_policy(policy), ctx), ctx)
    (project / ".env.ai").write_text((project / ".env.ai").read_text() + "PORT=3000\n")
    code, _out, err = cli("revoke", "--agent", "bot", "--yes", "-C", str(project))
    assert code == 0, err
    text = (project / ".env.ai").read_text()
    [said] = [line for line in text.splitlines() if line.startswith("# Revoked ")]
    assert said.startswith("# Revoked API_TOKEN, CACHE_TOKEN, OPENAI_API_KEY on "), text
    assert _env_ai(project) == {"PORT": "3000"}
