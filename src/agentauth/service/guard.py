"""``agentauth guard``: write the agent tools' deny settings; route MCP servers through ``run``.

For each tool in use it computes the file as it should be, from the file as it is:
Claude Code's ``.claude/settings.json`` (``permissions.deny`` for env files and
cloud/SSH credentials, a PreToolUse hook that closes the ``cat .env`` hole, the
sandbox's ``denyRead``), Cursor's ``.cursorignore``, Codex's
``[shell_environment_policy]`` (through tomlkit, so the file keeps its comments).
MCP configs whose ``env`` carries literal secrets are rewritten so the server starts
through ``agentauth run --agent <server>`` and gets the value from the OS keyring,
not from a file an agent (or git) can read. Nothing is written here without a plan:
the caller shows :func:`render_diff` (secrets masked) and then calls :func:`apply`.
Running it twice changes nothing the second time.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentauth.config import references
from agentauth.config.references import KEYRING_PREFIX
from agentauth.engine import credentials
from agentauth.errors import ConfigError
from agentauth.model import Secret
from agentauth.redact import Scrubber
from agentauth.service.lock import keyring_name
from agentauth.state.secretstore import SecretStore, default_store

TOOLS = ("claude", "cursor", "codex")
HOOK_COMMAND = "agentauth guard-hook"
HOOK_MATCHER = "Bash|Read|Grep|Glob"

CLAUDE_DENY = (
    "Read(./.env)",
    "Read(./.env.*)",
    "Read(./**/.env)",
    "Read(./**/.env.*)",
    "Read(./.envrc)",
    "Read(~/.aws/**)",
    "Read(~/.ssh/**)",
    "Read(~/.config/gcloud/**)",
    "Bash(cat .env*)",
    "Bash(less .env*)",
    "Bash(more .env*)",
    "Bash(head .env*)",
    "Bash(tail .env*)",
    "Bash(source .env*)",
    "Bash(keyring get *)",
    "Bash(agentauth unlock*)",
    "Bash(agentauth run --human*)",
)
"""Unioned into ``permissions.deny``; the Bash rules are a first line, the hook the second."""
CLAUDE_SANDBOX_DENY_READ = ("~/.aws", "~/.ssh", "~/.config/gcloud", "./.env", "./.env.local")
"""Unioned into ``sandbox.filesystem.denyRead``: enforced by the OS when the sandbox is on."""
CURSOR_LINES = (".env", ".env.*", "!.env.example", "!.env.sample", ".envrc")
CURSOR_HEADER = "# agentauth guard: the developer's credentials stay out of Cursor's reach"
CODEX_EXCLUDE = ("AWS_*", "*PASSWORD*", "*CREDENTIAL*", "*DATABASE_URL*", "*_DSN", "*PRIVATE*")
"""Added to Codex's ``exclude``; ``ignore_default_excludes = false`` adds *KEY*/*SECRET*/*TOKEN*."""

MCP_FILES = ((".mcp.json", "mcpServers"), (".cursor/mcp.json", "mcpServers"),
             (".vscode/mcp.json", "servers"))  # fmt: skip
_AGENT_NAME = re.compile(r"[^A-Za-z0-9_.-]+")
_EXPANSION = re.compile(r"\$\{[^}]*\}")


@dataclass(frozen=True)
class FileChange:
    """One file guard will write: its text before (None if new) and after."""

    path: Path
    relative: str
    tool: str
    old: str | None = field(repr=False)
    new: str = field(repr=False)
    summary: tuple[str, ...] = ()


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


# --------------------------------------------------------------------------- detection


