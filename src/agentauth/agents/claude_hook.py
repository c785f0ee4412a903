"""The Claude Code PreToolUse hook: refuse tool calls that would read the developer's credentials.

Why a hook as well as ``permissions.deny``: a ``Read(./.env)`` deny binds to the Read
tool only; ``cat .env``, ``grep KEY .env``, ``/proc/<pid>/environ`` or ``keyring get``
through the Bash tool walk around it. The hook sees the command text before it runs.
It is a guard against mistakes and injected instructions, not a sandbox: a
determined shell command can always be spelled in a way no pattern catches.

Contract (Claude Code hooks): the event JSON arrives on stdin; exit code 2 blocks the
call and stderr is shown to the model as the reason; exit 0 lets it through. This
module only decides; ``agentauth guard-hook`` does the I/O. It imports nothing but
``re`` because it runs before every tool call.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

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
