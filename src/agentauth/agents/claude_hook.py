"""The Claude Code PreToolUse hook: refuse tool calls that would read the developer's credentials.

Why a hook as well as ``permissions.deny``: a ``Read(./.env)`` deny binds to the Read
tool only; ``cat .env``, ``grep KEY .env``, ``/proc/<pid>/environ`` or ``keyring get``
through the Bash tool walk around it. The hook sees the command text before it runs.
It is a guard against mistakes and injected instructions, not a sandbox: a
determined shell command can always be spelled in a way no pattern catches
(``grep -r KEY .``, ``python -c "print(open('.e'+'nv').read())"``); docs/guard.md
lists what it cannot see.

Contract (Claude Code hooks): the event JSON arrives on stdin; exit code 2 blocks the
call and stderr is shown to the model as the reason; exit 0 lets it through. It fails
closed: input it cannot read as an event is a block, not a pass. :func:`run_hook` is
the whole of ``agentauth guard-hook`` (both the fast path and the typer command call
it). It imports nothing but ``re`` and ``json`` because it runs before every tool call.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import IO

_TEMPLATE = r"(?:example|sample|template|dist|defaults?|schema)"
_ENV_FILE = re.compile(
    r"(?:^|[\s'\"=<>|;&(/:,`])"
    r"(?:\.env(?:\.(?!" + _TEMPLATE + r"\b)[\w.-]+)?|\.envrc|\.dev\.vars)"
    r"(?=$|[\s'\"|;&)<>,*`/])"
)
_SENSITIVE = re.compile(
    r"(?:~|\$HOME|\$\{HOME\}|/home/[^/\s]+|/Users/[^/\s]+|/root)/"
    r"(?:\.aws|\.ssh|\.config/gcloud|\.azure|\.kube|\.docker/config\.json|\.netrc|\.pgpass|"
    r"\.git-credentials|\.config/gh/hosts\.yml|\.npmrc|\.pypirc)"
    r"|(?:^|[\s'\"])(?:\.aws|\.ssh)/"
    r"|/proc/(?:self|\d+|\$\w+|\$\{?PPID\}?|\*)/environ"
)
_COMMANDS = re.compile(
    r"(?:^|[\s;&|(`])(?:"
    r"keyring\s+get|python3?\s+-m\s+keyring\s+get|secret-tool\s+lookup|"
    r"security\s+find-(?:generic|internet)-password|"
    r"agentauth\s+(?:run\s+(?:.*\s)?--human|unlock)"
    r")\b"
)
_PATH_KEYS = ("file_path", "path", "notebook_path", "glob")

REASON = (
    "agentauth guard: blocked because this would read the developer's own credentials "
    "({what}). The agent has its scoped credentials in its environment already. If a "
    "task needs another credential, ask the user to add it to agentauth.yaml and run "
    "`agentauth provision`."
)


def _file_hit(text: str) -> str | None:
    match = _ENV_FILE.search(text)
    if match:
        return match.group(0).lstrip(" \t'\"=<>|;&(/:,`")
    match = _SENSITIVE.search(text)
    if match:
        return match.group(0).strip(" '\"")
    return None


def check(event: Mapping[str, object]) -> str | None:
    """Return the reason to block a PreToolUse event, or None to let it through."""
    tool = str(event.get("tool_name", ""))
    raw = event.get("tool_input")
    tool_input: Mapping[str, object] = raw if isinstance(raw, Mapping) else {}
    if tool == "Bash":
        command = str(tool_input.get("command", ""))
        hit = _file_hit(command)
        if hit is None:
            match = _COMMANDS.search(command)
            hit = match.group(0).strip(" ;&|(`") if match else None
        return REASON.format(what=hit) if hit else None
    for key in _PATH_KEYS:
        value = tool_input.get(key)
        if isinstance(value, str):
            hit = _file_hit(value if value.startswith(("/", "~", ".")) else "/" + value)
            if hit:
                return REASON.format(what=hit)
    return None


MALFORMED = (
    "agentauth guard: blocked because the hook input could not be read as a Claude Code "
    "event ({what}); failing closed. Check that `agentauth guard-hook` is the PreToolUse hook."
)
BLOCK = 2
"""Claude Code's exit code for "block this tool call"."""


def run_hook(stdin: IO[str], stderr: IO[str]) -> int:
    """Read one PreToolUse event from ``stdin``: 2 blocks (reason on ``stderr``), 0 allows."""
    try:
        event = json.loads(stdin.read())
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        stderr.write(MALFORMED.format(what=type(exc).__name__) + "\n")
        return BLOCK
    if not isinstance(event, dict) or not isinstance(event.get("tool_name"), str):
        stderr.write(MALFORMED.format(what="no tool_name") + "\n")
        return BLOCK
    reason = check(event)
    if reason is None:
        return 0
    stderr.write(reason + "\n")
    return BLOCK