def detect_tools(root: Path, home: Path | None = None) -> list[str]:
    """Return the agent tools in use: project config, user config or the binary on PATH."""
    home = home or Path(os.environ.get("HOME", "~")).expanduser()
    signs = {
        "claude": ([".claude", ".mcp.json", "CLAUDE.md"], [".claude"], "claude"),
        "cursor": ([".cursor", ".cursorignore", ".cursorrules"], [".cursor"], "cursor"),
        "codex": ([".codex", "AGENTS.md"], [".codex"], "codex"),
    }
    found = []
    for tool, (project, user, binary) in signs.items():
        if (
            any((root / p).exists() for p in project)
            or any((home / u).exists() for u in user)
            or shutil.which(binary) is not None
        ):
            found.append(tool)
    return found


# --------------------------------------------------------------------------- claude


def _read_optional(path: Path, relative: str) -> str | None:
    """Return the file's text, None when it does not exist; ConfigError when unreadable."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"cannot read {relative}: {exc.strerror}") from None


def _load_json(path: Path, relative: str) -> tuple[str | None, Any]:
    text = _read_optional(path, relative)
    if text is None:
        return None, {}
    try:
        return text, json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{relative}:{exc.lineno}: not valid JSON ({exc.msg}); fix it, then run guard again"
        ) from None


def _dump_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _union(existing: Any, wanted: Iterable[str], where: str) -> tuple[list[Any], list[str]]:
    if existing is None:
        existing = []
    if not isinstance(existing, list):
        raise ConfigError(f"{where} is not a list; fix it, then run guard again")
    added = [w for w in wanted if w not in existing]
    return [*existing, *added], added


def _section(data: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key)
    if value is None:
        value = {}
        data[key] = value
    if not isinstance(value, dict):
        raise ConfigError(f"{where}.{key} is not an object; fix it, then run guard again")
    return value


def _has_hook(pre: list[Any]) -> bool:
    for group in pre:
        if not isinstance(group, dict):
            continue
        for hook in group.get("hooks") or []:
            if isinstance(hook, dict) and HOOK_COMMAND in str(hook.get("command", "")):
                return True
    return False


def plan_claude(root: Path, *, local: bool = False, sandbox: bool = False) -> FileChange | None:
    """Compute ``.claude/settings.json`` (or ``settings.local.json``) with the deny settings."""
    relative = ".claude/settings.local.json" if local else ".claude/settings.json"
    path = root / relative
    old, data = _load_json(path, relative)
    if not isinstance(data, dict):
        raise ConfigError(f"{relative} is not a JSON object; fix it, then run guard again")
    summary: list[str] = []
    permissions = _section(data, "permissions", relative)
    permissions["deny"], added = _union(
        permissions.get("deny"), CLAUDE_DENY, f"{relative}: permissions.deny"
    )
    if added:
        summary.append(f"permissions.deny: +{len(added)} rules (env files, ~/.aws, ~/.ssh, ...)")
    hooks = _section(data, "hooks", relative)
    pre = hooks.get("PreToolUse")
    if pre is None:
        pre = []
    if not isinstance(pre, list):
        raise ConfigError(f"{relative}: hooks.PreToolUse is not a list; fix it, then run guard")
    if not _has_hook(pre):
        hook = {"type": "command", "command": HOOK_COMMAND}
        pre.append({"matcher": HOOK_MATCHER, "hooks": [hook]})
        summary.append(f"hooks.PreToolUse: `{HOOK_COMMAND}` blocks `cat .env`-style commands")
    hooks["PreToolUse"] = pre
    box = _section(data, "sandbox", relative)
    filesystem = _section(box, "filesystem", f"{relative}: sandbox")
    filesystem["denyRead"], added = _union(
        filesystem.get("denyRead"),
        CLAUDE_SANDBOX_DENY_READ,
        f"{relative}: sandbox.filesystem.denyRead",
    )
    if added:
        summary.append("sandbox.filesystem.denyRead: credentials hidden when the sandbox is on")
    if sandbox and box.get("enabled") is not True:
        box["enabled"] = True
        summary.append("sandbox.enabled: true (Bash runs in the OS sandbox)")
    new = _dump_json(data)
    if old is not None and (json.loads(old) if old.strip() else {}) == data:
        return None
    return FileChange(path, relative, "claude", old, new, tuple(summary))


# --------------------------------------------------------------------------- cursor


def plan_cursor(root: Path) -> FileChange | None:
    """Compute ``.cursorignore`` with the env-file lines appended (existing lines untouched)."""
    relative = ".cursorignore"
    path = root / relative
    old = _read_optional(path, relative)
    present = {line.strip() for line in (old or "").splitlines()}
    missing = [line for line in CURSOR_LINES if line not in present]
    if not missing:
        return None
    text = old or ""
    if text and not text.endswith("\n"):
        text += "\n"
    if text:
        text += "\n"
    new = text + "\n".join([CURSOR_HEADER, *missing]) + "\n"
    return FileChange(path, relative, "cursor", old, new, (f"ignore {', '.join(missing)}",))


# --------------------------------------------------------------------------- codex


def plan_codex(root: Path) -> FileChange | None:
    """Compute ``.codex/config.toml`` with an explicit ``[shell_environment_policy]``."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    relative = ".codex/config.toml"
    path = root / relative
    old = _read_optional(path, relative)
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
    missing = [p for p in CODEX_EXCLUDE if p not in current]
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


