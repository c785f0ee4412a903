"""Lossless reading of ``.env`` files on top of python-dotenv's parser.

python-dotenv keeps each binding's original text and line, so concatenating
``entry.original`` reproduces the file byte for byte (CRLF, comments, blank lines,
lines it could not parse). We keep that, and add what an auditor needs: the line and
column where each value starts, a tolerant reading of ``KEY: value`` lines (npm's
dotenv and Compose accept them), and the value as written (``raw_value``), which
:func:`agentauth.config.references.is_reference` judges (``${VAR}``, ``op://...``).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

from dotenv.parser import parse_stream

from agentauth import fsutil
from agentauth.errors import ConfigError

_BOM = "\ufeff"
MAX_ENV_BYTES = 16 * 1024 * 1024
_LEADING_BLANK = re.compile(r"^(?:[ \t]*\r?\n)+")
_COLON_LINE = re.compile(
    r"^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*:[ \t]*(.*?)[ \t]*(?:#.*)?\r?\n?$"
)


@dataclass(frozen=True)
class EnvEntry:
    """One line (or multi-line binding) of an env file.

    ``key`` is None for comments, blank lines and lines that did not parse
    (``error`` True). ``value`` is the parsed value, after python-dotenv's unquoting
    and interpolation rules; ``raw_value`` is the value as written (no interpolation).
    """

    key: str | None
    value: str | None
    original: str
    line: int
    column: int = 0
    """1-based column where the value starts on its first line (0 when unknown)."""
    error: bool = False
    exported: bool = False
    raw_value: str | None = None


def _value_position(original: str, key: str) -> tuple[int, str | None]:
    """Return (1-based column, raw text) of the value in the binding's first line."""
    first = original.split("\n", 1)[0].rstrip("\r")
    match = re.match(r"^[ \t]*(?:export[ \t]+)?" + re.escape(key) + r"[ \t]*[=:][ \t]*", first)
    if not match:
        return 0, None
    start = match.end()
    rest = original[start:]
    raw = rest.rstrip("\r\n")
    if raw[:1] in {"'", '"', "`"}:
        quote = raw[0]
        end = raw.find(quote, 1)
        raw = raw[1:end] if end > 0 else raw[1:]
        start += 1
    else:
        raw = re.split(r"[ \t]+#", raw, maxsplit=1)[0].strip()
    return start + 1, raw


def parse(text: str) -> list[EnvEntry]:
    """Parse env-file text into entries; never raises on malformed lines.

    A leading BOM is dropped (python-dotenv < 1.2.4 kept it inside the first key).
    """
    if text.startswith(_BOM):
        text = text[len(_BOM) :]
    entries: list[EnvEntry] = []
    for binding in parse_stream(io.StringIO(text)):
        original = binding.original.string
        line = binding.original.line
        # NOTE: python-dotenv folds blank lines that precede a binding into that
        # binding's text; split them off so the binding's line is its own.
        blank = _LEADING_BLANK.match(original)
        if blank and binding.key is not None:
            entries.append(EnvEntry(None, None, blank.group(0), line))
            line += blank.group(0).count("\n")
            original = original[blank.end() :]
        if binding.error:
            colon = _COLON_LINE.match(original)
            if colon:
                key, value = colon.group(1), colon.group(2).strip("'\"")
                column, raw = _value_position(original, key)
                entries.append(EnvEntry(key, value, original, line, column, raw_value=raw or value))
                continue
            entries.append(EnvEntry(None, None, original, line, error=True))
            continue
        if binding.key is None:
            entries.append(EnvEntry(None, None, original, line))
            continue
        column, raw = _value_position(original, binding.key)
        exported = original.lstrip().startswith("export ")
        entries.append(
            EnvEntry(
                binding.key,
                binding.value,
                original,
                line,
                column,
                exported=exported,
                raw_value=raw,
            )
        )
    return entries


def read_text(path: Path) -> str:
    """Read an env file as text (UTF-8, then Latin-1); raise ConfigError when unreadable.

    Only regular files up to :data:`MAX_ENV_BYTES` (``fsutil.read_bytes``): a FIFO
    ``.env`` or a symlink to ``/dev/zero`` is refused, not read forever.
    """
    try:
        data = fsutil.read_bytes(path, max_bytes=MAX_ENV_BYTES, what="env file")
    except FileNotFoundError:
        raise ConfigError(
            f"{path} does not exist; name your env file with --source, or with `source:` "
            "in agentauth.yaml"
        ) from None
    if b"\0" in data[:8192]:
        raise ConfigError(f"{path} is a binary file, not an env file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def values(entries: list[EnvEntry]) -> dict[str, str]:
    """Return the last value of each key, as a program loading the file would see it."""
    result: dict[str, str] = {}
    for entry in entries:
        if entry.key is not None and entry.value is not None:
            result[entry.key] = entry.value
    return result
