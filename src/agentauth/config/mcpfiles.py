"""Where agent tools keep their MCP configs: one list, for the audit engine and ``guard``.

In ``config/`` because both the engine (which reads every one of them for
credentials) and ``agents/`` (which rewrites the ones it can) sit above it and
neither may import the other. Paths are relative to a project root; ``servers`` is
the key under which the file lists its servers.
"""

from __future__ import annotations

from typing import NamedTuple


class McpFile(NamedTuple):
    """One agent config file: where, whose, its format and servers key, rewritable by guard."""

    path: str
    client: str
    format: str
    """``json`` or ``toml``."""
    servers: str
    rewritable: bool = False
    """True when ``guard`` wraps its stdio servers in ``agentauth run`` (plain JSON)."""


MCP_FILES: tuple[McpFile, ...] = (
    McpFile(".cursor/mcp.json", "cursor", "json", "mcpServers", rewritable=True),
    McpFile(".vscode/mcp.json", "vscode", "json", "servers", rewritable=True),
    McpFile(".claude/settings.json", "claude-code-settings", "json", "env"),
    McpFile(".claude/settings.local.json", "claude-code-settings", "json", "env"),
    McpFile(".codex/config.toml", "codex", "toml", "mcp_servers"),
    McpFile(".gemini/settings.json", "gemini", "json", "mcpServers"),
    McpFile(".roo/mcp.json", "roo", "json", "mcpServers"),
    McpFile(".kiro/settings/mcp.json", "kiro", "json", "mcpServers"),
    McpFile(".amazonq/mcp.json", "amazon-q", "json", "mcpServers"),
    McpFile(".mcp.json", "claude-code", "json", "mcpServers", rewritable=True),
    McpFile("claude_desktop_config.json", "claude-desktop", "json", "mcpServers"),
    McpFile("mcp_config.json", "windsurf", "json", "mcpServers"),
)
"""Every known agent config; the order is the engine's matching order (longest suffix first)."""

REWRITABLE: tuple[McpFile, ...] = tuple(f for f in MCP_FILES if f.rewritable)
"""The configs ``guard`` rewrites, in the order it plans them."""
