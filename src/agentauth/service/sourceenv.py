"""Reading the developer's source env and deciding which of its variables are credentials.

Values are wrapped in :class:`~agentauth.model.Secret` the moment they are read;
``agentauth-keyring:<name>`` references (written by ``agentauth lock``) are resolved
through the injected SecretStore. Whether an unnamed variable is a credential is
decided by the audit engine (rules + classifier) and, as a safety net, by its name:
dropping a harmless variable costs a line in the policy, copying a secret costs a leak.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from agentauth import providers
from agentauth.config import references
from agentauth.engine.credentials import Judge
from agentauth.model import Finding, Policy, Secret
from agentauth.state.secretstore import SecretStore


def load_source_env(
    project_root: Path, policy: Policy, store: SecretStore | None = None
) -> dict[str, Secret]:
    """Read ``policy.source`` with its references resolved (``references.read_env``)."""
    return references.read_env(project_root / policy.source, store, label=policy.source)


@dataclass(frozen=True)
class VariableClass:
    """What the audit says about one variable of the source env."""

    name: str
    credential: bool
    provider: str | None = None
    """Our provider name (postgres, aws...) when one applies, else None."""
    finding: Finding | None = None


def classify(judge: Judge, name: str, value: Secret) -> VariableClass:
    """Say whether ``name`` holds a credential (the judge) and which provider could scope it.

    The credential verdict is :class:`agentauth.engine.credentials.Judge`'s alone;
    this adds only the provider, from the registry (``providers.for_variable``).
    """
    plain = value.reveal()
    findings = judge.findings(name, plain)
    provider = providers.for_variable(name, plain)
    if findings:
        # NOTE: a bare database password (kind "password") names no server: no provider
        # can scope it, unlike a URL, so init proposes to drop it rather than provision.
        bare = findings[0].kind == "password"
        engine = None if bare else providers.for_engine(findings[0].provider)
        return VariableClass(name, True, engine or provider, findings[0])
    credential = judge.is_credential(name, plain)
    if provider == "aws" and not credential:
        provider = None
    return VariableClass(name, credential, provider if credential else None)
