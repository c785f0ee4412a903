"""Which env files an agent could load by itself, and the credentials they hold.

Whether a value is a credential is :mod:`agentauth.engine.credentials`' decision;
this module only knows which files matter to ``run``, ``doctor`` and ``guard``.
"""

from __future__ import annotations

import os
from pathlib import Path

from agentauth.config.references import is_reference
from agentauth.engine.credentials import Judge, Risk

AGENT_LOADED_FILES = (".env", ".env.local", ".env.development", ".env.development.local")
"""Env files Bun-based agents (Claude Code among them) have loaded from the cwd by themselves."""


def scan_env_file(path: Path, engine: Judge, *, file: str | None = None) -> list[Risk]:
    """Return the credentials held in one env file (references and empty values skipped)."""
    from agentauth.config import envfile

    try:
        entries = envfile.parse(envfile.read_text(path))
    except Exception:
        return []
    risks: list[Risk] = []
    for entry in entries:
        if entry.key is None or entry.value is None:
            continue
        raw = entry.raw_value if entry.raw_value is not None else entry.value
        if is_reference(raw):
            continue
        found = engine.risk(entry.key, entry.value, entry.line, file=file or path.name)
        if found is not None:
            risks.append(found)
    return risks


def agent_loaded_files(directory: Path) -> list[Path]:
    """Return the env files in ``directory`` that an agent tool may load by itself.

    ``.env``, ``.env.local`` and every ``.env.development*``; ``.env.ai`` and templates
    (``.env.example``) are not among them.
    """
    found: list[Path] = []
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return []
    for name in names:
        if name in AGENT_LOADED_FILES or name.startswith(".env.development"):
            path = directory / name
            if path.is_file():
                found.append(path)
    return found
