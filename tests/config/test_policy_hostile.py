"""A hostile policy (it can arrive in a pull request) is a ConfigError, never a traceback."""

from __future__ import annotations

import pytest

from agentauth.config.policy import parse_policy
from agentauth.errors import ConfigError, ExitCode

CASES = {
    "python-object": "agent: bot\ncredentials:\n  X: !!python/object:os.system {}\n",
    "python-apply": "agent: bot\nttl: !!python/object/apply:os.system ['false']\n",
    "long-int": "agent: bot\nttl: " + "9" * 5000 + "\n",
    "long-int-in-entry": "agent: bot\ncredentials:\n  X:\n    provider: redis\n    n: "
    + "9" * 5000
    + "\n",
    "deep-list": "agent: bot\ncredentials:\n  X: " + "[" * 100_000 + "]" * 100_000 + "\n",
    "deep-map": "agent: bot\nx: " + "{a: " * 50_000 + "1" + "}" * 50_000 + "\n",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_policy_is_a_config_error(name: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_policy(CASES[name], "staging-policy.yaml")
    assert caught.value.exit_code == ExitCode.USAGE
    assert "staging-policy.yaml" in str(caught.value)


def test_long_int_names_its_line() -> None:
    with pytest.raises(ConfigError, match=r"staging-policy\.yaml:5: "):
        parse_policy(CASES["long-int-in-entry"], "staging-policy.yaml")
