"""Reading the developer's source env and deciding which of its variables are credentials.

Values are wrapped in :class:`~agentauth.model.Secret` the moment they are read;
``agentauth-keyring:<name>`` references (written by ``agentauth lock``) are resolved
through the injected SecretStore. Whether an unnamed variable is a credential is
decided by the audit engine (rules + classifier) and, as a safety net, by its name:
dropping a harmless variable costs a line in the policy, copying a secret costs a leak.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from agentauth import providers
from agentauth.config import envfile
from agentauth.errors import ConfigError
from agentauth.model import Finding, Origin, Policy, Secret
from agentauth.providers.base import SecretStore

KEYRING_PREFIX = "agentauth-keyring:"

_SECRET_NAME = re.compile(
    r"(?:^|_)(?:KEY|SECRET|TOKEN|PASSWORD|PASSWD|PASS|PWD|CREDENTIALS?|AUTH|PRIVATE|"
    r"SIGNING|SESSION|COOKIE|DSN|APIKEY|ACCESS_KEY|CERT|PEM|SALT|WEBHOOK)(?:_|$)",
    re.IGNORECASE,
)


def load_source_env(
    project_root: Path, policy: Policy, store: SecretStore | None = None
) -> dict[str, Secret]:
    """Read ``policy.source`` into name -> Secret, resolving keyring references.

    ``store`` is only consulted (and, when None, a KeyringStore only created) if the
    file holds an ``agentauth-keyring:`` reference, so projects that never ran
    ``agentauth lock`` never touch the keyring.
    """
    path = project_root / policy.source
    entries = envfile.parse(envfile.read_text(path))
    result: dict[str, Secret] = {}
    for entry in entries:
        if entry.key is None or entry.value is None:
            continue
        raw = (entry.raw_value or "").strip()
        if raw.startswith(KEYRING_PREFIX):
            name = raw[len(KEYRING_PREFIX) :]
            if store is None:
                from agentauth.state.secretstore import KeyringStore

                store = KeyringStore()
            value = store.get(name)
            if value is None:
                raise ConfigError(
                    f"{policy.source}:{entry.line}: {entry.key} points at keyring entry {name!r}, "
                    "which is missing; restore the value in the keyring or in the file"
                )
            result[entry.key] = value
        else:
            result[entry.key] = Secret(entry.value)
    return result


@dataclass(frozen=True)
class VariableClass:
    """What the audit says about one variable of the source env."""

    name: str
    credential: bool
    provider: str | None = None
    """Our provider name (postgres, aws...) when one applies, else None."""
    finding: Finding | None = None


def _url_has_password(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return bool(parts.scheme and parts.netloc and parts.password)


class Classifier:
    """Classifies env variables with the audit engine when it is installed, else by shape."""

    def __init__(self, source_file: str = ".env") -> None:
        """Load the rule catalog once; ``source_file`` names the file for the classifier."""
        self._file = source_file
        self._engine: tuple[Any, Any, Any] | None = None
        # NOTE: imported by name so this module works (by shape alone) before the
        # audit engine is installed, and the engine's import cost is paid only here.
        try:
            detect = importlib.import_module("agentauth.engine.detect")
            classify = importlib.import_module("agentauth.engine.classify")
            rules = importlib.import_module("agentauth.engine.rules")
            self._engine = (detect.detect_value, classify.classify, rules.load_catalog())
        except (ImportError, AttributeError):
            self._engine = None

    def _findings(self, name: str, value: str) -> list[Finding]:
        if self._engine is None:
            return []
        detect_value, classify, catalog = self._engine
        found: list[Finding] = []
        for candidate in detect_value(name, value, catalog):
            finding = classify(candidate, file=self._file, catalog=catalog, origin=Origin.FILE)
            if finding is not None:
                found.append(finding)
        return found

    def classify(self, name: str, value: Secret) -> VariableClass:
        """Say whether ``name`` holds a credential and which provider could scope it."""
        plain = value.reveal()
        findings = self._findings(name, plain)
        provider = providers.for_variable(name, plain)
        if findings:
            engine = providers.for_engine(findings[0].provider)
            return VariableClass(name, True, engine or provider, findings[0])
        credential = bool(_SECRET_NAME.search(name)) or _url_has_password(plain)
        if provider in providers.DATABASES and not _url_has_password(plain):
            # NOTE: a database URL without a password is still the developer's identity
            # (trust/peer auth, or PGPASSWORD elsewhere): treat it as a credential.
            credential = True
        if provider == "aws" and not credential:
            provider = None
        return VariableClass(name, credential, provider if credential else None)

    def classify_all(self, env: Mapping[str, Secret]) -> dict[str, VariableClass]:
        """Classify every variable of ``env``, keeping its order."""
        return {name: self.classify(name, value) for name, value in env.items()}
