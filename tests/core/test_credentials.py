"""One credential judge: run (fast path), provision and init agree on every name of the table."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentauth.config import references
from agentauth.config.envfile import parse
from agentauth.config.policy import parse_policy
from agentauth.engine import credentials
from agentauth.model import Secret
from agentauth.service import initpolicy, presets
from agentauth.service import provision as svc
from agentauth.service.runenv import EnvOptions, build_child_env

# Names whose values the catalog does not recognise; issue 10 measured 8 of them disagreeing.
VALUE = "q8Zr4Lm2Xv7Tn1Kp9Wd3"
TABLE = {
    "SESSION_ID": True,
    "FLASK_SESSION": True,
    "JWT_SALT": True,
    "SLACK_WEBHOOK_URL": True,
    "SSL_CERT": True,
    "MY_PEM": True,
    "PWD_HASH": True,
    "GITHUB_PAT": True,
    "API_KEY": True,
    "DB_PASSWORD": True,
    "APP_COLOR": False,
}


def _run_keeps(name: str) -> bool:
    child = build_child_env({name: VALUE}, [], {}, EnvOptions(allow=(f"{name[0]}*",)))
    return name in child.env


def _provision_withholds(project: Path, name: str) -> bool:
    (project / ".env").write_text(f"{name}={VALUE}\n")
    policy = parse_policy("agent: bot\ncredentials: {}\n")
    ctx = svc.build_context(project, policy, environ={})
    pplan = svc.plan(policy, ctx)
    assert name in pplan.withheld or name in pplan.copied
    return name in pplan.withheld


def _init_names_it(name: str) -> bool:
    env = {name: (Secret(VALUE), False)}
    text, entries, _notes = initpolicy.build_policy_text(
        env, source=".env", agent="bot", ttl="8h", preset=presets.get(None),
        classifier=credentials.Judge(".env"),
    )  # fmt: skip
    return name in entries or f"{name}: drop" in text


@pytest.mark.parametrize("name", sorted(TABLE))
def test_every_command_agrees(name: str, project: Path) -> None:
    expected = TABLE[name]
    assert credentials.looks_like_credential(name, VALUE) is expected
    assert credentials.Judge().is_credential(name, VALUE) is expected
    assert _run_keeps(name) is not expected, "run"
    assert _provision_withholds(project, name) is expected, "provision"
    assert _init_names_it(name) is expected, "init"


@pytest.mark.parametrize(
    "name", ["SSL_CERT_FILE", "SSL_CERT_DIR", "XDG_SESSION_ID", "SESSION_MANAGER", "PWD"]
)
def test_pointers_and_desktop_variables_are_not_credentials(name: str) -> None:
    assert not credentials.looks_like_credential(name, "/etc/ssl/certs")


@pytest.mark.parametrize(
    "value", ["${DB_PASS}", "$DB_PASS", "agentauth-keyring:p/DB", "op://vault/item", "  "]
)
def test_a_reference_or_empty_value_is_never_a_credential(value: str) -> None:
    assert references.is_reference(value) or not value.strip()
    assert not credentials.looks_like_credential("DB_PASSWORD", value)
    assert not credentials.Judge().is_credential("DB_PASSWORD", value)


def test_envfile_and_references_share_one_reference_rule() -> None:
    for raw in ("${X}", "OP://vault/x", "plain", "agentauth-keyring:a/b"):
        (entry,) = [e for e in parse(f"V={raw}\n") if e.key]
        assert references.is_reference(entry.raw_value or "") is references.is_reference(raw)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("redis://127.0.0.1:6379/0", False),  # an address: anyone who reaches it gets in anyway
        ("redis://cache.prod.example.com:6379/0", False),
        ("postgresql:///shop?host=/run/pg&port=5432", False),
        ("redis://:pw-abcdef@127.0.0.1:6379/0", True),
        ("mysql://root@127.0.0.1:3306/shop", True),  # a name a trusting server lets in
        ("postgresql://postgres@db.prod.example.com:5432/shop", True),
        ("postgresql:///shop?host=/run/pg&password=pw-abcdef", True),
    ],
)
def test_a_database_url_is_a_credential_only_when_it_names_someone(
    value: str, expected: bool
) -> None:
    """The fast rule, the engine and the env-file verdict agree: no user or secret: none."""
    judge = credentials.Judge()
    assert credentials.looks_like_credential("CACHE_URL", value) is expected
    assert judge.is_credential("CACHE_URL", value) is expected
    assert (judge.risk("CACHE_URL", value, 1) is not None) is expected
