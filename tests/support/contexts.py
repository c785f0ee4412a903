"""The one hand-built :class:`ProviderContext` of the provider tests (:func:`make_ctx`).

Provider tests call a provider's ``plan``/``apply``/``revoke`` directly, without the
provisioning service that builds the context in real use; every provider folder used
to build its own, with different defaults. The defaults here are the service's: no
process environment, now in UTC, no prompter, no store, warnings dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agentauth.model import CredentialPolicy, Policy
from agentauth.providers.base import ProviderContext
from agentauth.secret import Secret


def one_entry_policy(
    *entries: CredentialPolicy, agent: str = "claude-code", ttl: int = 3600
) -> Policy:
    """A policy holding ``entries`` (source ``.env``, output ``.env.ai``)."""
    return Policy(
        agent=agent, source=".env", output=".env.ai", ttl_seconds=ttl, credentials=entries
    )


def make_ctx(
    project: Path,
    entry: CredentialPolicy | Policy | None = None,
    source: Mapping[str, str | Secret] | None = None,
    *,
    agent: str = "claude-code",
    ttl: int = 3600,
    warnings: list[str] | None = None,
    **fields: Any,
) -> ProviderContext:
    """Return a context for ``project``: ``entry``'s one-entry policy (or a whole policy).

    ``source`` is the developer's env file (values wrapped as :class:`Secret`);
    ``warnings`` collects what the provider warns about; ``fields`` sets any other field
    of the context (``now``, ``environ``, ``store``, ``prompter``, ``existing``).
    """
    if isinstance(entry, Policy):
        policy = entry
    else:
        policy = one_entry_policy(*((entry,) if entry else ()), agent=agent, ttl=ttl)
    base: dict[str, Any] = {
        "project_root": project,
        "policy": policy,
        "source_env": {
            k: v if isinstance(v, Secret) else Secret(v) for k, v in (source or {}).items()
        },
        "environ": {},
        "now": datetime.now(UTC),
    }
    if warnings is not None:
        base["warn"] = warnings.append
    base.update(fields)
    return ProviderContext(**base)
