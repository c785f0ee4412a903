"""``agentauth guard``: write the agent tools' deny settings; route MCP servers through ``run``.

The agent tools are a plugin family (:mod:`agentauth.agents`): the registry says
which tools exist and how to recognise them, each tool's module computes its
settings file as it should be from the file as it is (Claude Code's
``.claude/settings.json``, Cursor's ``.cursorignore``, Codex's
``.codex/config.toml``), and :mod:`agentauth.agents.mcp` wraps MCP servers whose
``env`` carries literal secrets in ``agentauth run``. This use case picks the
tools, supplies the judgements that belong to the service layer (what is a
credential, how a keyring entry is named), and writes nothing without a plan: the
caller shows :func:`render_diff` (secrets masked) and then calls :func:`apply`.
Running it twice changes nothing the second time.
"""

from __future__ import annotations

import difflib
import json
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from agentauth.agents import mcp as mcp_servers
from agentauth.agents.files import FileChange
from agentauth.agents.registry import AGENTS, hook_plugin, plugin
from agentauth.config import references
from agentauth.config.references import KEYRING_PREFIX
from agentauth.engine import credentials
from agentauth.errors import ConfigError
from agentauth.redact import Scrubber
from agentauth.secret import Secret
from agentauth.service.lock import keyring_name
from agentauth.state.secretstore import SecretStore, default_store

TOOLS = tuple(AGENTS)
"""The names ``guard --tool`` takes (besides ``all``)."""

__all__ = [
    "TOOLS",
    "FileChange",
    "GuardPlan",
    "apply",
    "detect_tools",
    "guarded",
    "hook_problems",
    "mcp_literal_servers",
    "plan",
    "render_diff",
]  # fmt: skip


@dataclass(frozen=True)
class GuardPlan:
    """Every change ``guard`` would make; ``store`` lists secrets to move to the keyring first."""

    root: Path
    tools: tuple[str, ...]
    changes: tuple[FileChange, ...]
    notes: tuple[str, ...] = ()
    store: tuple[tuple[str, Secret], ...] = field(default=(), repr=False)

    @property
    def empty(self) -> bool:
        """True when the settings are already in place."""
        return not self.changes


def detect_tools(root: Path, home: Path | None = None) -> list[str]:
    """Return the agent tools in use: project config, user config or the binary on PATH."""
    home = home or Path(os.environ.get("HOME", "~")).expanduser()
    found = []
    for name, info in AGENTS.items():
        if (
            any((root / p).exists() for p in info.project_signs)
            or any((home / u).exists() for u in info.user_signs)
            or any(shutil.which(b) is not None for b in info.binaries)
        ):
            found.append(name)
    return found


def _judge(root: Path, engine: credentials.Judge) -> mcp_servers.Judge:
    return mcp_servers.Judge(
        is_credential=lambda name, value, file: engine.is_credential(name, value, file=file),
        is_reference=references.is_reference,
        entry=lambda key: keyring_name(root, key),
        reference=lambda name: f"{KEYRING_PREFIX}{name}",
    )


def plan(
    root: Path,
    tools: Sequence[str],
    *,
    local: bool = False,
    sandbox: bool = False,
    mcp: bool = True,
    engine: credentials.Judge | None = None,
) -> GuardPlan:
    """Compute every change for ``tools`` (and MCP configs); touches nothing."""
    unknown = [t for t in tools if t not in AGENTS]
    if unknown:
        raise ConfigError(f"unknown tool {unknown[0]!r}; choose from {', '.join(TOOLS)} or all")
    changes: list[FileChange] = []
    notes: list[str] = []
    store: list[tuple[str, Secret]] = []
    for tool in tools:
        tool_plugin = plugin(tool)
        change = tool_plugin.plan(root, local=local, sandbox=sandbox)
        if change:
            changes.append(change)
        notes.extend(tool_plugin.notes(sandbox=sandbox))
    if mcp:
        from agentauth.state.secretstore import backend_name, is_secure

        judge = _judge(root, engine or credentials.Judge())
        mcp_changes, store, mcp_notes = mcp_servers.plan(
            root, judge, secure_store=is_secure(backend_name())
        )
        changes.extend(mcp_changes)
        notes.extend(mcp_notes)
    return GuardPlan(root, tuple(tools), tuple(changes), tuple(notes), tuple(store))


def render_diff(plan: GuardPlan) -> str:
    """Return a unified diff of every change, with the moved secrets masked."""
    scrub = Scrubber(secret for _name, secret in plan.store)
    out: list[str] = []
    for change in plan.changes:
        before = (change.old or "").splitlines(keepends=True)
        after = change.new.splitlines(keepends=True)
        source = f"a/{change.relative}" if change.old is not None else "/dev/null"
        out.extend(difflib.unified_diff(before, after, source, f"b/{change.relative}"))
        if out and not out[-1].endswith("\n"):
            out[-1] += "\n"
    return scrub("".join(out))


def _write(path: Path, text: str) -> None:
    from agentauth import fsutil

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = path.stat().st_mode & 0o777 if path.exists() else fsutil.SHARED_MODE
        fsutil.write_atomic(path, text, mode=mode)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}") from None


def apply(plan: GuardPlan, store: SecretStore | None = None) -> list[str]:
    """Move MCP secrets to the keyring (each read back), then write every file; return paths.

    A secret that does not read back identical stops everything before any file is written.
    """
    if plan.store:
        store = default_store(store)
        for name, secret in plan.store:
            store.set(name, secret)
            back = store.get(name)
            if back is None or back.reveal() != secret.reveal():
                raise ConfigError(f"the keyring did not return {name} as stored; nothing written")
    for change in plan.changes:
        if change.relative.endswith(".json"):
            json.loads(change.new)
        _write(change.path, change.new)
    return [c.relative for c in plan.changes]


def guarded(root: Path, tool: str) -> bool:
    """True when ``tool``'s settings (shared or local) already hold everything guard would write."""
    tool_plugin = plugin(tool)
    try:
        return tool_plugin.plan(root) is None or tool_plugin.plan(root, local=True) is None
    except ConfigError:
        return False


def mcp_literal_servers(root: Path, engine: credentials.Judge) -> Mapping[str, list[str]]:
    """Return {config file: [servers with literal secrets in env]} (for ``doctor``)."""
    return mcp_servers.literal_servers(root, _judge(root, engine))


def mcp_wrapper_problems(root: Path) -> tuple[int, list[str]]:
    """Start every MCP wrapper's agentauth once: (wrappers found, failures) (for ``doctor``)."""
    return mcp_servers.probe_wrappers(root)


def hook_problems(root: Path) -> dict[str, tuple[int, list[str]]]:
    """Run agentauth's hook once in every tool that has one: {tool: (hooks run, failures)}."""
    return {name: hook_plugin(name).probe_hooks(root) for name, info in AGENTS.items()
            if info.hook}  # fmt: skip
