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
it). It imports nothing but ``re``, ``json`` and ``os`` because it runs before every tool call.

agentauth's own state folder is guarded too: the headless keyring
(:mod:`agentauth.state.filestore`) keeps values unencrypted in its ``secrets.json`` and the
signing key sits next to it. :func:`state_dirs` is where the folder can be (the
``AGENTAUTH_HOME`` the hook sees, the XDG and the default location, each also resolved
through symlinks), mirroring :func:`agentauth.state.paths.home` without its imports.
"""

from __future__ import annotations

import json
import os
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
_STATE_TEXT = re.compile(
    r"\$\{?AGENTAUTH_HOME\b\}?|\$\{?XDG_STATE_HOME\}?/agentauth\b"
    r"|(?:^|[\s'\"=<>|;&(/:,`])\.local/state/agentauth(?=$|[\s'\"|;&)<>,*`/])"
)
"""The state folder named in the text: ``$AGENTAUTH_HOME``, ``~/.local/state/agentauth``."""
_BROAD_ONLY = ("secrets.json", "signing.key", "projects")
"""What is guarded of a state folder so broad (``/``, an ancestor of HOME or of the project)
that blocking all of it would block the agent's work: the secrets, the key, the ledgers."""
_END = r"(?=$|[\s'\"|;&)<>,*`/])"

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


def _expand(raw: str, home: str, cwd: str) -> str:
    if raw == "~" or raw.startswith("~/"):
        raw = home + raw[1:]
    return os.path.normpath(os.path.join(cwd, raw))


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def state_dirs(environ: Mapping[str, str], cwd: str) -> list[str]:
    """Return the absolute paths to guard of agentauth's state folder, wherever it may be."""
    home = environ.get("HOME") or os.path.expanduser("~")
    xdg = environ.get("XDG_STATE_HOME")
    candidates = [environ.get("AGENTAUTH_HOME") or "", xdg + "/agentauth" if xdg else "",
                  home + "/.local/state/agentauth"]  # fmt: skip
    found: list[str] = []
    for raw in filter(None, candidates):
        path = _expand(raw, home, cwd)
        for folder in dict.fromkeys((path, os.path.realpath(path))):
            broad = _within(_expand(home, home, cwd), folder) or _within(cwd, folder)
            inside = [f"{folder.rstrip('/')}/{n}" for n in _BROAD_ONLY]
            for guarded in inside if broad else [folder]:
                if guarded not in found:
                    found.append(guarded)
    return found


def _state_hit(command: str, folders: list[str], home: str) -> str | None:
    match = _STATE_TEXT.search(command)
    if match:
        return match.group(0).lstrip(" \t'\"=<>|;&(/:,`")
    forms = list(folders)
    home = home.rstrip("/")
    for folder in folders:
        if home and folder.startswith(home + "/"):
            rest = folder[len(home) :]
            forms += ["~" + rest, "$HOME" + rest, "${HOME}" + rest]
    pattern = r"(?<![\w.~-])(?:" + "|".join(re.escape(f) for f in forms) + ")" + _END
    match = re.search(pattern, command)
    return match.group(0) if match else None


STATE_WHAT = "agentauth's state folder, where the file keyring keeps values: {path}"


def check(event: Mapping[str, object], environ: Mapping[str, str] | None = None) -> str | None:
    """Return the reason to block a PreToolUse event, or None to let it through.

    ``environ`` (default: this process's) says where agentauth's state folder is.
    """
    environ = os.environ if environ is None else environ
    tool = str(event.get("tool_name", ""))
    raw = event.get("tool_input")
    tool_input: Mapping[str, object] = raw if isinstance(raw, Mapping) else {}
    cwd = event.get("cwd")
    cwd = cwd if isinstance(cwd, str) and cwd.startswith("/") else os.getcwd()
    folders = state_dirs(environ, cwd)
    home = environ.get("HOME") or os.path.expanduser("~")
    if tool == "Bash":
        command = str(tool_input.get("command", ""))
        hit = _file_hit(command)
        if hit is None:
            state = _state_hit(command, folders, home)
            hit = STATE_WHAT.format(path=state) if state else None
        if hit is None:
            match = _COMMANDS.search(command)
            hit = match.group(0).strip(" ;&|(`") if match else None
        return REASON.format(what=hit) if hit else None
    keys = (*_PATH_KEYS, "pattern") if tool == "Glob" else _PATH_KEYS
    for key in keys:
        value = tool_input.get(key)
        if isinstance(value, str):
            hit = _file_hit(value if value.startswith(("/", "~", ".")) else "/" + value)
            if hit is None:
                path = _expand(value, home, cwd)
                real = os.path.realpath(path)
                if _STATE_TEXT.search(value) or any(
                    _within(p, f) for f in folders for p in (path, real)
                ):
                    hit = STATE_WHAT.format(path=value)
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
