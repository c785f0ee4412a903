"""Fixtures for the scan-service tests: fake but well-formed credentials and tree helpers."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.support.gitrepo import git as _git

from agentauth.engine.rules.checks import BASE62, base62_checksum

_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def _random(alphabet: str, n: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


@dataclass(frozen=True)
class Keys:
    """Freshly generated, well-formed, fake credentials (never real: random bodies)."""

    stripe: str
    github: str
    aws_id: str
    aws_secret: str
    postgres: str

    def all(self) -> tuple[str, ...]:
        """Every value, for "appears nowhere" checks."""
        return (self.stripe, self.github, self.aws_id, self.aws_secret, self.postgres)


def make_keys() -> Keys:
    """Generate a new set of fake credentials."""
    body = _random(BASE62, 30)
    return Keys(
        stripe="sk_live_" + _random(BASE62, 32),
        github="ghp_" + body + base62_checksum(body),
        aws_id="AKIA" + _random(_BASE32, 16),
        aws_secret=_random(BASE62 + "/+", 40),
        postgres=(
            f"postgresql://app_owner:{_random(BASE62, 20)}"
            "@prod-db.c9akciq32.us-east-1.rds.amazonaws.com:5432/app"
        ),
    )


@pytest.fixture
def keys() -> Keys:
    """A fresh set of fake credentials for one test."""
    return make_keys()


def _write(root: Path, rel: str, content: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


@pytest.fixture
def key_factory() -> Callable[[], Keys]:
    """Generate more sets of fake credentials."""
    return make_keys


@pytest.fixture
def write() -> Callable[[Path, str, str | bytes], Path]:
    """Write content to root/rel, creating folders."""
    return _write


@pytest.fixture
def git() -> Callable[..., None]:
    """Run git in a folder with a throwaway identity."""
    return _git
