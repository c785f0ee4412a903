"""Parse the MCP and agent config files of a project into servers and the credentials they get.

Every AI client keeps its MCP servers in its own file and shape (``.mcp.json``,
``.cursor/mcp.json``, ``.vscode/mcp.json``, ``.codex/config.toml``...). This module
knows those shapes and reduces each file to :class:`McpServer` records: the server's
command, args and URL, every literal value it is given (env, headers, args) as a
:class:`~agentauth.model.Secret`, and the environment variables it receives by
reference (``${VAR}``, ``${env:VAR}``, Codex's ``env_vars``). It does not decide
what is a credential; the detector does that with the literal values.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentauth.config.mcpfiles import MCP_FILES
from agentauth.model import Secret

# (path suffix, client, format, servers key): the one list, in config/mcpfiles.
_KNOWN: tuple[tuple[str, str, str, str], ...] = tuple(
    (f.path, f.client, f.format, f.servers) for f in MCP_FILES
)
CONFIG_PATHS: tuple[str, ...] = tuple(k[0] for k in _KNOWN)
"""Where agent configs live, relative to a project root (what :func:`find` looks for)."""
_BY_NAME: dict[str, tuple[tuple[str, str, str, str], ...]] = {}
for _known in _KNOWN:
    _name = _known[0].rsplit("/", 1)[-1]
    _BY_NAME[_name] = (*_BY_NAME.get(_name, ()), _known)
"""The known configs by file name: an audit asks of every file it reads."""

_REFERENCE = re.compile(r"\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}")
_INPUT = re.compile(r"\$\{input:([^}]+)\}")
_NO_EXPANSION = frozenset({"claude-code-settings", "codex", "claude-desktop"})
"""Clients that pass ``${VAR}`` through literally (agent-tools-and-conventions.md §3.1)."""


@dataclass(frozen=True)
class McpValue:
    """One value handed to a server: an env entry, a header, an argument or its URL."""

    name: str
    """The variable or header name; for an argument, the flag before it (``--api-key``)."""
    where: str
    """``env``, ``headers``, ``args``, ``url`` or ``inputs``."""
    value: Secret | None
    """The literal text (may still contain ``${VAR}`` references); None for pure forwards."""
    references: tuple[str, ...] = ()
    """Environment variable names this value pulls in."""
    offset: int = -1
    """Character offset of the value in the config text, -1 when it could not be found."""
    line: int = 0
    column: int = 0


@dataclass(frozen=True)
class McpServer:
    """One MCP server (or the settings ``env`` block every session gets)."""

    name: str
    client: str
    command: str | None = None
    args: tuple[str, ...] = ()
    url: str | None = None
    values: tuple[McpValue, ...] = ()
    env_file: str | None = None
    """A file the client loads into the server's env (VS Code ``envFile``), relative to the root."""
    line: int = 0
    offset: int = -1

    @property
    def references(self) -> tuple[str, ...]:
        """Every environment variable name this server receives, in order, once each."""
        seen: dict[str, None] = {}
        for value in self.values:
            for ref in value.references:
                seen.setdefault(ref, None)
        return tuple(seen)

    @property
    def label(self) -> str:
        """How reports name it: ``mcp server: github`` or ``claude code settings env``."""
        if self.client == "claude-code-settings":
            return "claude code settings env (every session)"
        return f"mcp server: {self.name}"


@dataclass(frozen=True)
class McpConfig:
    """A parsed config file; ``error`` explains why ``servers`` is empty when it did not parse."""

    path: str
    client: str
    servers: tuple[McpServer, ...] = ()
    error: str | None = None


def client_for(rel: str) -> tuple[str, str, str] | None:
    """Return (client, format, servers key) when ``rel`` is a known agent config path."""
    rel = "/" + rel.replace("\\", "/")
    for suffix, client, fmt, key in _BY_NAME.get(rel.rsplit("/", 1)[-1], ()):
        if rel.endswith("/" + suffix):
            return client, fmt, key
    return None


def find(root: Path) -> list[McpConfig]:
    """Parse every known agent config directly under ``root`` (for callers outside a scan)."""
    found: list[McpConfig] = []
    for suffix in CONFIG_PATHS:
        path = root / suffix
        if path.is_file():
            try:
                text = path.read_bytes().decode("utf-8-sig", "replace")
            except OSError as exc:
                found.append(McpConfig(suffix, "unknown", error=f"unreadable: {exc.strerror}"))
                continue
            config = parse(suffix, text)
            if config is not None:
                found.append(config)
    return found


