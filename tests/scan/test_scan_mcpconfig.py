"""Parsing of MCP and agent configs into servers, literal values and references."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentauth.engine import mcpconfig


def _values(config: mcpconfig.McpConfig | None) -> dict[tuple[str, str], str | None]:
    assert config is not None and config.error is None, config
    return {
        (s.name, v.name): (v.value.reveal() if v.value is not None else None)
        for s in config.servers
        for v in s.values
    }


def test_claude_mcp_json_env_headers_args_url_and_references() -> None:
    text = json.dumps(
        {
            "mcpServers": {
                "github": {
                    "command": "npx",
                    "args": ["-y", "@modelcontextprotocol/server-github"],
                    "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": "${GITHUB_TOKEN}"},
                },
                "postgres": {
                    "command": "npx",
                    "args": ["-y", "server-postgres", "postgresql://u:p@db/x", "--api-key=abc"],
                },
                "remote": {
                    "type": "http",
                    "url": "https://mcp.example.com/mcp",
                    "headers": {"Authorization": "Bearer ${env:REMOTE_TOKEN:-none}"},
                },
            }
        },
        indent=2,
    )
    config = mcpconfig.parse(".mcp.json", text)
    values = _values(config)
    assert values[("github", "GITHUB_PERSONAL_ACCESS_TOKEN")] == "${GITHUB_TOKEN}"
    assert values[("postgres", "api-key")] == "abc"
    assert ("postgres", "y") in values  # the package name, named by the flag before it
    assert config is not None
    by_name = {s.name: s for s in config.servers}
    assert by_name["github"].references == ("GITHUB_TOKEN",)
    assert by_name["remote"].references == ("REMOTE_TOKEN",)
    assert by_name["remote"].url == "https://mcp.example.com/mcp"
    assert by_name["postgres"].args[2] == "postgresql://u:p@db/x"
    # values are located in the raw text
    url_value = next(
        v
        for v in by_name["postgres"].values
        if v.value is not None and v.value.reveal().startswith("postgresql")
    )
    assert url_value.name == "" and url_value.where == "args"
    line = text.split("\n")[url_value.line - 1]
    assert line[url_value.column - 1 :].startswith("postgresql://u:p@db/x")
    assert by_name["github"].line == text.split("\n").index('    "github": {') + 1


def test_values_are_secrets_not_strings() -> None:
    config = mcpconfig.parse(
        ".cursor/mcp.json", '{"mcpServers": {"s": {"env": {"K": "hunter2xyz"}}}}'
    )
    assert config is not None
    value = config.servers[0].values[0]
    assert "hunter2xyz" not in repr(config) and "hunter2xyz" not in repr(value)


def test_vscode_jsonc_servers_inputs_and_env_file() -> None:
    text = """{
  // VS Code allows comments
  "inputs": [
    {"type": "promptString", "id": "api-key", "password": true},
    {"type": "promptString", "id": "other", "default": "sk-default-value"},
  ],
  "servers": {
    "perplexity": {
      "command": "npx", /* block comment */
      "env": {"PERPLEXITY_API_KEY": "${input:api-key}", "URL": "https://x//y"},
      "envFile": "${workspaceFolder}/.env",
    },
  },
}
"""
    config = mcpconfig.parse(".vscode/mcp.json", text)
    values = _values(config)
    assert values[("perplexity", "PERPLEXITY_API_KEY")] == "${input:api-key}"
    assert values[("perplexity", "URL")] == "https://x//y"
    assert values[("inputs", "other")] == "sk-default-value"
    assert config is not None
    server = config.servers[0]
    assert server.env_file == ".env"
    assert server.references == ()  # ${input:...} is prompted, not an env variable
    assert mcpconfig.strip_jsonc(text).count("\n") == text.count("\n")


def test_claude_settings_env_is_literal() -> None:
    text = '{\n  "env": {\n    "OPENAI_API_KEY": "literal",\n    "X": "${NOT_EXPANDED}"\n  }\n}\n'
    config = mcpconfig.parse(".claude/settings.local.json", text)
    values = _values(config)
    assert values == {("env", "OPENAI_API_KEY"): "literal", ("env", "X"): "${NOT_EXPANDED}"}
    assert config is not None
    server = config.servers[0]
    assert server.references == ()
    assert server.label == "claude code settings env (every session)"
    assert server.values[0].line == 3


def test_codex_toml_env_forwards_and_headers() -> None:
    text = """model = "o3"

[mcp_servers.github]
command = "npx"
args = ["-y", "github-mcp"]
env = { "GITHUB_TOKEN" = "ghp_literal" }
env_vars = ["AWS_PROFILE"]

[mcp_servers.remote]
url = "https://mcp.example.com"
bearer_token_env_var = "REMOTE_TOKEN"
http_headers = { "X-Api-Key" = "literal-key" }
env_http_headers = { "X-Other" = "OTHER_TOKEN" }
"""
    config = mcpconfig.parse(".codex/config.toml", text)
    values = _values(config)
    assert values[("github", "GITHUB_TOKEN")] == "ghp_literal"
    assert values[("remote", "X-Api-Key")] == "literal-key"
    assert config is not None
    by_name = {s.name: s for s in config.servers}
    assert by_name["github"].references == ("AWS_PROFILE",)  # ${...} is not expanded by Codex
    assert by_name["remote"].references == ("REMOTE_TOKEN", "OTHER_TOKEN")
    literal = next(v for v in by_name["github"].values if v.name == "GITHUB_TOKEN")
    assert literal.line == 6
    assert by_name["remote"].line == 9


@pytest.mark.parametrize(
    "rel",
    [
        ".mcp.json",
        "sub/.mcp.json",
        ".cursor/mcp.json",
        "claude_desktop_config.json",
        ".windsurf/mcp_config.json",
        ".gemini/settings.json",
        ".roo/mcp.json",
    ],
)
def test_mcp_servers_shapes(rel: str) -> None:
    config = mcpconfig.parse(rel, '{"mcpServers": {"a": {"command": "x", "env": {"K": "V"}}}}')
    assert _values(config) == {("a", "K"): "V"}


def test_not_a_config_and_malformed() -> None:
    assert mcpconfig.parse("src/mcp.json", "{}") is None
    broken = mcpconfig.parse(".mcp.json", '{"mcpServers": {')
    assert broken is not None and broken.error and "invalid JSON" in broken.error
    bad_toml = mcpconfig.parse(".codex/config.toml", "[mcp_servers\n")
    assert bad_toml is not None and bad_toml.error and "invalid TOML" in bad_toml.error
    odd = mcpconfig.parse(".mcp.json", "[1, 2]")
    assert odd is not None and odd.error
    weird = mcpconfig.parse(".mcp.json", '{"mcpServers": {"a": "nope", "b": {"env": [1]}}}')
    assert weird is not None and weird.error is None


def test_find_under_root(project: Path) -> None:
    (project / ".cursor").mkdir()
    (project / ".cursor/mcp.json").write_text('{"mcpServers": {"a": {"env": {"K": "${V}"}}}}')
    (project / ".mcp.json").write_text("not json")
    found = {c.path: c for c in mcpconfig.find(project)}
    assert set(found) == {".cursor/mcp.json", ".mcp.json"}
    assert found[".cursor/mcp.json"].servers[0].references == ("V",)
    assert found[".mcp.json"].error


def test_references_forms() -> None:
    assert mcpconfig.references("${A} ${env:B} ${C:-x} $D ${input:e} ${A}") == ("A", "B", "C")
