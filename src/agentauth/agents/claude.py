"""Claude Code: ``permissions.deny`` for env files and cloud/SSH credentials, the PreToolUse hook
that closes the ``cat .env`` hole, and the sandbox's ``denyRead``.

The hook is written with an absolute path to this installation of agentauth
(:func:`hook_command`): Claude Code runs hooks through a shell with its own PATH,
and a bare ``agentauth`` inside a virtualenv exits 127, which Claude Code treats as
"not a block". The command ends in ``|| exit 2`` so that any failure of the hook
(moved virtualenv, removed package) blocks the tool call instead of allowing it.
A settings file that holds another path (a teammate's, an old virtualenv) is
updated to this one. :func:`probe` runs the hook as Claude Code would, for ``doctor``.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

from agentauth.agents.files import (
    FileChange,
    agentauth_executable,
    dump_json,
    load_json,
    section,
    union,
)
from agentauth.errors import ConfigError

HOOK_SUBCOMMAND = "guard-hook"
HOOK_MATCHER = "Bash|Read|Grep|Glob"
DENY = (
    "Read(./.env)",
    "Read(./.env.*)",
    "Read(./**/.env)",
    "Read(./**/.env.*)",
    "Read(./.envrc)",
    "Read(~/.aws/**)",
    "Read(~/.ssh/**)",
    "Read(~/.config/gcloud/**)",
    "Read(~/.local/state/agentauth/**)",
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
SANDBOX_DENY_READ = ("~/.aws", "~/.ssh", "~/.config/gcloud", "./.env", "./.env.local")
"""Unioned into ``sandbox.filesystem.denyRead``: enforced by the OS when the sandbox is on."""


_RULE_SYNTAX = frozenset("*?[]{}()!\\")


def state_deny() -> tuple[str, ...]:
    """The ``Read`` deny rule for the state folder in use (``AGENTAUTH_HOME``, when set).

    Why besides the default's rule in :data:`DENY`: the file keyring keeps its values
    unencrypted in that folder, and a custom ``AGENTAUTH_HOME`` is elsewhere. Claude Code
    reads ``~/`` as the home folder and ``//`` as the filesystem root. A folder whose name
    holds rule syntax gets no rule (it would match something else), nor does one that
    holds the home folder (it would deny every read); the hook guards both.
    """
    from agentauth.state import paths

    folder = paths.home().absolute()
    if _RULE_SYNTAX & set(str(folder)) or Path.home().is_relative_to(folder):
        return ()
    try:
        return (f"Read(~/{folder.relative_to(Path.home()).as_posix()}/**)",)
    except ValueError:
        return (f"Read(/{folder.as_posix()}/**)",)


def hook_command() -> str:
    """The hook's shell command: absolute path, and fail closed (``|| exit 2``)."""
    return " ".join(shlex.quote(part) for part in agentauth_executable()) + \
        f" {HOOK_SUBCOMMAND} || exit 2"  # fmt: skip


def _is_ours(hook: Any) -> bool:
    command = str(hook.get("command", "")) if isinstance(hook, dict) else ""
    return "agentauth" in command and HOOK_SUBCOMMAND in command


def hook_commands(data: Any) -> list[str]:
    """Return the agentauth hook commands in a parsed settings file."""
    found: list[str] = []
    hooks = data.get("hooks") if isinstance(data, dict) else None
    pre = hooks.get("PreToolUse") if isinstance(hooks, dict) else None
    for group in pre if isinstance(pre, list) else []:
        if isinstance(group, dict):
            found += [str(h["command"]) for h in group.get("hooks") or [] if _is_ours(h)]
    return found


def _place_hook(pre: list[Any], wanted: str) -> str | None:
    """Make ``pre`` hold exactly one agentauth hook with ``wanted``; return what changed."""
    for group in pre:
        if not isinstance(group, dict):
            continue
        for hook in group.get("hooks") or []:
            if _is_ours(hook):
                if hook.get("command") == wanted:
                    return None
                hook["command"] = wanted
                return f"hooks.PreToolUse: the agentauth hook now runs `{wanted}`"
    pre.append({"matcher": HOOK_MATCHER, "hooks": [{"type": "command", "command": wanted}]})
    return f"hooks.PreToolUse: `{wanted}` blocks `cat .env`-style commands"


