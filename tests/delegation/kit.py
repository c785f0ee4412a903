"""Helpers of the provider-delegation tests: provision a parent, delegate from its session.

One home for both so that every provider's test provisions and delegates alike (the
``cli`` fixture of this folder's conftest runs the real console script in-process).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from agentauth.config.envfile import parse, values
from agentauth.service import delegate as service

Cli = Callable[..., tuple[int, str, str]]


def provision_parent(cli: Cli, project: Path, agent: str = "claude-code") -> dict[str, str]:
    """Provision ``project``; return the parent's session environment, as ``agentauth run``
    sets it (``AGENTAUTH_AGENT`` and the values of ``.env.ai``)."""
    code, out, err = cli("provision", "--yes", "-C", str(project))
    assert code == 0, out + err
    held = values(parse((project / ".env.ai").read_text(encoding="utf-8")))
    return {"AGENTAUTH_AGENT": agent, "PATH": os.environ["PATH"], **held}


def delegate(
    project: Path, env: dict[str, str], *only: str, to: str = "reviewer", minutes: int = 10
) -> service.Delegation:
    """``agentauth delegate --to TO --only ONLY... --ttl MINUTESm`` from the session ``env``."""
    return service.delegate(project, env, to=to, only=service.parse_only(only),
                            ttl=timedelta(minutes=minutes))  # fmt: skip