# --------------------------------------------------------------------------- MCP


def _literal_secret(name: str, value: object, file: str, engine: credentials.Judge) -> bool:
    if not isinstance(value, str) or not value.strip():
        return False
    if references.is_reference(value) or _EXPANSION.search(value):
        return False
    return engine.is_credential(name, value, file=file)


def _agent_name(server: str) -> str:
    return _AGENT_NAME.sub("-", server).strip("-")[:40] or "mcp"


def _wrap(
    spec: dict[str, Any], server: str, refs: Sequence[tuple[str, str]], keep: Sequence[str]
) -> None:
    """Rewrite a stdio server entry to start through ``agentauth run`` (in place)."""
    command = str(spec["command"])
    args = [str(a) for a in spec.get("args") or []]
    flags: list[str] = []
    for variable, name in refs:
        flags += ["--env", f"{variable}={KEYRING_PREFIX}{name}"]
    for variable in keep:
        flags += ["--allow", variable]
    if command == "agentauth" and args[:1] == ["run"] and "--" in args:
        split = args.index("--")
        spec["args"] = args[:split] + flags + args[split:]
        return
    spec["command"] = "agentauth"
    spec["args"] = ["run", "--agent", _agent_name(server), "--allow-nested", *flags, "--",
                    command, *args]  # fmt: skip


def plan_mcp(
    root: Path, engine: credentials.Judge, *, secure_store: bool
) -> tuple[list[FileChange], list[tuple[str, Secret]], list[str]]:
    """Rewrite MCP servers whose ``env`` holds literal secrets; return changes, secrets, notes."""
    changes: list[FileChange] = []
    secrets: list[tuple[str, Secret]] = []
    notes: list[str] = []
    for relative, key in MCP_FILES:
        path = root / relative
        old, data = _load_json_tolerant(path, relative, notes)
        if old is None or not isinstance(data, dict):
            continue
        servers = data.get(key)
        if not isinstance(servers, dict):
            continue
        summary: list[str] = []
        pending: list[tuple[str, Secret]] = []
        for server, spec in servers.items():
            if not isinstance(spec, dict):
                continue
            env = spec.get("env")
            env = env if isinstance(env, dict) else {}
            literal = [k for k, v in env.items() if _literal_secret(k, v, relative, engine)]
            headers = spec.get("headers")
            if isinstance(headers, dict) and any(
                _literal_secret(k, v, relative, engine) for k, v in headers.items()
            ):
                notes.append(
                    f"{relative}: server {server!r} sends a literal secret in a header; "
                    "guard cannot wrap an HTTP server: replace it with ${VAR} by hand"
                )
            if not literal:
                continue
            if "command" not in spec:
                notes.append(f"{relative}: server {server!r} has secrets in env but no command")
                continue
            if not secure_store:
                notes.append(
                    f"{relative}: server {server!r} holds literal secrets ({', '.join(literal)}) "
                    "but there is no secure keyring to move them to; see `agentauth doctor`"
                )
                continue
            refs = []
            for variable in literal:
                name = keyring_name(root, f"mcp/{_agent_name(server)}/{variable}")
                refs.append((variable, name))
                pending.append((name, Secret(str(env.pop(variable)))))
            keep = [k for k in env if not _literal_secret(k, env[k], relative, engine)]
            _wrap(spec, server, refs, keep)
            if not env and "env" in spec:
                del spec["env"]
            summary.append(
                f"server {server!r}: {', '.join(literal)} moved to the keyring; "
                f"starts through `agentauth run --agent {_agent_name(server)}`"
            )
        if summary:
            secrets.extend(pending)
            changes.append(FileChange(path, relative, "mcp", old, _dump_json(data), tuple(summary)))
    return changes, secrets, notes


