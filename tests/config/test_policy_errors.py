"""Policy errors point at FILE:LINE of the key itself and suggest the known spelling."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from agentauth import providers
from agentauth.config.policy import load_policy
from agentauth.errors import ConfigError
from agentauth.providers.kit import OptionError, admin_secret
from agentauth.secret import Secret

POLICY = """\
version: 1
agent: claude-code
credentials:
  DATABASE_URL:
    provider: postgres
    access: read-only
    schema: [public]
"""


def test_unknown_top_key_suggests_the_known_one(tmp_path: Path) -> None:
    path = tmp_path / "staging-policy.yaml"
    path.write_text("version: 1\nagent: a\ncredentails: {}\n")
    with pytest.raises(ConfigError) as info:
        load_policy(path)
    text = str(info.value)
    assert text.startswith(f"{path}:3: ")
    assert "did you mean 'credentials'?" in text


def test_unknown_option_is_located_on_its_own_line_in_the_file_used(tmp_path: Path) -> None:
    path = tmp_path / "staging-policy.yaml"
    path.write_text(POLICY)
    policy = load_policy(path)
    entry = policy.credentials[0]
    with pytest.raises(OptionError) as info:
        providers.get("postgres").validate(entry)
    text = str(info.value.located(policy.path))
    assert text.startswith(f"{path}:7: "), text
    assert "did you mean 'schemas'?" in text


def test_bad_option_value_points_at_the_option_line(tmp_path: Path) -> None:
    path = tmp_path / "agentauth.yaml"
    path.write_text(POLICY.replace("    schema: [public]\n", "").replace("read-only", "sideways"))
    policy = load_policy(path)
    with pytest.raises(OptionError) as info:
        providers.get("postgres").validate(policy.credentials[0])
    assert str(info.value.located(policy.path)).startswith("agentauth.yaml:6: ")


def test_unknown_provider_points_at_provider_line_with_suggestion(tmp_path: Path) -> None:
    path = tmp_path / "agentauth.yaml"
    path.write_text(POLICY.replace("provider: postgres", "provider: postgress"))
    with pytest.raises(ConfigError) as info:
        load_policy(path)
    assert str(info.value).startswith("agentauth.yaml:5: ")
    assert "did you mean 'postgres'?" in str(info.value)


def test_output_equal_to_source_points_at_output_line(tmp_path: Path) -> None:
    path = tmp_path / "agentauth.yaml"
    path.write_text("version: 1\nagent: a\nsource: .env\noutput: ./.env\n")
    with pytest.raises(ConfigError) as info:
        load_policy(path)
    assert str(info.value).startswith("agentauth.yaml:4: ")


def test_missing_source_variable_suggests_the_source_env_name(tmp_path: Path) -> None:
    ctx = SimpleNamespace(
        source_env={"DATABASE_URL": Secret("x"), "REDIS_URL": Secret("y")},
        policy=SimpleNamespace(source=".env"),
    )
    with pytest.raises(ConfigError) as info:
        admin_secret("DATABSE_URL", ctx, "admin URL")  # type: ignore[arg-type]
    assert "did you mean 'DATABASE_URL'?" in str(info.value)


def test_loading_a_policy_imports_no_provider(tmp_path: Path) -> None:
    """Provider names are checked from config.providertable; the provider layer stays unloaded."""
    path = tmp_path / "agentauth.yaml"
    path.write_text(POLICY)
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from agentauth.config.policy import load_policy\n"
        f"load_policy(Path({str(path)!r}))\n"
        "print(sorted(m for m in sys.modules if m.startswith('agentauth.providers')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
