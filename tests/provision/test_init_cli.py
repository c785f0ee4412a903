"""agentauth init (round-trips through load_policy, presets) and the CLI's refusals."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from agentauth.config.policy import load_policy
from agentauth.model import Action

SOURCE = (
    "DATABASE_URL=postgres://app:pw-123456@db.internal:5432/shop\n"
    "REDIS_URL=redis://:pw-abcdef@127.0.0.1:6379/0\n"
    "PORT=3000\n"
    "STRIPE_SECRET_KEY=sk_live_51Habcdefghijklmnopqrstuvwxyz0123\n"
    "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLQ\n"
    "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEYQ\n"
    "AWS_REGION=eu-west-1\n"
    "GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789\n"
)


@pytest.fixture
def source(project: Path) -> Path:
    (project / ".env").write_text(SOURCE)
    return project


def test_default_init_is_least_privilege_and_loads(
    source: Path, cli: Callable[..., tuple[int, str, str]]
) -> None:
    code, _out, err = cli("init", "-C", str(source))
    assert code == 0, err
    policy = load_policy(source / "agentauth.yaml")
    entries = {e.variable: e for e in policy.credentials}
    assert entries["DATABASE_URL"].provider == "postgres"
    assert entries["DATABASE_URL"].options["access"] == "read-only"
    assert entries["REDIS_URL"].provider == "redis"
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        assert entries[name].action is Action.DROP, name
    # API keys no provider can scope here are proposed brokered, with read-only calls only.
    for name in ("STRIPE_SECRET_KEY", "GITHUB_TOKEN"):
        assert entries[name].options["mode"] == "broker", name
        assert all(rule.startswith("GET ") for rule in entries[name].options["allow"]), name
    assert "PORT" not in entries and "AWS_REGION" not in entries
    text = (source / "agentauth.yaml").read_text()
    assert "# brokered: the agent gets a phantom" in text  # why the entry looks as it does
    assert "pw-123456" not in text and "sk_live" not in text


@pytest.mark.parametrize("prefix", ["pk_live_", "pk_test_"])
def test_a_publishable_key_is_proposed_pass_not_brokered(
    project: Path, cli: Callable[..., tuple[int, str, str]], prefix: str
) -> None:
    """A browser key cannot call GET /v1/customers: brokering it proposes a rule it cannot use."""
    key = prefix + "51zb2lJt6ZC9hgty4iYrSm2OsfDzHwbOtZTigNUT"
    (project / ".env").write_text(f"{SOURCE}STRIPE_PUBLISHABLE_KEY={key}\n")
    code, _out, err = cli("init", "-C", str(project))
    assert code == 0, err
    assert "(6 credential entries;" in err  # a publishable key is not a credential entry
    entries = {e.variable: e for e in load_policy(project / "agentauth.yaml").credentials}
    assert entries["STRIPE_PUBLISHABLE_KEY"].action is Action.PASS
    assert entries["STRIPE_SECRET_KEY"].options["mode"] == "broker"
    text = (project / "agentauth.yaml").read_text()
    assert "STRIPE_PUBLISHABLE_KEY: pass" in text and key not in text


def test_init_refuses_to_overwrite(source: Path, cli: Callable[..., tuple[int, str, str]]) -> None:
    assert cli("init", "-C", str(source))[0] == 0
    code, _out, err = cli("init", "-C", str(source))
    assert code == 2 and "--force" in err
    assert cli("init", "--force", "--preset", "code-review", "-C", str(source))[0] == 0


@pytest.mark.parametrize("preset", ["code-review", "db-query", "support", "deploy-staging"])
def test_presets_round_trip(
    source: Path, cli: Callable[..., tuple[int, str, str]], preset: str
) -> None:
    code, _out, err = cli("init", "--preset", preset, "-C", str(source))
    assert code == 0, err
    policy = load_policy(source / "agentauth.yaml")
    provisioned = {e.provider for e in policy.credentials if e.action is Action.PROVISION}
    expected = {
        "code-review": {"github"},
        "db-query": {"postgres", "redis"},
        "support": {"postgres", "stripe"},
        # AWS only when the AWS provider offers safe starting options for this preset.
        "deploy-staging": {"github", "aws"},
    }[preset]
    if preset == "deploy-staging":
        assert {"github"} <= provisioned <= expected
    else:
        assert provisioned == expected


def test_unknown_preset_is_a_usage_error(
    source: Path, cli: Callable[..., tuple[int, str, str]]
) -> None:
    code, _out, err = cli("init", "--preset", "yolo", "-C", str(source))
    assert code == 2 and "code-review" in err


def test_revoke_needs_a_selection_and_confirmation(
    project: Path, cli: Callable[..., tuple[int, str, str]]
) -> None:
    code, _out, err = cli("revoke", "-C", str(project))
    assert code == 2 and "--agent" in err
    code, _out, err = cli("revoke", "nope", "--yes", "-C", str(project))
    assert code == 2 and "no grant with id nope" in err


def test_provision_without_policy_says_init(
    project: Path, cli: Callable[..., tuple[int, str, str]]
) -> None:
    code, _out, err = cli("provision", "-C", str(project))
    assert code == 2 and "agentauth init" in err


def test_status_and_log_when_empty(project: Path, cli: Callable[..., tuple[int, str, str]]) -> None:
    assert cli("status", "-C", str(project))[0] == 0
    assert cli("log", "--format", "json", "-C", str(project))[1].strip() == "[]"


def test_the_bundled_example_dry_run_shows_every_entry_and_each_error(
    cli: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    import shutil

    example = Path(__file__).resolve().parents[2] / "examples" / "demo-app"
    project = tmp_path / "demo-app"
    shutil.copytree(example, project)
    code, _out, err = cli("init", "-C", str(project))
    assert code == 0, err
    # the fake RDS host cannot be reached: its error is shown, and so is every other entry
    code, out, err = cli("provision", "--dry-run", "-C", str(project))
    assert code == 1, err
    assert "STRIPE_SECRET_KEY (stripe, create)" in out
    assert ".env.ai (values masked):" in out
    assert "+ REDIS_URL=***" in out  # redis://localhost:6379/0 names no one: copied, no entry
    assert err.count("error:") == 1 and "cannot connect to PostgreSQL" in err


@pytest.mark.parametrize(("env", "said"), [("PORT=3000\n", "0 credential entries"),
    ("DATABASE_URL=postgres://app:pw-123456@db.internal:5432/shop\n", "(1 credential entry;"),
    (SOURCE, "(6 credential entries;")])  # fmt: skip
def test_init_counts_its_entries_in_english(
    project: Path, cli: Callable[..., tuple[int, str, str]], env: str, said: str
) -> None:
    """walkthrough-postgres §2 shows this line; "1 credential entries" was what it printed."""
    (project / ".env").write_text(env)
    code, _out, err = cli("init", "-C", str(project))
    assert code == 0, err
    assert said in err
