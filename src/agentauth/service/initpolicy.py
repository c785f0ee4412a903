"""``agentauth init``: write a commented, least-privilege ``agentauth.yaml`` from the source env.

Each credential the audit finds becomes an entry: databases read-only on their
schemas (by default), everything else ``drop`` with a commented example of the
scoped form, so the human decides in review. The text is checked with
:func:`agentauth.config.policy.parse_policy` before it is written: init's output always loads.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentauth import fsutil
from agentauth.config import envfile
from agentauth.config.policy import parse_duration, parse_policy
from agentauth.config.references import is_reference
from agentauth.engine.credentials import Judge
from agentauth.errors import ConfigError
from agentauth.model import Secret
from agentauth.service import brokerinit, presets
from agentauth.service.sourceenv import VariableClass, classify

_NAME_HINTS = (("POSTGRES", "postgres"), ("PG", "postgres"), ("MYSQL", "mysql"), ("REDIS", "redis"))
_EXAMPLES: dict[str, list[str]] = {
    "aws": [
        "AWS:",
        "  provider: aws",
        '  actions: ["s3:GetObject", "s3:ListBucket"]',
        '  resources: ["arn:aws:s3:::my-dev-bucket", "arn:aws:s3:::my-dev-bucket/*"]',
        "  duration: 1h",
    ],
    "github": [
        "{var}:",
        "  provider: github",
        '  repositories: ["owner/repo"]',
        "  permissions: {{contents: read, pull_requests: write}}",
    ],
    "stripe": ["{var}:", "  provider: stripe", "  mode: test"],
    "postgres": ["{var}:", "  provider: postgres", "  access: read-only", "  schemas: [public]"],
    "mysql": ["{var}:", "  provider: mysql", "  access: read-only"],
    "redis": ["{var}:", "  provider: redis", "  access: read-only", '  keys: ["cache:*"]'],
}


@dataclass(frozen=True)
class InitResult:
    """What init wrote: the file, the entries, and notes for the human."""

    path: Path
    text: str
    entries: tuple[str, ...]
    notes: tuple[str, ...]


def _read_source(path: Path) -> dict[str, tuple[Secret, bool]]:
    """name -> (value, is a keyring reference); references are classified by name only."""
    entries = envfile.parse(envfile.read_text(path))
    result: dict[str, tuple[Secret, bool]] = {}
    for entry in entries:
        if entry.key is not None and entry.value is not None:
            result[entry.key] = (Secret(entry.value), is_reference(entry.raw_value or ""))
    return result


def _classify(name: str, value: Secret, reference: bool, classifier: Judge) -> VariableClass:
    if not reference:
        return classify(classifier, name, value)
    upper = name.upper()
    provider = next((p for hint, p in _NAME_HINTS if hint in upper), None)
    found = classify(classifier, name, Secret(""))
    return VariableClass(name, True, provider or found.provider)


def _audit_provider(cls: VariableClass) -> str | None:
    """The provider the audit names (openai, slack...), which may have no agentauth provider."""
    return cls.provider or (cls.finding.provider if cls.finding is not None else None)


def _yaml(value: Any) -> str:
    return json.dumps(value)


def _entry_lines(var: str, provider: str, options: Mapping[str, Any]) -> list[str]:
    lines = [f"  {var}:", f"    provider: {provider}"]
    lines.extend(f"    {key}: {_yaml(val)}" for key, val in options.items())
    return lines


def _example(provider: str, var: str) -> list[str]:
    lines = _EXAMPLES.get(provider)
    if not lines:
        return []
    return ["    # scoped instead of dropped, for example:"] + [
        f"    #   {line.format(var=var)}" for line in lines
    ]


def build_policy_text(
    env: Mapping[str, tuple[Secret, bool]],
    *,
    source: str,
    agent: str,
    ttl: str,
    preset: presets.Preset,
    classifier: Judge,
) -> tuple[str, list[str], list[str]]:
    """Return (YAML text, entry names, notes) for ``env`` under ``preset``."""
    classes = {n: _classify(n, v, ref, classifier) for n, (v, ref) in env.items()}
    lines = [
        "# agentauth policy: what an AI agent started in this project may use.",
        "# Reviewed like code; holds no secrets. Docs: docs/policy.md",
        f"# Written by `agentauth init` (preset: {preset.name}: {preset.description}).",
        "# A variable not listed below is copied only when it is not a credential.",
        "version: 1",
        f"agent: {_yaml(agent)}",
        f"source: {_yaml(source)}",
        "output: .env.ai",
        f"ttl: {ttl}",
        "credentials:",
    ]
    entries: list[str] = []
    passed: list[str] = []
    notes: list[str] = []
    aws_vars = [n for n, c in classes.items() if c.credential and c.provider == "aws"]
    aws_options = presets.options_for(preset, "aws") if aws_vars else None
    for name, cls in classes.items():
        if not cls.credential:
            continue
        why = cls.finding.why if cls.finding is not None else "looks like a credential"
        if cls.finding is not None and classifier.public(cls.finding):
            # Named `pass`, not left out: its name (*_KEY) would keep it out of .env.ai.
            lines.append(f"  # {name}: {why} Not a secret: copied to .env.ai as it is.")
            lines.append(f"  {name}: pass")
            passed.append(name)
            continue
        if cls.provider == "aws" and aws_options is not None:
            if "AWS" not in entries:
                lines.append(f"  # {', '.join(aws_vars)}: replaced by short-lived STS sessions")
                lines.extend(_entry_lines("AWS", "aws", aws_options))
                entries.append("AWS")
                if "<" in json.dumps(aws_options):
                    notes.append("AWS: replace the <placeholders> with your account's names")
            continue
        options = presets.options_for(preset, cls.provider) if cls.provider else None
        lines.append(f"  # {name}: {why}")
        if options is not None and cls.provider is not None:
            if cls.provider == "github" and "repositories" not in options:
                options = {"repositories": ["OWNER/REPO"], **options}
                notes.append(f"{name}: replace OWNER/REPO with the repositories the agent needs")
            lines.extend(_entry_lines(name, cls.provider, options))
        elif (
            preset is presets.DEFAULT
            and (brokered := brokerinit.proposal(_audit_provider(cls))) is not None
        ):
            # NOTE: a job preset names everything it gives; only the default proposes brokers.
            lines.append("    # brokered: the agent gets a phantom, only these calls reach the API")
            lines.extend(_entry_lines(name, *brokered))
            if _audit_provider(cls) in brokerinit.NOTES:
                notes.append(f"{name}: {brokerinit.NOTES[str(_audit_provider(cls))]}")
        else:
            lines.append(f"  {name}: drop")
            lines.extend(_example(cls.provider or "", name))
        entries.append(name)
    if not entries and not passed:
        lines[-1] = "credentials: {}"
    if not entries:
        notes.append(f"no credentials found in {source}; nothing to scope yet")
    copied = [n for n, c in classes.items() if not c.credential]
    if copied:
        lines.append(f"# copied to .env.ai as they are (not credentials): {', '.join(copied)}")
    return "\n".join(lines) + "\n", entries, notes


def write_policy(
    project_root: Path,
    path: Path,
    *,
    source: str = ".env",
    agent: str = "claude-code",
    ttl: str = "8h",
    preset: str | None = None,
    force: bool = False,
) -> InitResult:
    """Write the policy file; refuse to overwrite one without ``force``."""
    chosen = presets.get(preset)
    if path.exists() and not force:
        raise ConfigError(f"{path} already exists; pass --force to overwrite it")
    parse_duration(ttl, key="--ttl")
    env = _read_source(project_root / source)
    text, entries, notes = build_policy_text(
        env, source=source, agent=agent, ttl=ttl, preset=chosen, classifier=Judge(source)
    )
    parse_policy(text, str(path.name))
    try:
        fsutil.write_atomic(path, text, mode=fsutil.SHARED_MODE)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}") from None
    return InitResult(path=path, text=text, entries=tuple(entries), notes=tuple(notes))