def _load_json_tolerant(path: Path, relative: str, notes: list[str]) -> tuple[str | None, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None, None
    try:
        return text, json.loads(text)
    except json.JSONDecodeError:
        pass
    from agentauth.engine.mcpconfig import strip_jsonc

    try:
        json.loads(strip_jsonc(text))
    except json.JSONDecodeError as exc:
        notes.append(f"{relative}:{exc.lineno}: not valid JSON; skipped")
        return None, None
    notes.append(
        f"{relative} has comments (JSONC); guard does not rewrite it: wrap servers by hand"
    )
    return None, None


# --------------------------------------------------------------------------- plan / apply


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
    unknown = [t for t in tools if t not in TOOLS]
    if unknown:
        raise ConfigError(f"unknown tool {unknown[0]!r}; choose from {', '.join(TOOLS)} or all")
    changes: list[FileChange] = []
    notes: list[str] = []
    store: list[tuple[str, Secret]] = []
    if "claude" in tools:
        change = plan_claude(root, local=local, sandbox=sandbox)
        if change:
            changes.append(change)
        if not sandbox:
            notes.append(
                "Claude Code: Read denies bind to its Read tool only; the hook catches common "
                "shell reads; `guard --sandbox` turns on the OS sandbox for Bash as well"
            )
    if "cursor" in tools:
        change = plan_cursor(root)
        if change:
            changes.append(change)
    if "codex" in tools:
        change = plan_codex(root)
        if change:
            changes.append(change)
        notes.append("Codex reads .codex/config.toml only in projects you marked as trusted")
    if mcp:
        from agentauth.state.secretstore import backend_name, is_secure

        mcp_changes, store, mcp_notes = plan_mcp(
            root, engine or credentials.Judge(), secure_store=is_secure(backend_name())
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
    """True when ``tool``'s settings already hold everything guard would write."""
    try:
        if tool == "claude":
            settings = plan_claude(root) is None
            local = plan_claude(root, local=True) is None
            return settings or local
        if tool == "cursor":
            return plan_cursor(root) is None
        if tool == "codex":
            return plan_codex(root) is None
    except ConfigError:
        return False
    return False


def mcp_literal_servers(root: Path, engine: credentials.Judge) -> Mapping[str, list[str]]:
    """Return {config file: [servers with literal secrets in env]} (for ``doctor``)."""
    found: dict[str, list[str]] = {}
    for relative, key in MCP_FILES:
        path = root / relative
        notes: list[str] = []
        _old, data = _load_json_tolerant(path, relative, notes)
        if not isinstance(data, dict) or not isinstance(data.get(key), dict):
            continue
        for server, spec in data[key].items():
            env = spec.get("env") if isinstance(spec, dict) else None
            if isinstance(env, dict) and any(
                _literal_secret(k, v, relative, engine) for k, v in env.items()
            ):
                found.setdefault(relative, []).append(str(server))
    return found
