"""Path A end to end against the stub: plan, the exact mint request, the agent's token, revoke."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from github import Auth, Github, GithubException

from agentauth.errors import ConfigError, ProviderError
from agentauth.model import GrantStatus
from agentauth.providers import get
from agentauth.providers.github.provider import PROVIDER


def _app_entry(gh_entry: Any, stub: Any, key_file: Path, **extra: Any) -> Any:
    options: dict[str, Any] = {
        "repositories": ["acme/web"],
        "permissions": {"contents": "read"},
        "app_id": 4242,
        "private_key_file": str(key_file),
        "api_url": stub.url,
    }
    options.update(extra)
    return PROVIDER.validate(gh_entry(**options))


def _agent(stub: Any, token: str) -> Github:
    return Github(auth=Auth.Token(token), base_url=stub.url, retry=0)


def test_registry_returns_the_github_provider() -> None:
    assert get("github") is PROVIDER
    assert PROVIDER.name == "github"


def test_plan_shows_request_and_touches_nothing(gh_entry, stub, key_file, make_ctx) -> None:
    entry = _app_entry(
        gh_entry, stub, key_file, permissions={"contents": "read", "pull_requests": "write"}
    )
    plan = PROVIDER.plan(entry, make_ctx())
    assert stub.requests == []
    text = "\n".join(f"{s.summary}\n{s.detail}" for s in plan.steps)
    assert f"GET {stub.url}/repos/acme/web/installation" in text
    assert f"POST {stub.url}/app/installations/<installation>/access_tokens" in text
    assert '"repositories": [\n    "web"\n  ]' in text
    assert '"pull_requests": "write"' in text and '"contents": "read"' in text
    assert plan.grant.status is GrantStatus.PENDING
    assert plan.grant.revocable is True
    assert plan.outputs == ("GITHUB_TOKEN",)
    assert "contents:read" in plan.grant.scope and "acme/web" in plan.grant.scope


def test_apply_sends_exactly_the_policy_and_a_valid_jwt(
    gh_entry, stub, key_file, make_ctx, app_key
) -> None:
    entry = _app_entry(
        gh_entry, stub, key_file, permissions={"contents": "read", "pull_requests": "write"}
    )
    ctx = make_ctx()
    applied = PROVIDER.apply(PROVIDER.plan(entry, ctx), ctx)

    lookups = stub.calls("GET", "/repos/acme/web/installation")
    assert len(lookups) == 1
    (mint,) = stub.calls("POST", r"/app/installations/777/access_tokens")
    assert mint.body == {
        "repositories": ["web"],
        "permissions": {"contents": "read", "metadata": "read", "pull_requests": "write"},
    }
    scheme, token = mint.headers["Authorization"].split(" ", 1)
    assert scheme == "Bearer"
    claims = jwt.decode(token, app_key[1], algorithms=["RS256"], options={"verify_iss": False})
    assert str(claims["iss"]) == "4242"
    assert claims["exp"] - claims["iat"] <= 660  # GitHub's 10-minute maximum (+ clock drift)

    value = applied.env["GITHUB_TOKEN"].reveal()
    assert value.startswith("ghs_") and value in stub.tokens
    grant = applied.grant
    assert grant.status is GrantStatus.ACTIVE
    assert grant.objects["installation_id"] == 777
    assert grant.objects["repositories"] == ["acme/web"]
    # The grant lives for the policy ttl (8h); the token for one hour.
    assert grant.expires == ctx.now + timedelta(hours=8)
    assert stub.tokens[value].expires.strftime("%H:%M UTC") in applied.notes[0]
    assert value not in repr(grant) and value not in str(grant.objects)


def test_agent_token_reads_repo_a_and_is_refused_on_b_and_on_writes(
    gh_entry, stub, key_file, make_ctx
) -> None:
    entry = _app_entry(gh_entry, stub, key_file)
    ctx = make_ctx()
    applied = PROVIDER.apply(PROVIDER.plan(entry, ctx), ctx)
    agent = _agent(stub, applied.env["GITHUB_TOKEN"].reveal())

    repo = agent.get_repo("acme/web")
    assert repo.full_name == "acme/web"
    assert base64.b64decode(repo.get_contents("README.md").content) == b"hello"

    with pytest.raises(GithubException) as other:
        agent.get_repo("acme/api")
    assert other.value.status == 404

    with pytest.raises(GithubException) as write:
        repo.create_file("evil.txt", "agent write", "pwned")
    assert write.value.status == 403
    assert write.value.data["message"] == "Resource not accessible by integration"
    assert write.value.headers["x-accepted-github-permissions"] == "contents=write"
    assert ("acme/web", "evil.txt") not in stub.files


def test_write_permission_in_policy_allows_the_write(gh_entry, stub, key_file, make_ctx) -> None:
    entry = _app_entry(gh_entry, stub, key_file, permissions={"contents": "write"})
    ctx = make_ctx()
    applied = PROVIDER.apply(PROVIDER.plan(entry, ctx), ctx)
    repo = _agent(stub, applied.env["GITHUB_TOKEN"].reveal()).get_repo("acme/web")
    repo.create_file("notes.txt", "agent write", "ok")
    assert ("acme/web", "notes.txt") in stub.files


def test_revoke_deletes_every_kept_token_and_github_then_rejects_them(
    gh_entry, stub, key_file, make_ctx, memory_store
) -> None:
    entry = _app_entry(gh_entry, stub, key_file)
    ctx = make_ctx()
    applied = PROVIDER.apply(PROVIDER.plan(entry, ctx), ctx)
    first = applied.env["GITHUB_TOKEN"].reveal()
    minted = PROVIDER.mint(applied.grant, ctx)
    assert minted is not None
    second = minted.env["GITHUB_TOKEN"].reveal()
    assert second != first
    assert minted.grant == applied.grant  # minting changes nothing in the ledger record
    assert sorted(memory_store.values) == [
        f"github/{applied.grant.id}/token-0",
        f"github/{applied.grant.id}/token-1",
    ]

    result = PROVIDER.revoke(applied.grant, ctx)
    assert result.ok, result.message
    assert "revoked 2 installation token(s)" in result.message
    deletes = stub.calls("DELETE", "/installation/token")
    used = {d.headers["Authorization"].split(" ", 1)[1] for d in deletes}
    assert len(deletes) == 2 and used == {first, second}
    assert memory_store.values == {}
    for token in (first, second):
        with pytest.raises(GithubException) as dead:
            _agent(stub, token).get_repo("acme/web")
        assert dead.value.status == 401
    # Idempotent: a second revoke finds nothing left to do and succeeds.
    assert PROVIDER.revoke(applied.grant, ctx).ok
    assert len(stub.calls("DELETE", "/installation/token")) == 2


def test_revoke_counts_a_token_github_already_rejects_as_revoked(
    gh_entry, stub, key_file, make_ctx, memory_store
) -> None:
    entry = _app_entry(gh_entry, stub, key_file)
    ctx = make_ctx()
    applied = PROVIDER.apply(PROVIDER.plan(entry, ctx), ctx)
    stub.tokens[applied.env["GITHUB_TOKEN"].reveal()].revoked = True
    result = PROVIDER.revoke(applied.grant, ctx)
    assert result.ok
    assert "1 had already expired" in result.message
    assert memory_store.values == {}


def test_revoke_failure_keeps_the_token_to_retry(
    gh_entry, stub, key_file, make_ctx, memory_store
) -> None:
    entry = _app_entry(gh_entry, stub, key_file)
    ctx = make_ctx()
    applied = PROVIDER.apply(PROVIDER.plan(entry, ctx), ctx)
    stub.server.clear()
    stub.server.expect_request("/installation/token", method="DELETE").respond_with_json(
        {"message": "Server Error"}, status=502
    )
    result = PROVIDER.revoke(applied.grant, ctx)
    assert not result.ok and "502" in result.message
    assert len(memory_store.values) == 1


def test_mint_reuses_the_slot_of_an_expired_token(
    gh_entry, stub, key_file, make_ctx, memory_store
) -> None:
    entry = _app_entry(gh_entry, stub, key_file)
    ctx = make_ctx()
    applied = PROVIDER.apply(PROVIDER.plan(entry, ctx), ctx)
    later = make_ctx(now=ctx.now + timedelta(hours=2))
    minted = PROVIDER.mint(applied.grant, later)
    assert minted is not None
    slot = f"github/{applied.grant.id}/token-0"
    assert list(memory_store.values) == [slot]
    assert minted.env["GITHUB_TOKEN"].reveal() in memory_store.values[slot].reveal()


def test_more_live_tokens_than_slots_reuses_the_oldest_with_a_warning(
    gh_entry, stub, key_file, make_ctx, memory_store
) -> None:
    from agentauth.providers.github.kept import SLOTS

    warnings: list[str] = []
    entry = _app_entry(gh_entry, stub, key_file)
    ctx = make_ctx(warnings=warnings)
    applied = PROVIDER.apply(PROVIDER.plan(entry, ctx), ctx)
    for _ in range(SLOTS):
        PROVIDER.mint(applied.grant, ctx)
    assert len(memory_store.values) == SLOTS
    assert sum("no longer tracked" in w for w in warnings) == 1


def test_without_a_keyring_the_token_is_not_kept_and_revoke_says_so(
    gh_entry, stub, key_file, make_ctx
) -> None:
    # store=None: the provider falls back to the OS keyring, which the tests set to
    # keyring.backends.fail (as on a headless machine): refused, so nothing is kept.
    warnings: list[str] = []
    entry = _app_entry(gh_entry, stub, key_file)
    ctx = make_ctx(store=None, warnings=warnings)
    applied = PROVIDER.apply(PROVIDER.plan(entry, ctx), ctx)
    assert applied.env["GITHUB_TOKEN"].reveal().startswith("ghs_")
    assert any("expires by itself" in w for w in warnings)
    result = PROVIDER.revoke(applied.grant, ctx)
    assert result.ok
    assert "no token was kept" in result.message


def test_mint_of_a_pat_grant_is_none(gh_entry, make_ctx) -> None:
    entry = PROVIDER.validate(gh_entry(repositories=["acme/web"], permissions={"contents": "read"}))
    plan = PROVIDER.plan(entry, make_ctx())
    assert PROVIDER.mint(replace(plan.grant, status=GrantStatus.ACTIVE), make_ctx()) is None


def test_installation_id_in_policy_skips_the_lookup(gh_entry, stub, key_file, make_ctx) -> None:
    entry = _app_entry(gh_entry, stub, key_file, installation_id=777)
    ctx = make_ctx()
    plan = PROVIDER.plan(entry, ctx)
    assert "/app/installations/777/access_tokens" in plan.steps[0].detail
    PROVIDER.apply(plan, ctx)
    assert stub.calls("GET", ".*/installation") == []


def test_permission_the_installation_lacks_is_a_clear_error(
    gh_entry, stub, key_file, make_ctx
) -> None:
    entry = _app_entry(gh_entry, stub, key_file, permissions={"secrets": "read"})
    ctx = make_ctx()
    with pytest.raises(ProviderError) as err:
        PROVIDER.apply(PROVIDER.plan(entry, ctx), ctx)
    message = str(err.value)
    assert "422" in message and "not granted to this installation" in message
    assert "edit the App's permissions" in message


def test_app_not_installed_on_the_repository(gh_entry, stub, key_file, make_ctx) -> None:
    entry = _app_entry(gh_entry, stub, key_file, repositories=["acme/unknown"])
    ctx = make_ctx()
    with pytest.raises(ProviderError, match=r"not installed on acme/unknown \(404\)"):
        PROVIDER.apply(PROVIDER.plan(entry, ctx), ctx)


def test_wrong_private_key_is_refused_by_github(gh_entry, stub, tmp_path, make_ctx) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "other.pem"
    path.write_bytes(
        other.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)
    entry = _app_entry(gh_entry, stub, path)
    ctx = make_ctx()
    with pytest.raises(ProviderError, match=r"401.*private key belongs to that App"):
        PROVIDER.apply(PROVIDER.plan(entry, ctx), ctx)


def test_garbage_key_file_is_a_config_error(gh_entry, stub, tmp_path, make_ctx) -> None:
    path = tmp_path / "bad.pem"
    path.write_text("-----BEGIN RSA PRIVATE KEY-----\nnot a key\n-----END RSA PRIVATE KEY-----\n")
    entry = _app_entry(gh_entry, stub, path)
    ctx = make_ctx()
    with pytest.raises(ConfigError, match="cannot sign a JWT"):
        PROVIDER.apply(PROVIDER.plan(entry, ctx), ctx)


def test_missing_key_file_warns_in_plan_and_fails_in_apply(
    gh_entry, stub, tmp_path, make_ctx
) -> None:
    entry = _app_entry(gh_entry, stub, tmp_path / "nope.pem")
    ctx = make_ctx()
    plan = PROVIDER.plan(entry, ctx)
    assert any("does not exist" in w for w in plan.warnings)
    with pytest.raises(ConfigError, match="does not exist"):
        PROVIDER.apply(plan, ctx)


def test_key_inside_the_project_is_warned_about(gh_entry, stub, project, app_key, make_ctx) -> None:
    path = project / "app.pem"
    path.write_text(app_key[0])
    path.chmod(0o644)
    entry = _app_entry(gh_entry, stub, Path("app.pem"))
    plan = PROVIDER.plan(entry, make_ctx())
    assert any("inside the project" in w for w in plan.warnings)
    assert any("chmod 600" in w for w in plan.warnings)


def test_key_from_the_keyring(gh_entry, stub, app_key, make_ctx, memory_store) -> None:
    from agentauth.model import Secret

    memory_store.set("github-app-4242", Secret(app_key[0]))
    entry = PROVIDER.validate(
        gh_entry(
            repositories=["acme/web"],
            permissions={"contents": "read"},
            app_id=4242,
            private_key_keyring="github-app-4242",
            api_url=stub.url,
        )
    )
    ctx = make_ctx()
    applied = PROVIDER.apply(PROVIDER.plan(entry, ctx), ctx)
    assert applied.grant.objects["private_key_keyring"] == "github-app-4242"
    assert "private_key_file" not in applied.grant.objects


def test_over_broad_token_from_github_is_revoked_and_refused(
    gh_entry, stub, key_file, make_ctx
) -> None:
    stub.broaden = True
    entry = _app_entry(gh_entry, stub, key_file)
    ctx = make_ctx()
    with pytest.raises(ProviderError, match="broader token than requested"):
        PROVIDER.apply(PROVIDER.plan(entry, ctx), ctx)
    (issued,) = [t for t in stub.tokens.values() if t.kind == "installation"]
    assert issued.revoked


def test_unreachable_api_is_a_provider_error(gh_entry, key_file, make_ctx) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    entry = PROVIDER.validate(
        gh_entry(
            repositories=["acme/web"],
            app_id=4242,
            private_key_file=str(key_file),
            api_url=f"http://127.0.0.1:{port}",
        )
    )
    ctx = make_ctx()
    with pytest.raises(ProviderError, match="cannot reach GitHub"):
        PROVIDER.apply(PROVIDER.plan(entry, ctx), ctx)


def test_no_token_value_in_any_text_the_provider_returns(
    gh_entry, stub, key_file, make_ctx
) -> None:
    warnings: list[str] = []
    entry = _app_entry(gh_entry, stub, key_file)
    ctx = make_ctx(warnings=warnings)
    plan = PROVIDER.plan(entry, ctx)
    applied = PROVIDER.apply(plan, ctx)
    result = PROVIDER.revoke(applied.grant, ctx)
    value = applied.env["GITHUB_TOKEN"].reveal()
    texts = [repr(plan), repr(applied), str(applied.grant.objects), *applied.notes, *warnings]
    texts += [result.message, result.manual or ""]
    assert all(value not in t for t in texts)


class _PromptingStore:
    """A keyring backend that wants a password prompt: with no terminal, EOFError (issue 14)."""

    def __init__(self, fail_get: bool = True) -> None:
        self.fail_get = fail_get

    def get(self, name: str) -> Any:
        if self.fail_get:
            raise EOFError("EOF when reading a line")
        return None

    def set(self, name: str, value: Any) -> None:
        raise EOFError("EOF when reading a line")

    def delete(self, name: str) -> None:
        return None


def test_preflight_refuses_a_keyring_that_cannot_answer_before_minting(
    gh_entry, stub, key_file, make_ctx
) -> None:
    entry = _app_entry(gh_entry, stub, key_file)
    ctx = make_ctx(store=_PromptingStore())
    plan = PROVIDER.plan(entry, ctx)
    with pytest.raises(ConfigError, match="keyring cannot be used"):
        PROVIDER.preflight(plan, ctx)
    assert stub.calls("POST", r"/app/installations/\d+/access_tokens") == []


def test_a_token_that_cannot_be_kept_is_revoked_before_the_error(
    gh_entry, stub, key_file, make_ctx
) -> None:
    entry = _app_entry(gh_entry, stub, key_file)
    ctx = make_ctx(store=_PromptingStore(fail_get=False))  # reads work, writes prompt
    plan = PROVIDER.plan(entry, ctx)
    PROVIDER.preflight(plan, ctx)
    with pytest.raises(ProviderError, match="could not keep the new installation token") as info:
        PROVIDER.apply(plan, ctx)
    assert "revoked it" in str(info.value)
    assert len(stub.calls("POST", r"/app/installations/\d+/access_tokens")) == 1
    [revoked] = stub.calls("DELETE", "/installation/token")
    token = revoked.headers["Authorization"].split(" ", 1)[1]
    assert stub.tokens[token].revoked
