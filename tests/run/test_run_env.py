"""The child's environment, computed without a process: allowlist, credentials, .env.ai, markers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentauth.config import envfile, envwrite
from agentauth.engine import credentials
from agentauth.errors import UsageError
from agentauth.model import Secret
from agentauth.service.runenv import (
    EXPIRATION,
    MARKER,
    EnvOptions,
    build_child_env,
    read_env_ai,
)
from agentauth.service.supervisor import InterruptPolicy

STRIPE = "sk_live_" + "51HxYzAbCdEfGhIjKlMnOpQr"
PARENT = {
    "PATH": "/usr/bin:/bin",
    "HOME": "/home/dev",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "TERM": "xterm",
    "HTTPS_PROXY": "http://proxy.corp:3128",
    "HTTP_PROXY": "http://alice:hunter2pass@proxy.corp:3128",
    "STRIPE_SECRET_KEY": STRIPE,
    "DATABASE_URL": "postgresql://owner:ownerpw@db.prod:5432/app",
    "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
    "AWS_REGION": "eu-west-1",
    "EDITOR_THEME": "dark",
    "SSH_AUTH_SOCK": "/tmp/ssh-agent.sock",
    "PWD": "/home/dev/app",
}
ENV_AI = [("DATABASE_URL", "postgresql://agent_ro:pw@127.0.0.1:5432/app"), ("APP_MODE", "dev")]


def test_core_keeps_the_allowlist_and_drops_credentials() -> None:
    child = build_child_env(PARENT, ENV_AI, {}, EnvOptions(agent="claude-code"))
    assert set(child.env) == {
        "PATH", "HOME", "LANG", "LC_ALL", "TERM", "HTTPS_PROXY", "SSH_AUTH_SOCK",
        "DATABASE_URL", "APP_MODE", MARKER,
    }  # fmt: skip
    assert child.env["DATABASE_URL"] == ENV_AI[0][1]
    assert child.env[MARKER] == "claude-code"
    # A proxy URL with a password is a credential even though proxies are allowlisted.
    assert child.dropped == ("HTTP_PROXY",)
    assert "STRIPE_SECRET_KEY" in child.not_inherited
    assert EXPIRATION not in child.env


def test_all_keeps_everything_but_credentials() -> None:
    child = build_child_env(PARENT, [], {}, EnvOptions(inherit="all"))
    assert set(child.dropped) == {
        "HTTP_PROXY", "STRIPE_SECRET_KEY", "DATABASE_URL", "AWS_ACCESS_KEY_ID",
    }  # fmt: skip
    assert child.env["AWS_REGION"] == "eu-west-1"
    assert child.env["EDITOR_THEME"] == "dark"
    assert child.env["PWD"] == "/home/dev/app"
    assert STRIPE not in child.env.values()


def test_none_keeps_only_what_is_allowed() -> None:
    child = build_child_env(PARENT, ENV_AI, {}, EnvOptions(inherit="none", allow=("TERM",)))
    assert set(child.env) == {"TERM", "DATABASE_URL", "APP_MODE", MARKER}


def test_allow_glob_never_passes_a_credential_but_an_exact_name_does() -> None:
    globbed = build_child_env(PARENT, [], {}, EnvOptions(allow=("STRIPE_*", "EDITOR_*")))
    assert "STRIPE_SECRET_KEY" not in globbed.env
    assert globbed.env["EDITOR_THEME"] == "dark"
    exact = build_child_env(PARENT, [], {}, EnvOptions(allow=("STRIPE_SECRET_KEY",)))
    assert exact.env["STRIPE_SECRET_KEY"] == STRIPE
    assert exact.passed == ("STRIPE_SECRET_KEY",)


def test_env_ai_cannot_set_reserved_names_and_minted_wins() -> None:
    env_ai = [("PATH", "/evil"), ("HOME", "/evil"), (MARKER, "other"), ("AWS_SESSION_TOKEN", "old")]
    minted = {"AWS_SESSION_TOKEN": Secret("fresh-session-token")}
    child = build_child_env(PARENT, env_ai, minted, EnvOptions(expiration="2030-01-01T00:00:00Z"))
    assert child.env["PATH"] == PARENT["PATH"]
    assert child.env["HOME"] == PARENT["HOME"]
    assert child.env[MARKER] == "agent"
    assert set(child.ignored) == {"PATH", "HOME", MARKER}
    assert child.env["AWS_SESSION_TOKEN"] == "fresh-session-token"
    assert child.env[EXPIRATION] == "2030-01-01T00:00:00Z"


def test_parent_markers_are_never_inherited() -> None:
    parent = {**PARENT, MARKER: "outer", EXPIRATION: "1999-01-01T00:00:00Z"}
    child = build_child_env(parent, [], {}, EnvOptions(agent="inner", inherit="all"))
    assert child.env[MARKER] == "inner"
    assert EXPIRATION not in child.env


def test_unknown_inherit_mode_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        build_child_env(PARENT, [], {}, EnvOptions(inherit="some"))


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("GITHUB_TOKEN", "ghp_" + "a" * 36, True),
        ("MY_API_KEY", "anything-goes-here", True),
        ("OPENAI_APIKEY", "x" * 20, True),
        ("SOME_VAR", "sk_live_" + "b" * 24, True),
        ("REDIS_URL", "redis://cache:6379/0", False),  # no user, no password: an address
        ("REDIS_URL", "redis://:pw-abcdef@cache:6379/0", True),
        ("JWT", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sig", True),
        ("AWS_PROFILE", "prod-admin", True),
        ("AWS_REGION", "us-east-1", False),
        ("PWD", "/home/dev", False),
        ("SSH_AUTH_SOCK", "/tmp/agent.sock", False),
        ("PATH", "/usr/bin:/bin", False),
        ("KEYBOARD", "us", False),
        ("ASIAN_FOOD", "ASIAN_FOOD_IS_GREAT", False),
        ("GITHUB_TOKEN", "${GITHUB_TOKEN}", False),
        ("DATABASE_PASSWORD", "agentauth-keyring:proj-1/DATABASE_PASSWORD", False),
        ("EMPTY_SECRET", "", False),
    ],
)
def test_fast_credential_heuristics(name: str, value: str, expected: bool) -> None:
    assert credentials.looks_like_credential(name, value) is expected


_values = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x00"),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.from_regex(r"[A-Z_][A-Z0-9_]{0,12}", fullmatch=True), _values),
                max_size=6))  # fmt: skip
def test_fast_env_ai_reader_agrees_with_the_full_parser(
    tmp_path_factory: pytest.TempPathFactory, pairs: list[tuple[str, str]]
) -> None:
    text = envwrite.render(pairs, "written by a test\nsecond line")
    path = tmp_path_factory.mktemp("envai") / ".env.ai"
    path.write_text(text, encoding="utf-8")
    full = [(e.key, e.value) for e in envfile.parse(text) if e.key is not None]
    assert read_env_ai(path) == full


def test_hand_edited_env_ai_goes_through_the_full_parser(tmp_path: pytest.TempPathFactory) -> None:
    path = tmp_path / ".env.ai"  # type: ignore[operator]
    path.write_text('export A="x y"  # note\nB: colon\nC=plain\n', encoding="utf-8")
    assert read_env_ai(path) == [("A", "x y"), ("B", "colon"), ("C", "plain")]


def test_interrupt_policy_on_a_terminal_and_without() -> None:
    clock = iter([0.0, 10.0, 10.5, 10.7]).__next__
    tty = InterruptPolicy(True, window=2.0, clock=clock)
    assert tty.on_sigint() is None  # first Ctrl-C: the child got it from the terminal
    assert tty.on_sigint() is None  # ten seconds later: a new first press
    assert tty.on_sigint() == 15  # pressed twice: SIGTERM
    assert tty.on_sigint() == 9  # three times: SIGKILL
    assert InterruptPolicy(False).on_sigint() == 2  # no terminal: forward SIGINT
