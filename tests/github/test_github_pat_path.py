"""Path B against the stub: the pre-filled URL, the pasted token's checks, keyring, revoke."""

from __future__ import annotations

import io
import sys
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from github import Auth, Github, GithubException

from agentauth.errors import NonInteractiveError, ProviderError
from agentauth.model import GrantStatus
from agentauth.providers.github.provider import PROVIDER


def _pat_entry(gh_entry: Any, stub: Any, **extra: Any) -> Any:
    options: dict[str, Any] = {
        "repositories": ["acme/web", "acme/api"],
        "permissions": {"contents": "read", "pull_requests": "write"},
        "api_url": stub.url,
    }
    options.update(extra)
    return PROVIDER.validate(gh_entry(**options))


def _agent(stub: Any, token: str) -> Github:
    return Github(auth=Auth.Token(token), base_url=stub.url, retry=0)


def _fine_grained(stub: Any, token_factory: Any, repos: set[str], days: int | None = 3) -> str:
    expires = datetime.now(UTC).replace(microsecond=0) + timedelta(days=days) if days else None
    info = token_factory.info(
        "fine-grained",
        "octodev",
        repos,
        {"contents": "read", "pull_requests": "write", "metadata": "read"},
        expires=expires,
    )
    return stub.add_token(token_factory.fine_grained(), info)


def test_plan_prints_the_prefilled_url_and_needs_no_network(gh_entry, stub, make_ctx) -> None:
    plan = PROVIDER.plan(_pat_entry(gh_entry, stub, expires_in_days=7), make_ctx())
    assert stub.requests == []
    url = plan.steps[0].detail
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == stub.url
    assert parts.path == "/settings/personal-access-tokens/new"
    assert parse_qsl(parts.query) == [
        ("name", "agentauth-claude-code-GITHUB_TOKEN"),
        ("description", "agentauth: claude-code for acme/web, acme/api"),
        ("target_name", "acme"),
        ("expires_in", "7"),
        ("contents", "read"),
        ("pull_requests", "write"),
    ]
    assert "acme/web, acme/api" in plan.steps[1].summary
    assert plan.manual is not None and url in plan.manual
    assert plan.grant.revocable is True  # POST /credentials/revoke
    assert plan.grant.objects["store_key"].startswith(f"github/{plan.grant.id}/")


def test_pasted_fine_grained_token_is_checked_kept_and_recorded(
    gh_entry, stub, make_ctx, memory_store, token_factory, FakePrompter
) -> None:
    token = _fine_grained(stub, token_factory, {"acme/web", "acme/api"})
    prompter = FakePrompter(secret=token)
    warnings: list[str] = []
    ctx = make_ctx(prompter=prompter, warnings=warnings)
    plan = PROVIDER.plan(_pat_entry(gh_entry, stub), ctx)
    applied = PROVIDER.apply(plan, ctx)

    assert applied.env["GITHUB_TOKEN"].reveal() == token
    assert memory_store.get(plan.grant.objects["store_key"]).reveal() == token
    grant = applied.grant
    assert grant.status is GrantStatus.ACTIVE and grant.revocable is True
    assert grant.expires == stub.tokens[token].expires
    assert grant.objects["login"] == "octodev"
    assert prompter.told and "settings/personal-access-tokens/new?" in prompter.told[0]
    assert any("cannot" in w or "does not let" in w for w in warnings)
    for path in ("/user", "/repos/acme/web", "/repos/acme/api"):
        (call,) = stub.calls("GET", path)
        assert call.headers["Authorization"] == f"token {token}"
    texts = [repr(applied), str(grant.objects), *applied.notes, *warnings, *prompter.told]
    assert all(token not in t for t in texts)


def test_token_missing_a_listed_repository_is_refused(
    gh_entry, stub, make_ctx, memory_store, token_factory, FakePrompter
) -> None:
    token = _fine_grained(stub, token_factory, {"acme/web"})
    ctx = make_ctx(prompter=FakePrompter(secret=token))
    with pytest.raises(ProviderError, match=r"cannot read acme/api \(404\)"):
        PROVIDER.apply(PROVIDER.plan(_pat_entry(gh_entry, stub), ctx), ctx)
    assert memory_store.values == {}