def parse(rel: str, text: str) -> McpConfig | None:
    """Parse ``text`` of the config at ``rel``; None when ``rel`` is not an agent config.

    A hostile file (nesting thousands deep) gives a config with an error, never an
    exception: ``check`` is a CI gate and must not crash on what it gates.
    """
    known = client_for(rel)
    if known is None:
        return None
    try:
        return _parse(rel, text, known)
    except RecursionError:
        return McpConfig(rel, known[0], error="nested too deeply to parse; not checked")


def _parse(rel: str, text: str, known: tuple[str, str, str]) -> McpConfig:
    client, fmt, key = known
    if fmt == "toml":
        import tomllib

        try:
            doc: Any = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            return McpConfig(rel, client, error=f"invalid TOML ({exc}); the agent will fail too")
    else:
        try:
            doc = json.loads(strip_jsonc(text))
        except json.JSONDecodeError as exc:
            return McpConfig(
                rel, client, error=f"invalid JSON (line {exc.lineno}: {exc.msg}); not checked"
            )
    if not isinstance(doc, dict):
        return McpConfig(rel, client, error="not a JSON object; not checked")
    locator = _Locator(text)
    if client == "claude-code-settings":
        env = doc.get("env")
        servers = [_settings_env(env, client, locator)] if isinstance(env, dict) else []
    else:
        block = doc.get(key)
        if client == "vscode" and not isinstance(block, dict):
            block = doc.get("mcpServers")
        servers = []
        if isinstance(block, dict):
            for name, spec in block.items():
                if isinstance(spec, dict):
                    servers.append(_server(str(name), spec, client, locator))
        if client == "vscode" and isinstance(doc.get("inputs"), list):
            servers += _vscode_inputs(doc["inputs"], locator)
    return McpConfig(rel, client, tuple(servers))


def _settings_env(env: dict[str, Any], client: str, locator: _Locator) -> McpServer:
    start = locator.find('"env"', 0)
    values = tuple(
        locator.value(str(k), "env", v, start, expand=False)
        for k, v in env.items()
        if isinstance(v, str)
    )
    return McpServer("env", client, values=values, line=locator.line(start), offset=start)


def _server(name: str, spec: dict[str, Any], client: str, locator: _Locator) -> McpServer:
    if client == "codex":
        start = max(
            locator.find(f"mcp_servers.{name}", 0), locator.find(f'mcp_servers."{name}"', 0)
        )
    else:
        start = locator.find(json.dumps(name), 0)
    expand = client not in _NO_EXPANSION
    values: list[McpValue] = []
    for field_name in ("env", "headers", "http_headers"):
        block = spec.get(field_name)
        if isinstance(block, dict):
            where = "env" if field_name == "env" else "headers"
            for k, v in block.items():
                if isinstance(v, str):
                    values.append(locator.value(str(k), where, v, start, expand=expand))
    args = tuple(str(a) for a in spec.get("args", []) if isinstance(a, str | int | float))
    values += _arg_values(args, locator, start, expand)
    url = spec.get("url") or spec.get("serverUrl") or spec.get("httpUrl")
    if isinstance(url, str):
        values.append(locator.value("url", "url", url, start, expand=expand))
    for token_key in ("bearer_token", "apiKey", "api_key", "token"):
        token = spec.get(token_key)
        if isinstance(token, str):
            values.append(locator.value(token_key, "headers", token, start, expand=expand))
    values += _codex_forwards(spec, locator, start)
    command = spec.get("command")
    env_file = spec.get("envFile")
    return McpServer(
        name,
        client,
        command=command if isinstance(command, str) else None,
        args=args,
        url=url if isinstance(url, str) else None,
        values=tuple(values),
        env_file=_workspace_path(env_file) if isinstance(env_file, str) else None,
        line=locator.line(start),
        offset=start,
    )


def _arg_values(
    args: tuple[str, ...], locator: _Locator, start: int, expand: bool
) -> list[McpValue]:
    """Every argument, named by the flag before it (``--api-key X``) or in it (``--token=X``)."""
    values = []
    previous = ""
    for arg in args:
        name, value = previous, arg
        if arg.startswith("-") and "=" in arg:
            name, value = arg.split("=", 1)
        if not arg.startswith("-") or "=" in arg:
            values.append(locator.value(name.lstrip("-"), "args", value, start, expand=expand))
        previous = arg if arg.startswith("-") else ""
    return values


