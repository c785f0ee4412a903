"""agentauth.yaml: shapes, durations, and errors that name the key and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentauth.config.policy import (
    entry_digest,
    format_duration,
    load_policy,
    parse_duration,
    parse_policy,
)
from agentauth.errors import ConfigError
from agentauth.model import Action

DESIGN_EXAMPLE = """version: 1
agent: claude-code
source: .env
output: .env.ai
ttl: 8h
credentials:
  DATABASE_URL:
    provider: postgres
    access: read-only
    schemas: [public]
    tables: ["public.orders", "public.products"]
  AWS:
    provider: aws
    actions: ["s3:GetObject", "s3:ListBucket"]
    resources: ["arn:aws:s3:::dev-assets", "arn:aws:s3:::dev-assets/*"]
    duration: 1h
  OPENAI_API_KEY: pass
  SENDGRID_API_KEY: drop
"""


def test_design_example_loads(tmp_path: Path) -> None:
    path = tmp_path / "agentauth.yaml"
    path.write_text(DESIGN_EXAMPLE)
    policy = load_policy(path)
    assert (policy.agent, policy.source, policy.output, policy.ttl_seconds) == (
        "claude-code",
        ".env",
        ".env.ai",
        8 * 3600,
    )
    db, aws, openai, sendgrid = policy.credentials
    assert (db.provider, db.line, db.options["tables"]) == (
        "postgres",
        7,
        ["public.orders", "public.products"],
    )
    assert (aws.variable, aws.provider, aws.line) == ("AWS", "aws", 12)
    assert (openai.action, openai.line) == (Action.PASS, 17)
    assert (sendgrid.action, sendgrid.line) == (Action.DROP, 18)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("agent: a\nbogus: 1\n", "agentauth.yaml:2: unknown key 'bogus'"),
        ("agent: a\nversion: 2\n", "agentauth.yaml:2: version"),
        ("version: 1\n", "agent: missing"),
        ("agent: 'x; DROP'\n", "agentauth.yaml:1: agent"),
        ("agent: a\nttl: 8 hours\n", "agentauth.yaml:2: ttl"),
        ("agent: a\nttl: 0s\n", "agentauth.yaml:2: ttl: the duration must be positive"),
        ("agent: a\nttl: 100d\n", "agentauth.yaml:2: ttl: at most 90d"),
        ("agent: a\nsource: ../../.ssh/id_rsa\n", "agentauth.yaml:2: source"),
        ("agent: a\nsource: .env\noutput: .env\n", "output must differ from source"),
        ("agent: a\ncredentials:\n  A: keep\n", "agentauth.yaml:3: credentials.A: 'keep'"),
        ("agent: a\ncredentials:\n  1BAD: pass\n", "agentauth.yaml:3: credentials: '1BAD'"),
        (
            "agent: a\ncredentials:\n  A:\n    access: ro\n",
            "agentauth.yaml:3: credentials.A: provider: missing",
        ),
        (
            "agent: a\ncredentials:\n  A:\n    provider: oracle\n",
            "agentauth.yaml:4: credentials.A.provider: unknown provider 'oracle'",
        ),
        (
            "agent: a\ncredentials:\n  A: pass\n  A: drop\n",
            "agentauth.yaml:4: credentials: A is defined twice (first on line 3)",
        ),
        ("agent: a\ncredentials: [A]\n", "agentauth.yaml:2: credentials must be a mapping"),
        ("agent: a\n  bad: indent\n", "agentauth.yaml:2:"),
        ("", "the file is empty"),
    ],
)
def test_errors_name_key_and_line(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_policy(text)
    assert expected in str(info.value)


def test_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="agentauth init"):
        load_policy(tmp_path / "agentauth.yaml")


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [
        ("8h", 28800),
        ("30m", 1800),
        ("1h30m", 5400),
        ("2d", 172800),
        (90, 90),
        ("45", 45),
        ("1H", 3600),
    ],
)
def test_durations(raw: object, seconds: int) -> None:
    assert parse_duration(raw) == seconds
    assert parse_duration(format_duration(seconds)) == seconds


def test_digest_changes_with_scope_and_ttl_only() -> None:
    base = parse_policy(DESIGN_EXAMPLE)
    same = parse_policy(DESIGN_EXAMPLE.replace("agent: claude-code", "agent: claude-code  # me"))
    wider = parse_policy(
        DESIGN_EXAMPLE.replace('"public.products"]', '"public.products", "public.users"]')
    )
    shorter = parse_policy(DESIGN_EXAMPLE.replace("ttl: 8h", "ttl: 1h"))
    digest = entry_digest(base.credentials[0], base)
    assert entry_digest(same.credentials[0], same) == digest
    assert entry_digest(wider.credentials[0], wider) != digest
    assert entry_digest(shorter.credentials[0], shorter) != digest