def test_token_reaching_more_repositories_is_warned_about(
    gh_entry, stub, make_ctx, token_factory, FakePrompter
) -> None:
    token = _fine_grained(stub, token_factory, {"acme/web", "acme/api", "acme/secret-infra"})
    warnings: list[str] = []
    ctx = make_ctx(prompter=FakePrompter(secret=token), warnings=warnings)
    PROVIDER.apply(PROVIDER.plan(_pat_entry(gh_entry, stub), ctx), ctx)
    assert any("also reaches acme/secret-infra" in w for w in warnings)


def test_never_expiring_token_is_warned_about(
    gh_entry, stub, make_ctx, token_factory, FakePrompter
) -> None:
    token = _fine_grained(stub, token_factory, {"acme/web", "acme/api"}, days=None)
    warnings: list[str] = []
    ctx = make_ctx(prompter=FakePrompter(secret=token), warnings=warnings)
    applied = PROVIDER.apply(PROVIDER.plan(_pat_entry(gh_entry, stub), ctx), ctx)
    assert applied.grant.expires is None
    assert any("never expires" in w for w in warnings)


@pytest.mark.parametrize("scope", ["repo", "workflow", "admin:org", "delete_repo", "public_repo"])
def test_classic_token_with_broad_scopes_is_refused(
    gh_entry, stub, make_ctx, memory_store, token_factory, scope, FakePrompter
) -> None:
    token = token_factory.classic("ghp")
    stub.add_token(
        token,
        token_factory.info(
            "classic", "octodev", {"acme/web", "acme/api"}, {}, scopes=(scope, "read:org")
        ),
    )
    ctx = make_ctx(prompter=FakePrompter(secret=token))
    with pytest.raises(ProviderError) as err:
        PROVIDER.apply(PROVIDER.plan(_pat_entry(gh_entry, stub), ctx), ctx)
    assert f"refusing a classic token with scopes {scope}" in str(err.value)
    assert token not in str(err.value)
    assert memory_store.values == {}


def test_classic_token_with_read_only_scopes_is_accepted_with_a_warning(
    gh_entry, stub, make_ctx, token_factory, FakePrompter
) -> None:
    token = token_factory.classic("ghp")
    stub.add_token(
        token,
        token_factory.info(
            "classic", "octodev", {"acme/web", "acme/api"}, {}, scopes=("read:org",)
        ),
    )
    warnings: list[str] = []
    ctx = make_ctx(prompter=FakePrompter(secret=token), warnings=warnings)
    applied = PROVIDER.apply(PROVIDER.plan(_pat_entry(gh_entry, stub), ctx), ctx)
    assert applied.grant.status is GrantStatus.ACTIVE
    assert any("classic token cannot be limited" in w for w in warnings)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "empty"),
        ("ghs_" + "a" * 36, "installation token"),
        ("ghr_" + "a" * 36, "refresh token"),
        ("hello-world", "not a GitHub token"),
        ("ghp_M7H4jxUDDWHP4kZ6A4dxlQYsQIWJuq11T4V3", "checksum"),
    ],
)
def test_wrong_kinds_of_paste_are_refused_before_any_request(
    gh_entry, stub, make_ctx, value, message, FakePrompter
) -> None:
    ctx = make_ctx(prompter=FakePrompter(secret=value))
    with pytest.raises(ProviderError, match=message):
        PROVIDER.apply(PROVIDER.plan(_pat_entry(gh_entry, stub), ctx), ctx)
    assert stub.requests == []


def test_token_github_rejects_is_refused(
    gh_entry, stub, make_ctx, token_factory, FakePrompter
) -> None:
    ctx = make_ctx(prompter=FakePrompter(secret=token_factory.fine_grained()))
    with pytest.raises(ProviderError, match="401"):
        PROVIDER.apply(PROVIDER.plan(_pat_entry(gh_entry, stub), ctx), ctx)


def test_no_terminal_and_no_stdin_is_a_non_interactive_error(
    gh_entry, stub, make_ctx, FakePrompter
) -> None:
    for prompter in (None, FakePrompter(secret=None)):
        ctx = make_ctx(prompter=prompter)
        with pytest.raises(NonInteractiveError):
            PROVIDER.apply(PROVIDER.plan(_pat_entry(gh_entry, stub), ctx), ctx)


