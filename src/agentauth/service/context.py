"""What every provisioning step shares: the providers' context, live grants, ``.env.ai``'s values.

:mod:`~agentauth.service.plan`, :mod:`~agentauth.service.apply`,
:mod:`~agentauth.service.revoke` and :mod:`~agentauth.service.mint` all read these; they
live apart so none of those modules imports another only for them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from agentauth.config import envfile
from agentauth.errors import ConfigError
from agentauth.model import Grant, GrantStatus, Policy, Secret
from agentauth.providers.base import Prompter, ProviderContext
from agentauth.service.sourceenv import load_source_env
from agentauth.state.ledger import Ledger
from agentauth.state.secretstore import SecretStore

__all__ = [
    "ENV_OUTPUTS",
    "RENEW_MARGIN",
    "Progress",
    "build_context",
    "current_values",
    "live_grants",
    "noop",
    "secret_values",
]  # fmt: skip

ENV_OUTPUTS = "env_outputs"
"""Key the framework adds to ``Grant.objects``: the ``.env.ai`` variables the grant wrote."""
RENEW_MARGIN = timedelta(minutes=5)
Progress = Callable[[str], None]
"""A callback told each step as it happens (the CLI prints them on stderr)."""


def noop(_message: str) -> None:
    """The default progress and warning callback: say nothing."""
    return None


def live_grants(grants: Sequence[Grant]) -> list[Grant]:
    """Return the grants that may still hold access: everything not revoked."""
    return [g for g in grants if g.status is not GrantStatus.REVOKED]


def build_context(
    project_root: Path,
    policy: Policy,
    *,
    source_env: Mapping[str, Secret] | None = None,
    environ: Mapping[str, str] | None = None,
    now: datetime | None = None,
    prompter: Prompter | None = None,
    store: SecretStore | None = None,
    warn: Callable[[str], None] | None = None,
) -> ProviderContext:
    """Assemble what providers may read; loads the source env unless given."""
    if source_env is None:
        source_env = load_source_env(project_root, policy, store)
    return ProviderContext(
        project_root=project_root,
        policy=policy,
        source_env=source_env,
        environ=dict(os.environ) if environ is None else environ,
        now=now or datetime.now(UTC),
        existing=tuple(live_grants(Ledger(project_root).grants())),
        prompter=prompter,
        store=store,
        warn=warn or noop,
    )


def secret_values(ctx: ProviderContext) -> list[Secret]:
    """The source env's values a scrubber must learn: the credentials, never plain settings.

    Why not every value: ``AWS_REGION=us-east-1`` learned as a secret turned an RDS host
    in an error into ``shop-prod.c9akciq32xyz.***.rds.amazonaws.com``. A value is learned
    when the policy names its variable (the admin URLs and keys in play) or when the one
    credential judge (:class:`agentauth.engine.credentials.Judge`, the rule ``provision``
    uses to copy a setting into ``.env.ai`` in the clear) calls it a credential.
    """
    from agentauth.engine.credentials import Judge

    named = {entry.variable for entry in ctx.policy.credentials}
    judge = Judge(ctx.policy.source)
    return [
        value
        for name, value in ctx.source_env.items()
        if name in named or judge.is_credential(name, value.reveal())
    ]


def current_values(path: Path) -> dict[str, Secret]:
    """The values of an existing ``.env.ai``; empty when missing or unreadable (regenerated)."""
    if not path.exists():
        return {}
    try:
        entries = envfile.parse(envfile.read_text(path))
    except ConfigError:
        return {}
    return {k: Secret(v) for k, v in envfile.values(entries).items()}
