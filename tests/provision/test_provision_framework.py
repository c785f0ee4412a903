"""The provisioning framework with a fake provider: ordering, idempotency, rotation, files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fakeprovider import FakeProvider

from agentauth.config import envwrite
from agentauth.config.policy import parse_policy
from agentauth.errors import ConfigError, ProviderError
from agentauth.model import Applied, Grant, GrantStatus, Secret
from agentauth.service import provision as svc
from agentauth.state import auditlog, paths
from agentauth.state.ledger import Ledger

SOURCE = (
    "# my own credentials\n"
    "export API_TOKEN=tok_live_0123456789abcdef\n"
    "PORT=3000\n"
    "NODE_ENV=development\n"
    "OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwxyz012345\n"
    "SENDGRID_API_KEY=SG.abcdefghijklmnop.qrstuvwxyz0123456789abcdefghijk\n"
    "GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789\r\n"
)
POLICY = """agent: bot
ttl: 1h
credentials:
  API_TOKEN:
    provider: fake
    level: {level}
  OPENAI_API_KEY: pass
  SENDGRID_API_KEY: drop
"""


@pytest.fixture
def project(project: Path) -> Path:
    (project / ".env").write_bytes(SOURCE.encode())
    return project


def _run(project: Path, level: str = "low") -> svc.ProvisionResult:
    policy = parse_policy(POLICY.format(level=level))
    ctx = svc.build_context(project, policy, environ={})
    return svc.apply(svc.plan(policy, ctx), ctx)


def _env_ai(project: Path) -> dict[str, str]:
    from agentauth.config.envfile import parse, values

    return values(parse((project / ".env.ai").read_text()))


def test_ledger_is_written_before_apply_and_env_ai_after(project: Path, fake: FakeProvider) -> None:
    result = _run(project)
    assert fake.ledger_at_apply == [GrantStatus.PENDING]
    [grant] = Ledger(project).grants()
    assert grant.status is GrantStatus.ACTIVE and grant.agent == "bot" and grant.policy_digest
    assert grant.objects["env_outputs"] == ["API_TOKEN"]
    env = _env_ai(project)
    assert list(env) == ["API_TOKEN", "PORT", "NODE_ENV", "OPENAI_API_KEY"]
    assert env["API_TOKEN"] == "fake-secret-1-0123456789"
    assert env["OPENAI_API_KEY"] == "sk-proj-abcdefghijklmnopqrstuvwxyz012345"  # pass
    assert result.written == tuple(env)
    assert (project / ".env").read_bytes() == SOURCE.encode()  # never modified
    assert (project / ".env.ai").stat().st_mode & 0o777 == 0o600
    assert "/.env.ai" in (project / ".gitignore").read_text()


def test_pass_drop_and_unnamed_credentials_are_logged(project: Path, fake: FakeProvider) -> None:
    pplan = svc.plan(
        parse_policy(POLICY.format(level="x")),
        svc.build_context(project, parse_policy(POLICY.format(level="x")), environ={}),
    )
    assert pplan.passed == ("OPENAI_API_KEY",)
    assert pplan.dropped == ("SENDGRID_API_KEY",)
    assert pplan.copied == ("PORT", "NODE_ENV")
    assert pplan.withheld == ("GITHUB_TOKEN",)
    _run(project)
    events = [(e["event"], e.get("variable")) for e in auditlog.read(project)]
    assert events == [
        ("provision", "API_TOKEN"),
        ("pass", "OPENAI_API_KEY"),
        ("drop", "SENDGRID_API_KEY"),
        ("drop", "GITHUB_TOKEN"),
    ]
    assert all(e["agent"] == "bot" for e in auditlog.read(project))


def test_failed_apply_leaves_a_pending_grant_and_no_env_ai(
    project: Path, fake: FakeProvider
) -> None:
    fake.fail_apply = True
    with pytest.raises(ProviderError, match="exploded"):
        _run(project)
    [grant] = Ledger(project).grants()
    assert grant.status is GrantStatus.PENDING and "exploded" in (grant.error or "")
    assert not (project / ".env.ai").exists()
    policy = parse_policy(POLICY.format(level="low"))
    results = svc.revoke(svc.build_context(project, policy, environ={}), everything=True)
    assert [r.ok for r in results] == [True] and fake.revoked == [grant.id]
    assert Ledger(project).get(grant.id).status is GrantStatus.REVOKED  # type: ignore[union-attr]


def test_same_policy_keeps_changed_policy_rotates(project: Path, fake: FakeProvider) -> None:
    first = _run(project).created[0]
    again = _run(project)
    assert again.created == () and [g.id for g in again.kept] == [first.id]
    assert fake.calls.count("apply") == 1
    assert _env_ai(project)["API_TOKEN"] == "fake-secret-1-0123456789"

    rotated = _run(project, level="high")
    [new] = rotated.created
    assert fake.revoked == [first.id] and [r.grant_id for r in rotated.rotated] == [first.id]
    assert Ledger(project).get(first.id).status is GrantStatus.REVOKED  # type: ignore[union-attr]
    assert _env_ai(project)["API_TOKEN"] == "fake-secret-2-0123456789"
    assert new.status is GrantStatus.ACTIVE


def test_missing_env_ai_value_rotates_instead_of_keeping(project: Path, fake: FakeProvider) -> None:
    first = _run(project).created[0]
    (project / ".env.ai").unlink()
    second = _run(project)
    assert second.kept == () and fake.revoked == [first.id]
    assert "API_TOKEN" in _env_ai(project)


def test_mint_for_run(project: Path, fake: FakeProvider) -> None:
    _run(project)
    policy = parse_policy(POLICY.format(level="low"))
    minted = svc.mint_for_run(project, policy, svc.build_context(project, policy, environ={}))
    assert minted == {"FAKE_SESSION": Secret("minted-session-value-42")}
    assert auditlog.read(project)[-1]["event"] == "mint"


def test_keyring_references_resolve_through_the_store(project: Path) -> None:
    class Store:
        def get(self, name: str) -> Secret | None:
            return Secret("from-the-keyring") if name == "proj/API_TOKEN" else None

        def set(self, name: str, value: Secret) -> None: ...

        def delete(self, name: str) -> None: ...

    (project / ".env").write_text(
        "API_TOKEN=agentauth-keyring:proj/API_TOKEN\nX=agentauth-keyring:nope\n"
    )
    policy = parse_policy("agent: bot\n")
    with pytest.raises(ConfigError, match="keyring entry 'nope'"):
        svc.load_source_env(project, policy, Store())
    (project / ".env").write_text("API_TOKEN=agentauth-keyring:proj/API_TOKEN\n")
    assert svc.load_source_env(project, policy, Store()) == {
        "API_TOKEN": Secret("from-the-keyring")
    }


def test_env_ai_tracked_by_git_is_refused(project: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    (project / ".env.ai").write_text("A=1\n")
    subprocess.run(["git", "add", ".env.ai"], cwd=project, check=True)
    with pytest.raises(ConfigError, match=r"git rm --cached \.env\.ai"):
        envwrite.write_env_ai(project / ".env.ai", [("A", "2")], "h", project_root=project)
    assert (project / ".env.ai").read_text() == "A=1\n"


def test_env_ai_already_ignored_is_not_added_twice(project: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    (project / ".gitignore").write_text(".env*\n")
    envwrite.write_env_ai(project / ".env.ai", [("A", "1")], "h", project_root=project)
    assert (project / ".gitignore").read_text() == ".env*\n"


def test_ledger_survives_concurrent_writers(project: Path) -> None:
    code = (
        "import sys; from datetime import UTC, datetime; from pathlib import Path\n"
        "from agentauth.providers.kit import new_grant_id\n"
        "from agentauth.state.ledger import Ledger\n"
        "from agentauth.model import Grant, GrantStatus\n"
        "for i in range(15):\n"
        "    Ledger(Path(sys.argv[1])).put(Grant(new_grant_id('x'), 'a', 'x', 'V',"
        " datetime.now(UTC), None, GrantStatus.ACTIVE, 's'))\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code, str(project)]) for _ in range(4)]
    assert [p.wait() for p in procs] == [0, 0, 0, 0]
    grants = Ledger(project).grants()
    assert len(grants) == 60 and len({g.id for g in grants}) == 60
    ledger_file = paths.project_dir(project) / "ledger.json"
    assert ledger_file.stat().st_mode & 0o777 == 0o600
    assert json.loads(ledger_file.read_text())["version"] == 1


def test_audit_log_never_writes_a_secret(project: Path) -> None:
    auditlog.append(project, "pass", agent="bot", variable="X", value=Secret("hunter2-hunter2"))
    text = auditlog.log_path(project).read_text()
    assert "hunter2" not in text and '"value": "***"' in text
    with pytest.raises(ValueError, match="unknown audit event"):
        auditlog.append(project, "exfiltrate", agent="bot")


def test_select_grants(project: Path, fake: FakeProvider) -> None:
    _run(project)
    [grant] = Ledger(project).grants()
    assert svc.select_grants([grant], agent="bot") == [grant]
    assert svc.select_grants([grant], agent="other") == []
    assert svc.select_grants([grant], expired=True) == []
    from datetime import timedelta

    assert svc.select_grants([grant], expired=True, now=grant.created + timedelta(hours=2)) == [
        grant
    ]
    with pytest.raises(ConfigError, match="no grant with id nope"):
        svc.select_grants([grant], grant_ids=["nope"])


def test_env_values_round_trip(project: Path) -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from agentauth.config.envfile import parse, values

    @settings(max_examples=200, deadline=None)
    @given(
        st.text(
            alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"),
            max_size=40,
        )
    )
    def check(value: str) -> None:
        if "${" in value:  # python-dotenv interpolates ${...} everywhere; documented
            return
        text = envwrite.render([("K", value)], "header")
        assert values(parse(text)) == {"K": value}

    check()


def test_kept_grant_of_a_minting_provider_gets_fresh_values(
    project: Path, fake: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _run(project).created[0]

    def mint_same_name(grant: Grant, ctx: object) -> Applied:
        return Applied(grant, {"API_TOKEN": Secret("fresh-short-lived-value-77")})

    monkeypatch.setattr(fake, "mint", mint_same_name)
    again = _run(project)
    assert [g.id for g in again.kept] == [first.id] and fake.calls.count("apply") == 1
    assert _env_ai(project)["API_TOKEN"] == "fresh-short-lived-value-77"
    assert any(e["event"] == "mint" and e.get("grant") == first.id for e in auditlog.read(project))


def test_a_setting_the_provider_also_writes_is_shown_as_copied(
    project: Path, fake: FakeProvider
) -> None:
    """Issue 14: AWS_REGION was listed "copied (not credentials)" and diffed as a credential."""
    (project / ".env").write_text("API_TOKEN=tok_live_0123456789abcdef\nFAKE_EXPIRATION=soon\n")
    fake.minting = True  # the plan outputs FAKE_EXPIRATION too, as AWS's outputs AWS_REGION
    policy = parse_policy("agent: bot\ncredentials:\n  API_TOKEN:\n    provider: fake\n")
    pplan = svc.plan(policy, svc.build_context(project, policy, environ={}))
    assert "FAKE_EXPIRATION" in pplan.copied
    assert pplan.env_diff() == [
        "+ API_TOKEN=<new scoped credential>",
        "+ FAKE_EXPIRATION=*** (copied, not a credential)",
    ]


def test_the_progress_line_counts_in_the_right_number(project: Path, fake: FakeProvider) -> None:
    (project / ".env").write_text("API_TOKEN=tok_live_0123456789abcdef\n")
    policy = parse_policy("agent: bot\ncredentials:\n  API_TOKEN:\n    provider: fake\n")
    ctx = svc.build_context(project, policy, environ={})
    said: list[str] = []
    svc.apply(svc.plan(policy, ctx), ctx, progress=said.append)
    assert "writing .env.ai (1 variable)" in said