def plan(root: Path, *, local: bool = False, sandbox: bool = False) -> FileChange | None:
    """Compute ``.claude/settings.json`` (or ``settings.local.json``) with the deny settings."""
    relative = ".claude/settings.local.json" if local else ".claude/settings.json"
    path = root / relative
    old, data = load_json(path, relative)
    if not isinstance(data, dict):
        raise ConfigError(f"{relative} is not a JSON object; fix it, then run guard again")
    summary: list[str] = []
    permissions = section(data, "permissions", relative)
    permissions["deny"], added = union(permissions.get("deny"), DENY + state_deny(),
                                       f"{relative}: permissions.deny")  # fmt: skip
    if added:
        summary.append(f"permissions.deny: +{len(added)} rules (env files, ~/.aws, ~/.ssh, ...)")
    hooks = section(data, "hooks", relative)
    pre = hooks.get("PreToolUse")
    if pre is None:
        pre = []
    if not isinstance(pre, list):
        raise ConfigError(f"{relative}: hooks.PreToolUse is not a list; fix it, then run guard")
    placed = _place_hook(pre, hook_command())
    if placed:
        summary.append(placed)
    hooks["PreToolUse"] = pre
    box = section(data, "sandbox", relative)
    filesystem = section(box, "filesystem", f"{relative}: sandbox")
    filesystem["denyRead"], added = union(filesystem.get("denyRead"), SANDBOX_DENY_READ,
                                          f"{relative}: sandbox.filesystem.denyRead")  # fmt: skip
    if added:
        summary.append("sandbox.filesystem.denyRead: credentials hidden when the sandbox is on")
    if sandbox and box.get("enabled") is not True:
        box["enabled"] = True
        summary.append("sandbox.enabled: true (Bash runs in the OS sandbox)")
    if old is not None and (json.loads(old) if old.strip() else {}) == data:
        return None
    return FileChange(path, relative, "claude", old, dump_json(data), tuple(summary))


def notes(*, sandbox: bool) -> tuple[str, ...]:
    """What the user should know about Claude Code's guard."""
    if sandbox:
        return ()
    return ("Claude Code: Read denies bind to its Read tool only; the hook catches common "
            "shell reads; `guard --sandbox` turns on the OS sandbox for Bash as well",)  # fmt: skip


def probe_hooks(root: Path) -> tuple[int, list[str]]:
    """Run each agentauth hook in the project's Claude Code settings once: (hooks run, failures).

    Proof, not inspection: a hook whose command does not resolve (a bare
    ``agentauth`` outside the virtualenv, a moved installation) lets every call
    through, however right the settings file looks.
    """
    problems: list[str] = []
    count = 0
    for relative in (".claude/settings.json", ".claude/settings.local.json"):
        try:
            _text, data = load_json(root / relative, relative)
        except ConfigError as exc:
            problems.append(str(exc))
            continue
        for command in hook_commands(data):
            count += 1
            failure = probe(command, root)
            if failure:
                problems.append(f"{relative}: {failure}")
    return count, problems


PROBE_EVENT = {"hook_event_name": "PreToolUse", "tool_name": "Bash",
               "tool_input": {"command": "cat .env"}}  # fmt: skip


def probe(command: str, cwd: Path, timeout: float = 20) -> str | None:
    """Run the hook ``command`` as Claude Code does (a shell, the event on stdin).

    Return None when it blocks the probe event (exit 2), else what went wrong.
    """
    import subprocess

    try:
        result = subprocess.run(["/bin/sh", "-c", command], input=json.dumps(PROBE_EVENT),
                                cwd=cwd, capture_output=True, text=True, timeout=timeout,
                                check=False)  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        return f"the hook could not run ({type(exc).__name__})"
    if result.returncode == 2 and "agentauth guard" in result.stderr:
        return None
    last = (result.stderr.strip().splitlines() or [""])[-1][:160]
    return f"the hook exited {result.returncode} instead of blocking `cat .env`" + (
        f" ({last})" if last else "")  # fmt: skip
