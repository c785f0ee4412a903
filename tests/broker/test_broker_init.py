"""``init`` proposes brokered, read-only entries for API keys no provider can scope."""

from __future__ import annotations

from pathlib import Path

from agentauth.config.brokerpolicy import broker_policy
from agentauth.config.policy import parse_policy
from agentauth.service.initpolicy import write_policy

B58 = "Vq3Lm8Nx2Rt6Wy9Zb4Cd7Fg1Hj5Kl0Mp3Qs6Tv9Xw2Ya5Bc8De1Rt6Wy9Zb"


def test_init_brokers_openai_anthropic_and_slack_keys_read_only(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        f"OPENAI_API_KEY=sk-proj-{B58}T3BlbkFJ{B58}\n"
        f"ANTHROPIC_API_KEY=sk-ant-api03-{B58}{B58[:35]}AA\n"
        "SLACK_BOT_TOKEN=xoxb-482910374652-4829103746521-Rt6Wy9Zb4Cd7Fg1Hj5Kl0Mp3\n"
    )
    result = write_policy(tmp_path, tmp_path / "agentauth.yaml")
    bp = broker_policy(parse_policy(result.text), result.text)
    by_var = {e.variable: e for e in bp.entries}
    assert set(by_var) == {"OPENAI_API_KEY", "ANTHROPIC_API_KEY", "SLACK_BOT_TOKEN"}
    assert by_var["OPENAI_API_KEY"].hosts == ("api.openai.com",)
    assert by_var["ANTHROPIC_API_KEY"].auth.text == "header:x-api-key"
    for entry in bp.entries:
        assert all(r.method in ("GET", "POST") for r in entry.rules)
    assert not any(r.method == "POST" for r in by_var["OPENAI_API_KEY"].rules)
    assert ": pass" not in result.text
