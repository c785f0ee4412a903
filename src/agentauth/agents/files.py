"""What the agent plugins share: the planned change of one file and the readers they edit with.

A plugin never writes: it returns a :class:`FileChange` (the text before and
after), ``guard`` shows the diff and writes it through the one atomic writer.
Readers raise ConfigError naming the file, so a broken settings file is reported
with its line, never overwritten.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentauth.errors import ConfigError


@dataclass(frozen=True)
class FileChange:
    """One file guard will write: its text before (None if new) and after."""

    path: Path
    relative: str
    tool: str
    old: str | None = field(repr=False)
    new: str = field(repr=False)
    summary: tuple[str, ...] = ()


def read_optional(path: Path, relative: str) -> str | None:
    """Return the file's text, None when it does not exist; ConfigError when unreadable."""
    from agentauth.fsutil import read_text

    try:  # NOTE: the safe reader: a FIFO or device planted as a config is refused
        return read_text(path, what=f"{relative} (an agent's configuration)")
    except FileNotFoundError:
        return None


def load_json(path: Path, relative: str) -> tuple[str | None, Any]:
    """Return (text or None, parsed object; {} for a missing or empty file)."""
    text = read_optional(path, relative)
    if text is None:
        return None, {}
    try:
        return text, json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{relative}:{exc.lineno}: not valid JSON ({exc.msg}); fix it, then run guard again"
        ) from None


def dump_json(data: Any) -> str:
    """Serialise settings the way the tools write them (2-space indent, UTF-8, final newline)."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def union(existing: Any, wanted: Iterable[str], where: str) -> tuple[list[Any], list[str]]:
    """Return ``existing`` with the missing ``wanted`` items appended, and those items."""
    if existing is None:
        existing = []
    if not isinstance(existing, list):
        raise ConfigError(f"{where} is not a list; fix it, then run guard again")
    added = [w for w in wanted if w not in existing]
    return [*existing, *added], added


def section(data: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    """Return ``data[key]`` as an object, created when missing; ConfigError when not one."""
    value = data.get(key)
    if value is None:
        value = {}
        data[key] = value
    if not isinstance(value, dict):
        raise ConfigError(f"{where}.{key} is not an object; fix it, then run guard again")
    return value


def agentauth_executable() -> list[str]:
    """Return the absolute command that starts this installation of agentauth.

    Shared by the Claude Code hook and the MCP wrappers: both are started by another
    program with its own PATH, where a bare ``agentauth`` inside a virtualenv is not found.

    The console script beside the running interpreter (a virtualenv's ``bin/``), else
    the one on PATH resolved to an absolute path, else ``python -m agentauth``.
    """
    beside = Path(sys.executable).with_name("agentauth")
    if beside.is_file() and os.access(beside, os.X_OK):
        return [str(beside.absolute())]
    found = shutil.which("agentauth")
    if found:
        return [str(Path(found).resolve())]
    return [str(Path(sys.executable).absolute()), "-m", "agentauth"]
