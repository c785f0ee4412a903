"""A provider whose SDK is missing names the extra to install (audit-only installs are light)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from agentauth import providers
from agentauth.errors import ConfigError


def test_every_sdk_provider_names_an_extra_of_the_distribution() -> None:
    text = (Path(__file__).parents[2] / "pyproject.toml").read_text(encoding="utf-8")
    for name in providers.SDKS:
        assert f"\n{name} = [" in text, f"pyproject.toml has no [{name}] extra"
        assert name in text.split("\nall = [", 1)[1].split("]", 1)[0]


def test_a_missing_sdk_is_a_config_error_naming_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(providers.SDKS, "redis", "agentauth_no_such_sdk")
    with pytest.raises(ConfigError) as info:
        providers.get("redis")
    assert "pip install 'agentauth-cli[redis]'" in str(info.value)


def test_the_cli_prints_the_extra_with_its_brackets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # NOTE: rich markup would otherwise eat "[redis]" and print `pip install 'agentauth-cli'`.
    from agentauth.cli.app import main

    (tmp_path / ".env").write_text("REDIS_URL=redis://:pw-abcdef123@127.0.0.1:6379/0\n")
    (tmp_path / "agentauth.yaml").write_text(
        "agent: bot\ncredentials:\n  REDIS_URL:\n    provider: redis\n    access: read-only\n"
    )
    monkeypatch.setenv("AGENTAUTH_HOME", str(tmp_path / "home"))
    monkeypatch.setitem(providers.SDKS, "redis", "agentauth_no_such_sdk")
    monkeypatch.setattr(sys, "argv", ["agentauth", "provision", "-C", str(tmp_path), "--dry-run"])
    code = main()
    err = capsys.readouterr().err
    assert code == 2
    assert "agentauth-cli[redis]" in err
