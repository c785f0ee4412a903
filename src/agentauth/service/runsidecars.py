"""Beside `run`'s child: the sidecars, and the supervised run that starts and stops them.

A sidecar (the broker, the AWS credential server, the attestation writer) is
started before the child, adds to its environment, and is stopped after it, also
when the child could not start. :func:`supervised` is that lifecycle plus the
``run-end`` record and the mark that lets the next start log a killed run.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

from agentauth.errors import AgentAuthError
from agentauth.project import POLICY_FILE
from agentauth.service import runmarks
from agentauth.service.runstate import GrantInfo
from agentauth.service.supervisor import InterruptPolicy, SpawnError, Supervisor


class CommandError(AgentAuthError):
    """The command could not start: 127 when it does not exist, 126 when it is not executable."""

    def __init__(self, message: str, code: int) -> None:
        """Carry the shell's exit code for this failure."""
        super().__init__(message)
        self.exit_code = code  # type: ignore[assignment]


class Sidecar(Protocol):
    """A helper that lives as long as the child: started before it, stopped after it.

    The broker is one: it adds its environment (proxy address, CA file, phantom
    values) to the child's and holds the real values in its own process.
    """

    def start(self, env: Mapping[str, str]) -> Mapping[str, str | None]:
        """Start; return variables to add to (or override in; None: remove from) the child's."""
        ...

    def stop(self) -> None:
        """Stop (called once, also when the child could not start)."""
        ...


SidecarFactory = Callable[[Path, str, Sequence[GrantInfo]], Sequence[Sidecar]]


def no_sidecars(root: Path, agent: str, grants: Sequence[GrantInfo]) -> Sequence[Sidecar]:
    """The default: no helper process beside the child."""
    return ()


def broker_sidecars(root: Path, agent: str, grants: Sequence[GrantInfo]) -> Sequence[Sidecar]:
    """The broker (issue 11), only when the policy brokers something (a text test first)."""
    from agentauth.broker.hint import brokers_anything

    if not brokers_anything(root / POLICY_FILE):
        return ()
    from agentauth.service.broker import BrokerSidecar

    return (BrokerSidecar(root, agent),)


def credential_servers(
    root: Path, live: Sequence[GrantInfo], env: Mapping[str, str]
) -> list[Sidecar]:
    """Every AWS grant that mints per run is served refreshable for the life of the run."""
    grants = [g for g in live if g.mints and g.provider == "aws"]
    if not grants or os.environ.get("AGENTAUTH_AWS_CREDENTIAL_SERVER") == "0":
        return []
    from agentauth.service.credserver import AwsSessions

    return [AwsSessions(root, [(g.id, g.variable or g.id) for g in grants], env)]


def attestation(attest: bool, root: Path, agent: str) -> list[Sidecar]:
    """The attestation writer, with ``--attest``."""
    if not attest:
        return []
    from agentauth.service.attest import AttestationSidecar

    return [AttestationSidecar(root, agent)]


Announce = Callable[[Mapping[str, str]], Mapping[str, object]]
"""Called with the child's final environment (sidecars' variables included) just before it
starts; says what the agent got (banner, ``run-start``) and returns fields for ``run-end``."""


def supervised(
    root: Path, state: Path, agent: str, fields: Mapping[str, object], executable: str,
    argv: Sequence[str], env: Mapping[str, str], interactive: bool | None,
    audit: Callable[..., None], helpers: Sequence[Sidecar], announce: Announce | None = None,
) -> int:  # fmt: skip
    """Start the sidecars, run the child under the supervisor, stop them, log the end.

    ``announce`` runs after the sidecars started, not before: only then is it known what
    the agent holds (a brokered phantom is added by the broker). A sidecar that fails to
    start leaves no ``run-start`` and so no ``run-end``: the agent never ran.
    """
    started = time.monotonic()
    code: int | None = None
    announced = announce is None
    mark: Path | None = None
    running: list[Sidecar] = []
    try:
        child_env = dict(env)
        for helper in helpers:
            for name, value in helper.start(child_env).items():
                if value is None:
                    child_env.pop(name, None)
                else:
                    child_env[name] = value
            running.append(helper)
        if announce is not None:
            fields = {**fields, **announce(child_env)}
            announced = True
        mark = runmarks.open_mark(state, agent, fields)
        tty = sys.stdin.isatty() if interactive is None else interactive
        try:
            code = Supervisor(InterruptPolicy(tty)).run(executable, argv, child_env)
        except SpawnError as exc:
            code = exc.code
            raise CommandError(f"cannot start {argv[0]}: {exc.reason}", exc.code) from None
        return code
    finally:
        for helper in reversed(running):
            helper.stop()
        if announced:
            audit(root, "run-end", agent, **fields, exit_code=code,
                  duration_s=round(time.monotonic() - started, 3))  # fmt: skip
        runmarks.close_mark(mark)
