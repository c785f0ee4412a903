"""The agent tools agentauth knows, by name: one registry for ``run``, ``guard`` and ``doctor``.

Import-light (``run`` consults it on its start-up path when a credential was
dropped): each entry is a plain :class:`~agentauth.agents.base.AgentInfo`; the code
that writes a tool's settings lives in the tool's own module and is imported only
by ``guard``.
"""

from __future__ import annotations

import importlib
from typing import cast

from agentauth.agents.base import AgentInfo, HookPlugin, ToolPlugin

CLAUDE = AgentInfo(
    name="claude",
    label="Claude Code",
    binaries=("claude",),
    project_signs=(".claude", ".mcp.json", "CLAUDE.md"),
    user_signs=(".claude",),
    api_keys=("ANTHROPIC_API_KEY",),
    module="agentauth.agents.claude",
    hook=True,
)
CURSOR = AgentInfo(
    name="cursor",
    label="Cursor",
    binaries=("cursor", "cursor-agent"),
    project_signs=(".cursor", ".cursorignore", ".cursorrules"),
    user_signs=(".cursor",),
    api_keys=("CURSOR_API_KEY",),
    module="agentauth.agents.cursor",
)
CODEX = AgentInfo(
    name="codex",
    label="Codex",
    binaries=("codex",),
    project_signs=(".codex", "AGENTS.md"),
    user_signs=(".codex",),
    api_keys=("OPENAI_API_KEY", "CODEX_API_KEY"),
    module="agentauth.agents.codex",
)

AGENTS: dict[str, AgentInfo] = {a.name: a for a in (CLAUDE, CURSOR, CODEX)}
"""Every agent tool ``guard`` configures, by the name ``--tool`` takes."""


def api_key_variables(command: str) -> tuple[str, ...]:
    """Return the API-key variables the agent tool started as ``command`` reads, if it is one."""
    for agent in AGENTS.values():
        if command in agent.binaries:
            return agent.api_keys
    return ()


def hook_plugin(name: str) -> HookPlugin:
    """Return the plugin module of agent tool ``name``, which installs agentauth's hook."""
    if not AGENTS[name].hook:
        raise KeyError(f"{name} has no agentauth hook")
    return cast(HookPlugin, importlib.import_module(AGENTS[name].module))


def plugin(name: str) -> ToolPlugin:
    """Return the plugin module of agent tool ``name`` (imported on first use)."""
    return cast(ToolPlugin, importlib.import_module(AGENTS[name].module))
