"""The provider contract: one harness every provider in the registry runs (pre-commit's idea).

A new provider gets these checks for free by being registered: its name matches its
key, its singleton has every protocol member, ``verify`` answers "unknown" (and never
raises) when its endpoint is dead, its option errors name the policy file that was
actually read, and each of its presets is an entry it accepts.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from tests.findingkit import verify_finding
from tests.support.contexts import make_ctx

from agentauth import providers
from agentauth.config.policy import load_policy
from agentauth.errors import ConfigError
from agentauth.model import Action, CredentialPolicy, Secret
from agentauth.providers.base import VerifyContext
from agentauth.providers.github.token import make_classic_token
from agentauth.providers.kit import OptionError
from agentauth.service import presets as service_presets
from agentauth.service import provision

NAMES = sorted(providers.PROVIDERS)
MEMBERS = ("validate", "verify", "plan", "preflight", "apply", "mint", "revoke")


def _dead_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_registry_lists_every_provider_family() -> None:
    assert set(NAMES) >= {"postgres", "mysql", "redis", "aws", "github", "stripe"}


@pytest.mark.parametrize("name", NAMES)
def test_name_matches_key_and_the_singleton_has_every_member(name: str) -> None:
    provider = providers.get(name)
    assert provider.name == name
    for member in MEMBERS:
        assert callable(getattr(provider, member, None)), f"{name} lacks {member}"
    assert isinstance(provider.presets, Mapping)


@pytest.mark.parametrize("name", NAMES)
def test_a_narrowing_when_present_is_complete(name: str) -> None:
    """Delegation is optional (``narrowing_of`` None by default); one that exists is whole."""
    from agentauth.providers.base import narrowing_of

    narrowing = narrowing_of(providers.get(name))
    if name in {"postgres", "mysql", "redis", "aws", "github"}:
        assert narrowing is not None, f"{name} lost its delegation"
    if narrowing is not None:
        assert callable(narrowing.narrow) and callable(narrowing.issue)
        assert 8 <= narrowing.name_room <= 63


def _dead_findings(port: int) -> dict[str, tuple[Any, VerifyContext]]:
    dead = f"http://127.0.0.1:{port}"
    quiet = {"timeout": 2.0}
    return {
        "postgres": (
            verify_finding(
                "postgres", "postgres-url", "DATABASE_URL", f"postgresql://u:pw@127.0.0.1:{port}/db"
            ),
            VerifyContext(related={}, environ={}, **quiet),
        ),
        "mysql": (
            verify_finding("mysql", "mysql-url", "MYSQL_URL", f"mysql://u:pw@127.0.0.1:{port}/db"),
            VerifyContext(related={}, environ={}, **quiet),
        ),
        "redis": (
            verify_finding("redis", "redis-url", "REDIS_URL", f"redis://:pw@127.0.0.1:{port}/0"),
            VerifyContext(related={}, environ={}, **quiet),
        ),
        "aws": (
            verify_finding("aws", "aws-access-key-id", "AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
            VerifyContext(
                related={
                    "AWS_SECRET_ACCESS_KEY": Secret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
                    "AWS_ENDPOINT_URL": Secret(dead),
                },
                environ={"AWS_ENDPOINT_URL": dead},
                **quiet,
            ),
        ),
        "github": (
            verify_finding(
                "github", "github-pat", "GITHUB_TOKEN", make_classic_token("ghp_", "a" * 30)
            ),
            VerifyContext(related={}, environ={"AGENTAUTH_GITHUB_API_URL": dead}, **quiet),
        ),
        "stripe": (
            verify_finding(
                "stripe", "stripe-secret-key", "STRIPE_SECRET_KEY", "sk_test_" + "a" * 24
            ),
            VerifyContext(related={}, environ={"AGENTAUTH_STRIPE_API_BASE": dead}, **quiet),
        ),
        "http": (
            verify_finding("http", "openai-api-key", "OPENAI_API_KEY", "sk-proj-" + "a" * 40),
            VerifyContext(related={}, environ={}, **quiet),
        ),
    }


@pytest.mark.parametrize("name", NAMES)
def test_verify_against_a_dead_endpoint_is_unknown_and_never_raises(name: str) -> None:
    port = _dead_port()
    cases = _dead_findings(port)
    assert name in cases, f"add a dead-endpoint case for provider {name}"
    finding, ctx = cases[name]
    result = providers.get(name).verify(finding, ctx)
    assert result.status == "unknown", result
    assert finding.secret.reveal() not in result.summary


_POLICY = """\
version: 1
agent: contract
source: .env
output: .env.ai
credentials:
  {variable}:
    provider: {name}
    bogus_option: 1
"""
_VARIABLES = {"aws": "AWS", "github": "GITHUB_TOKEN", "stripe": "STRIPE_SECRET_KEY"}


@pytest.mark.parametrize("name", NAMES)
def test_option_errors_name_the_policy_file_actually_used(name: str, tmp_path: Path) -> None:
    variable = _VARIABLES.get(name, f"{name.upper()}_URL")
    path = tmp_path / "staging-policy.yaml"
    path.write_text(_POLICY.format(variable=variable, name=name))
    policy = load_policy(path)
    pplan = provision.plan(policy, make_ctx(tmp_path, policy))
    [error] = pplan.errors
    assert isinstance(error.error, OptionError)
    assert error.message.startswith(f"{path}:8: credentials.{variable}"), error.message
    assert "bogus_option" in error.message
    assert "agentauth.yaml" not in error.message
    with pytest.raises(ConfigError, match=re.escape(f"{path}:8:")):
        pplan.raise_errors()


_FILL = {"bucket": "dev-assets", "region": "us-east-1", "account": "123456789012"}
_REQUIRED: dict[str, dict[str, Any]] = {"github": {"repositories": ["acme/web"]}}


def _filled(options: Mapping[str, Any]) -> dict[str, Any]:
    """Replace ``<placeholder>`` values the way a user edits a preset before provisioning."""

    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return re.sub(r"<([^<>]+)>", lambda m: _FILL.get(m.group(1), "staging"), value)
        if isinstance(value, list):
            return [fill(v) for v in value]
        return value

    return {k: fill(v) for k, v in options.items()}


def _entry(name: str, options: Mapping[str, Any]) -> CredentialPolicy:
    return CredentialPolicy(
        variable=_VARIABLES.get(name, f"{name.upper()}_URL"),
        action=Action.PROVISION,
        provider=name,
        options={**_REQUIRED.get(name, {}), **_filled(options)},
        line=4,
    )


@pytest.mark.parametrize("name", NAMES)
def test_every_preset_of_a_provider_is_an_entry_it_accepts(name: str) -> None:
    provider = providers.get(name)
    for preset, options in provider.presets.items():
        try:
            provider.validate(_entry(name, options))
        except ConfigError as exc:  # pragma: no cover - the message is the diagnosis
            pytest.fail(f"{name} preset {preset!r} is refused: {exc}")


@pytest.mark.parametrize("preset", sorted(service_presets.PRESETS))
def test_init_presets_give_each_provider_options_it_accepts(preset: str) -> None:
    chosen = service_presets.get(preset)
    for name in sorted(chosen.provision):
        options = service_presets.options_for(chosen, name)
        if options is None:
            continue
        providers.get(name).validate(_entry(name, options))
