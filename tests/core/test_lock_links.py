"""``lock`` refuses a symlinked or hard-linked env file instead of leaving the plaintext behind."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agentauth.errors import ConfigError
from agentauth.service import lock

SOURCE = "STRIPE_SECRET_KEY=sk_live_51Habcdefghijklmnopqrstuvwxyz0123\n"


def test_symlinked_env_is_refused_naming_the_target(tmp_path: Path) -> None:
    target = tmp_path / "secrets.env"
    target.write_text(SOURCE)
    os.symlink(target, tmp_path / ".env")
    with pytest.raises(ConfigError, match=str(target.resolve())):
        lock.plan_lock(tmp_path, tmp_path / ".env")
    assert (tmp_path / ".env").is_symlink()
    assert target.read_text() == SOURCE


def test_hard_linked_env_is_refused(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(SOURCE)
    os.link(tmp_path / ".env", tmp_path / "copy.env")
    with pytest.raises(ConfigError, match="2 hard links"):
        lock.plan_lock(tmp_path, tmp_path / ".env")


def test_the_target_itself_can_be_planned(tmp_path: Path) -> None:
    target = tmp_path / "secrets.env"
    target.write_text(SOURCE)
    plan = lock.plan_lock(tmp_path, target)
    assert [item.variable for item in plan.items] == ["STRIPE_SECRET_KEY"]
