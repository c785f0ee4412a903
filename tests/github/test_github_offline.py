"""Offline parts of the GitHub provider: token formats, checksum, scopes, policy validation."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentauth.errors import ConfigError
from agentauth.model import Severity
from agentauth.providers.github.options import PERMISSIONS, PRESETS, parse, prefill_url, web_url
from agentauth.providers.github.provider import PROVIDER
from agentauth.providers.github.token import (
    TokenKind,
    checksum_valid,
    is_stateless_installation_token,
    make_classic_token,
    parse_expiry,
    parse_scopes,
    scope_capabilities,
    scope_severity,
    token_kind,
)

B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

# --------------------------------------------------------------------------- tokens


def test_checksum_published_vectors() -> None:
    # DataDog/dd-sensitive-data-scanner github_token_checksum.rs test vectors.
    assert checksum_valid("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") is True
    assert checksum_valid("ghp_M7H4jxUDDWHP4kZ6A4dxlQYsQIWJuq11T4V3") is False


@given(
    st.text(alphabet=B62, min_size=30, max_size=30),
    st.sampled_from(["ghp", "gho", "ghu", "ghs", "ghr"]),
)
def test_checksum_roundtrip_and_single_character_corruption(random_part: str, prefix: str) -> None:
    token = make_classic_token(prefix, random_part)
    assert checksum_valid(token) is True
    crc = zlib.crc32(random_part.encode())
    assert crc >= 0
    last = token[-1]
    corrupted = token[:-1] + ("0" if last != "0" else "1")
    assert checksum_valid(corrupted) is False


def test_formats_without_a_checksum_return_none() -> None:
    assert checksum_valid("github_pat_" + "A" * 22 + "_" + "b" * 59) is None
    assert checksum_valid("ghs_123456_eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOjF9.c2ln-_x") is None
    assert checksum_valid("0123456789abcdef0123456789abcdef01234567") is None


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("ghp_x", TokenKind.CLASSIC_PAT),
        ("gho_x", TokenKind.OAUTH),
        ("ghu_x", TokenKind.USER_TO_SERVER),
        ("ghs_x", TokenKind.INSTALLATION),
        ("ghr_x", TokenKind.REFRESH),
        ("github_pat_x", TokenKind.FINE_GRAINED),
        ("0123456789abcdef0123456789abcdef01234567", TokenKind.LEGACY),
        ("sk_live_x", TokenKind.UNKNOWN),
    ],
)
def test_token_kind_by_prefix(value: str, kind: TokenKind) -> None:
    assert token_kind(value) is kind


def test_stateless_installation_token_format() -> None:
    jwtish = "eyJhbGciOiJSUzI1NiJ9." + "a" * 300 + ".sig-_x"
    assert is_stateless_installation_token(f"ghs_1234567_{jwtish}")
    assert not is_stateless_installation_token(make_classic_token("ghs", "a" * 30))


@pytest.mark.parametrize(
    ("scopes", "severity"),
    [
        (("repo", "read:org"), Severity.CRITICAL),
        (("workflow",), Severity.CRITICAL),
        (("admin:repo_hook",), Severity.CRITICAL),
        (("delete_repo",), Severity.CRITICAL),
        (("admin:org",), Severity.CRITICAL),
        (("public_repo",), Severity.HIGH),
        (("gist",), Severity.HIGH),
        (("read:org", "read:user"), Severity.MEDIUM),
        ((), Severity.LOW),
    ],
)
def test_scope_severity(scopes: tuple[str, ...], severity: Severity) -> None:
    assert scope_severity(scopes) is severity


def test_scope_capabilities_use_the_shared_vocabulary() -> None:
    assert scope_capabilities(["repo"]) == ("admin-repository", "push-code", "read-code")
    assert scope_capabilities(["write:packages"]) == ("publish-packages",)
    assert scope_capabilities(["read:org"]) == ()


def test_header_parsing() -> None:
    assert parse_scopes("repo, read:org") == ("repo", "read:org")
    assert parse_scopes("") == ()
    assert parse_scopes(None) is None
    expected = datetime(2027, 1, 1, tzinfo=UTC)
    assert parse_expiry("2027-01-01 00:00:00 UTC") == expected
    assert parse_expiry("2027-01-01 00:00:00 +0000") == expected
    assert parse_expiry("2027-01-01 01:00:00 +0100") == expected
    assert parse_expiry(None) is None
    assert parse_expiry("garbage") is None


# --------------------------------------------------------------------------- policy


def _entry(gh_entry, **options):  # type: ignore[no-untyped-def]
    return gh_entry(**options)


def test_validate_normalises_and_adds_metadata(gh_entry) -> None:
    entry = PROVIDER.validate(
        gh_entry(
            repositories="acme/web", permissions={"pull_requests": "write", "contents": "read"}
        )
    )
    assert entry.options == {
        "mode": "pat",
        "repositories": ["acme/web"],
        "permissions": {"contents": "read", "metadata": "read", "pull_requests": "write"},
    }
    assert PROVIDER.validate(entry) == entry  # idempotent


def test_app_id_selects_app_mode(gh_entry) -> None:
    entry = PROVIDER.validate(
        gh_entry(repositories=["acme/web"], app_id="12", private_key_file="~/k.pem")
    )
    assert entry.options["mode"] == "app"
    assert entry.options["app_id"] == 12


@pytest.mark.parametrize(
    ("options", "key", "text"),
    [
        ({}, "repositories", "list the repositories"),
        ({"repositories": ["web"]}, "repositories", "is not owner/name"),
        ({"repositories": ["acme/web", "other/x"]}, "repositories", "one owner"),
        (
            {"repositories": ["acme/web"], "permissions": {"content": "read"}},
            "permissions.content",
            "did you mean contents",
        ),
        (
            {"repositories": ["acme/web"], "permissions": {"contents": "full"}},
            "permissions.contents",
            "read, write, admin",
        ),
        (
            {"repositories": ["acme/web"], "permissions": {"contents": "admin"}},
            "permissions.contents",
            "admin exists only",
        ),
        (
            {"repositories": ["acme/web"], "permissions": {"workflows": "read"}},
            "permissions.workflows",
            "only as write",
        ),
        (
            {"repositories": ["acme/web"], "permissions": {"metadata": "write"}},
            "permissions.metadata",
            "only as read",
        ),
        ({"repositories": ["acme/web"], "permissions": ["contents"]}, "permissions", "mapping"),
        ({"repositories": ["acme/web"], "mode": "oauth"}, "mode", "app or pat"),
        ({"repositories": ["acme/web"], "mode": "app"}, "app_id", "numeric id"),
        ({"repositories": ["acme/web"], "app_id": 1}, "private_key_file", "exactly one"),
        (
            {
                "repositories": ["acme/web"],
                "app_id": 1,
                "private_key_file": "a",
                "private_key_keyring": "b",
            },
            "private_key_file",
            "exactly one",
        ),
        (
            {"repositories": ["acme/web"], "app_id": -3, "private_key_file": "a"},
            "app_id",
            "positive integer",
        ),
        (
            {"repositories": ["acme/web"], "private_key": "-----BEGIN RSA"},
            "private_key",
            "never put",
        ),
        (
            {
                "repositories": ["acme/web"],
                "app_id": 1,
                "private_key_file": "-----BEGIN RSA PRIVATE KEY-----",
            },
            "private_key_file",
            "never put",
        ),
        ({"repositories": ["acme/web"], "token": "ghp_x"}, "token", "holds no secrets"),
        ({"repositories": ["acme/web"], "installation_id": 3}, "installation_id", "mode: app only"),
        (
            {
                "repositories": ["acme/web"],
                "app_id": 1,
                "private_key_file": "a",
                "expires_in_days": 3,
            },
            "expires_in_days",
            "mode: pat only",
        ),
        ({"repositories": ["acme/web"], "expires_in_days": 400}, "expires_in_days", "1 to 366"),
        (
            {"repositories": ["acme/web"], "expires_in_days": True},
            "expires_in_days",
            "positive integer",
        ),
        ({"repositories": ["acme/web"], "api_url": "ftp://x"}, "api_url", "not an http"),
        (
            {"repositories": ["acme/web"], "api_url": "http://ghe.example.com/api/v3"},
            "api_url",
            "in the clear",
        ),
        ({"repositories": ["acme/web"], "name": "x" * 41}, "name", "at most 40"),
        ({"repositories": ["acme/web"], "scopes": ["repo"]}, "scopes", "unknown key"),
    ],
)
def test_bad_options_name_the_key_and_line(gh_entry, options, key, text) -> None:
    with pytest.raises(ConfigError) as err:
        PROVIDER.validate(gh_entry(line=12, **options))
    message = str(err.value)
    assert message.startswith(f"line 12: credentials.GITHUB_TOKEN.{key}:"), message
    assert text in message


def test_every_known_permission_is_accepted_at_a_valid_level(gh_entry) -> None:
    for name in sorted(PERMISSIONS):
        level = {"workflows": "write"}.get(name, "read")
        parse(gh_entry(repositories=["acme/web"], permissions={name: level}))


def test_presets_validate(gh_entry) -> None:
    assert set(PRESETS) == {"code-review", "issue-triage", "ci-reader", "deploy-staging"}
    expected = {
        "code-review": {"contents": "read", "pull_requests": "write"},
        "issue-triage": {"issues": "write"},
        "ci-reader": {"actions": "read"},
        "deploy-staging": {"contents": "read", "actions": "write"},
    }
    for name, options in PRESETS.items():
        entry = PROVIDER.validate(gh_entry(repositories=["acme/web"], **options))
        assert entry.options["permissions"] == {**expected[name], "metadata": "read"}


def test_loopback_http_and_ghes_urls(gh_entry) -> None:
    opts = parse(gh_entry(repositories=["acme/web"], api_url="https://ghe.example.com/api/v3/"))
    assert opts.api_url == "https://ghe.example.com/api/v3"
    assert web_url(opts.api_url) == "https://ghe.example.com"
    assert web_url("https://api.github.com") == "https://github.com"
    parse(gh_entry(repositories=["acme/web"], api_url="http://127.0.0.1:8080"))
    parse(gh_entry(repositories=["acme/web"], api_url="http://localhost:8080"))


def test_prefill_url_for_github_com(gh_entry) -> None:
    opts = parse(
        gh_entry(repositories=["acme/web"], permissions={"issues": "write"}, name="triage bot")
    )
    url = prefill_url(opts, agent="claude", variable="GH", days=30)
    assert url == (
        "https://github.com/settings/personal-access-tokens/new?name=triage+bot"
        "&description=agentauth%3A+claude+for+acme%2Fweb&target_name=acme&expires_in=30&issues=write"
    )
