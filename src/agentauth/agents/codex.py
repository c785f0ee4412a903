"""Codex: an explicit ``[shell_environment_policy]`` in ``.codex/config.toml`` (comments kept)."""

from __future__ import annotations

from pathlib import Path

from agentauth.agents.files import FileChange, read_optional
from agentauth.errors import ConfigError

EXCLUDE = ("AWS_*", "*PASSWORD*", "*CREDENTIAL*", "*DATABASE_URL*", "*_DSN", "*PRIVATE*")
"""Added to Codex's ``exclude``; ``ignore_default_excludes = false`` adds *KEY*/*SECRET*/*TOKEN*."""


def plan(root: Path, *, local: bool = False, sandbox: bool = False) -> FileChange | None:
    """Compute ``.codex/config.toml`` with an explicit ``[shell_environment_policy]``."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    relative = ".codex/config.toml"
    path = root / relative
    old = read_optional(path, relative)
    try:
        doc = tomlkit.parse(old or "")
    except TOMLKitError as exc:
        raise ConfigError(f"{relative}: not valid TOML ({exc}); fix it, then run guard") from None
    summary: list[str] = []
    table = doc.get("shell_environment_policy")
    if table is None:
        table = tomlkit.table()
        doc["shell_environment_policy"] = table
    if not isinstance(table, dict):
        raise ConfigError(f"{relative}: shell_environment_policy is not a table; fix it")
    if table.get("inherit") not in ("core", "none"):
        table["inherit"] = "core"
        summary.append('inherit = "core" (only PATH, HOME, locale... reach commands)')
    if table.get("ignore_default_excludes") is not False:
        table["ignore_default_excludes"] = False
        summary.append("ignore_default_excludes = false (drops *KEY*, *SECRET*, *TOKEN*)")
    exclude = table.get("exclude")
    current = [str(x) for x in exclude] if isinstance(exclude, list) else []
    missing = [p for p in EXCLUDE if p not in current]
    if missing:
        if isinstance(exclude, list):
            for pattern in missing:
                exclude.append(pattern)
        else:
            array = tomlkit.array()
            array.extend(missing)
            table["exclude"] = array
        summary.append(f"exclude += {', '.join(missing)}")
    if not summary:
        return None
    return FileChange(path, relative, "codex", old, tomlkit.dumps(doc), tuple(summary))


def notes(*, sandbox: bool) -> tuple[str, ...]:
    """What the user should know about Codex's guard."""
    return ("Codex reads .codex/config.toml only in projects you marked as trusted",)