def test_token_piped_on_stdin_through_the_terminal_prompter(
    gh_entry, stub, make_ctx, token_factory, monkeypatch, capsys
) -> None:
    from agentauth.cli.console import TerminalPrompter

    token = _fine_grained(stub, token_factory, {"acme/web", "acme/api"})
    monkeypatch.setattr(sys, "stdin", io.StringIO(token + "\n"))
    ctx = make_ctx(prompter=TerminalPrompter())
    applied = PROVIDER.apply(PROVIDER.plan(_pat_entry(gh_entry, stub), ctx), ctx)
    assert applied.env["GITHUB_TOKEN"].reveal() == token
    out, err = capsys.readouterr()
    assert "personal-access-tokens/new?" in err
    assert token not in out and token not in err


def test_revoke_ends_the_pasted_token_through_the_credential_revocation_api(
    gh_entry, stub, make_ctx, memory_store, token_factory, FakePrompter
) -> None:
    token = _fine_grained(stub, token_factory, {"acme/web", "acme/api"})
    ctx = make_ctx(prompter=FakePrompter(secret=token))
    applied = PROVIDER.apply(PROVIDER.plan(_pat_entry(gh_entry, stub), ctx), ctx)
    assert _agent(stub, token).get_user().login  # works before
    result = PROVIDER.revoke(applied.grant, ctx)
    assert result.ok and not result.still_valid, result
    [call] = stub.calls("POST", "/credentials/revoke")
    assert call.body == {"credentials": [token]}
    assert "Authorization" not in call.headers  # GitHub refuses authenticated calls (403)
    assert stub.tokens[token].revoked
    with pytest.raises(GithubException) as info:
        assert _agent(stub, token).get_user().login is None
    assert info.value.status == 401
    assert memory_store.values == {}
    assert token not in result.message


def test_a_token_agentauth_cannot_revoke_is_reported_not_revoked(
    gh_entry, stub, make_ctx, memory_store, token_factory, FakePrompter
) -> None:
    token = _fine_grained(stub, token_factory, {"acme/web", "acme/api"})
    ctx = make_ctx(prompter=FakePrompter(secret=token))
    applied = PROVIDER.apply(PROVIDER.plan(_pat_entry(gh_entry, stub), ctx), ctx)
    memory_store.values.clear()  # the keyring lost it: agentauth no longer has the value
    result = PROVIDER.revoke(applied.grant, ctx)
    assert not result.ok and result.still_valid
    assert result.manual is not None
    assert f"{stub.url}/settings/personal-access-tokens" in result.manual
    assert "agentauth-claude-code-GITHUB_TOKEN" in result.manual
    assert not stub.tokens[token].revoked
    assert token not in result.manual and token not in result.message


def test_without_a_secure_keyring_it_stops_before_asking_for_the_token(
    gh_entry, stub, make_ctx, FakePrompter
) -> None:
    from agentauth.errors import ConfigError

    prompter = FakePrompter(secret="never-asked")
    ctx = make_ctx(prompter=prompter, store=None)  # falls back to the OS keyring: 'fail' in tests
    with pytest.raises(ConfigError, match="no secure keyring backend"):
        PROVIDER.apply(PROVIDER.plan(_pat_entry(gh_entry, stub), ctx), ctx)
    assert prompter.asked == [] and prompter.told == []
    assert stub.requests == []


def test_yes_to_the_browser_offer_opens_the_prefilled_url(
    gh_entry, stub, make_ctx, token_factory, FakePrompter, monkeypatch
) -> None:
    import webbrowser

    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url, *a, **k: opened.append(url) or True)
    token = _fine_grained(stub, token_factory, {"acme/web", "acme/api"})
    ctx = make_ctx(prompter=FakePrompter(secret=token, confirm=True))
    plan = PROVIDER.plan(_pat_entry(gh_entry, stub), ctx)
    PROVIDER.apply(plan, ctx)
    assert opened == [plan.steps[0].detail]
