"""The brokered policy keys: parsing, rule lines, globs, network, phantoms."""

from __future__ import annotations

import pytest

from agentauth.broker import phantom
from agentauth.config.brokerpolicy import broker_policy, compile_glob
from agentauth.config.policy import parse_policy
from agentauth.errors import ConfigError

POLICY = """\
version: 1
agent: claude-code
credentials:
  OPENAI_API_KEY:
    provider: http
    hosts: [api.openai.com]
    auth: bearer
    allow:
      - GET /v1/models
      - POST /v1/chat/completions
  STRIPE_SECRET_KEY:
    provider: stripe
    mode: broker
    allow: ["GET /v1/customers*", "GET /v1/charges/**"]
  ANTHROPIC_API_KEY:
    provider: http
    hosts: [api.anthropic.com]
    auth: header:x-api-key
    allow: ["* /v1/messages"]
network:
  default: deny
  allow: [pypi.org, "*.pythonhosted.org"]
"""


def test_entries_keep_hosts_auth_and_the_line_of_each_rule() -> None:
    bp = broker_policy(parse_policy(POLICY), POLICY)
    by_var = {e.variable: e for e in bp.entries}
    openai = by_var["OPENAI_API_KEY"]
    assert openai.hosts == ("api.openai.com",)
    assert [(r.text, r.line) for r in openai.rules] == [
        ("GET /v1/models", 9),
        ("POST /v1/chat/completions", 10),
    ]
    stripe = by_var["STRIPE_SECRET_KEY"]
    assert stripe.hosts == ("api.stripe.com",)
    assert {r.line for r in stripe.rules} == {14}
    assert by_var["ANTHROPIC_API_KEY"].auth.text == "header:x-api-key"
    assert bp.network.default == "deny"
    assert bp.network.permits("pypi.org")
    assert bp.network.permits("files.pythonhosted.org")
    assert not bp.network.permits("evil.example")


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("/v1/customers*", "/v1/customers", True),
        ("/v1/customers*", "/v1/customers_search", True),
        ("/v1/customers*", "/v1/customers/cus_1", False),
        ("/v1/*/items", "/v1/x/items", True),
        ("/v1/*/items", "/v1/x/y/items", False),
        ("/repos/acme/web/**", "/repos/acme/web", True),
        ("/repos/acme/web/**", "/repos/acme/web/pulls/1", True),
        ("/repos/acme/web/**", "/repos/acme/webhooks", False),
        ("/a/**/z", "/a/b/c/z", True),
        ("/v1.0/x", "/v1a0/x", False),
    ],
)
def test_globs(pattern: str, path: str, expected: bool) -> None:
    assert (compile_glob(pattern).fullmatch(path) is not None) is expected


@pytest.mark.parametrize(
    ("fragment", "message"),
    [
        ("    allow: [GET]\n", "is not a rule"),
        ("    allow: ['get v1']\n", "must be a path"),
        ("    allow: []\n", "nothing is allowed"),
        ("    auth: cookie\n    allow: ['GET /']\n", "auth"),
    ],
)
def test_bad_entries_name_the_key(fragment: str, message: str) -> None:
    text = (
        "version: 1\nagent: a\ncredentials:\n  K:\n    provider: http\n    hosts: [h.example]\n"
        + fragment
    )
    with pytest.raises(ConfigError, match=message):
        broker_policy(parse_policy(text), text)


def test_bad_network_fails_when_the_policy_loads() -> None:
    with pytest.raises(ConfigError, match=r"network\.default"):
        parse_policy("version: 1\nagent: a\nnetwork: {default: maybe}\n")


REALS = ["sk_live_abc123", "rk_test_x", "ghp_abc", "github_pat_11", "sk-proj-x", "sk-ant-api03-x"]
REALS += ["xoxb-1-2", "SG.a.b", "plainvalue"]


@pytest.mark.parametrize(
    "real",
    REALS,
)
def test_phantoms_keep_the_prefix_and_are_recognised(real: str) -> None:
    value = phantom.make(real)
    assert value.startswith(phantom.prefix_of(real))
    assert real not in value
    assert phantom.is_phantom(value)
    assert phantom.find(f"Authorization: Bearer {value}\r\n") == [value]
    assert phantom.make(real) != value