def _codex_forwards(spec: dict[str, Any], locator: _Locator, start: int) -> list[McpValue]:
    """Codex forwards variables by name (``env_vars``, ``bearer_token_env_var``...)."""
    names: list[tuple[str, str, str]] = []
    env_vars = spec.get("env_vars")
    if isinstance(env_vars, list):
        names += [(v, "env", v) for v in env_vars if isinstance(v, str)]
    bearer = spec.get("bearer_token_env_var")
    if isinstance(bearer, str):
        names.append(("Authorization", "headers", bearer))
    headers = spec.get("env_http_headers")
    if isinstance(headers, dict):
        names += [(str(h), "headers", v) for h, v in headers.items() if isinstance(v, str)]
    values = []
    for name, where, variable in names:
        offset = locator.find(json.dumps(variable), start)
        line, column = locator.position(offset)
        values.append(McpValue(name, where, None, (variable,), offset, line, column))
    return values


def _vscode_inputs(inputs: list[Any], locator: _Locator) -> list[McpServer]:
    """VS Code prompts for ``inputs`` and keeps them in its secret storage; only defaults leak."""
    values = []
    for item in inputs:
        if isinstance(item, dict) and isinstance(item.get("default"), str) and item["default"]:
            ident = str(item.get("id", "input"))
            values.append(locator.value(ident, "inputs", item["default"], 0, expand=False))
    return [McpServer("inputs", "vscode", values=tuple(values))] if values else []


def _workspace_path(value: str) -> str:
    """Turn ``${workspaceFolder}/.env`` into ``.env`` (relative to the project root)."""
    value = value.replace("${workspaceFolder}", ".").replace("${workspaceRoot}", ".")
    return str(Path(value).as_posix()).removeprefix("./")


def references(text: str) -> tuple[str, ...]:
    """Return the variable names in ``${VAR}``, ``${VAR:-default}`` and ``${env:VAR}`` forms."""
    return tuple(dict.fromkeys(m.group(1) for m in _REFERENCE.finditer(text)))


class _Locator:
    """Finds values in the raw config text so findings point at the right line and column."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.newlines = [i for i, c in enumerate(text) if c == "\n"]

    def find(self, needle: str, start: int) -> int:
        """Offset of ``needle`` at or after ``start`` (else anywhere), -1 if absent."""
        if not needle:
            return -1
        found = self.text.find(needle, max(start, 0))
        return found if found >= 0 else self.text.find(needle)

    def position(self, offset: int) -> tuple[int, int]:
        """Return the 1-based line and column of ``offset`` ((0, 0) when unknown)."""
        if offset < 0:
            return 0, 0
        line = bisect_right(self.newlines, offset - 1)
        line_start = self.newlines[line - 1] + 1 if line else 0
        return line + 1, offset - line_start + 1

    def line(self, offset: int) -> int:
        """Return the 1-based line of ``offset`` (0 when unknown)."""
        return self.position(offset)[0]

    def value(self, name: str, where: str, value: str, start: int, *, expand: bool) -> McpValue:
        """Build an :class:`McpValue` for a literal, located in the text after ``start``."""
        offset = -1
        for form in (value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]):
            offset = self.find(form, start)
            if offset >= 0:
                break
        refs = references(value) if expand else ()
        line, column = self.position(offset)
        return McpValue(name, where, Secret(value), refs, offset, line, column)


def strip_jsonc(text: str) -> str:
    """Blank out ``//`` and ``/* */`` comments and trailing commas, keeping every offset.

    VS Code's ``mcp.json`` is JSONC; replacing instead of deleting keeps the line
    numbers of the JSON decoder's errors and of the located values right.
    """
    out = list(text.removeprefix("\ufeff"))
    if len(out) != len(text):
        out.insert(0, " ")
    i, n = 0, len(out)
    in_string = False
    last_comma = -1
    while i < n:
        c = out[i]
        if in_string:
            if c == "\\":
                i += 2
                continue
            if c == '"':
                in_string = False
        elif c == '"':
            in_string = True
            last_comma = -1
        elif c == "/" and i + 1 < n and out[i + 1] in "/*":
            end = _comment_end(out, i)
            for j in range(i, end):
                if out[j] != "\n":
                    out[j] = " "
            i = end
            continue
        elif c == ",":
            last_comma = i
        elif c in "}]":
            if last_comma >= 0:
                out[last_comma] = " "
            last_comma = -1
        elif not c.isspace():
            last_comma = -1
        i += 1
    return "".join(out)


def _comment_end(chars: list[str], i: int) -> int:
    if chars[i + 1] == "/":
        while i < len(chars) and chars[i] != "\n":
            i += 1
        return i
    j = i + 2
    while j + 1 < len(chars) and not (chars[j] == "*" and chars[j + 1] == "/"):
        j += 1
    return min(j + 2, len(chars))
