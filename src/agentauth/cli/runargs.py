"""The one argument parser of ``agentauth run``, shared by the fast path and the typer command.

Why hand-written rather than typer's: ``run`` starts before every agent session and
every MCP server, and importing typer costs more than ``run``'s whole budget. So
:mod:`agentauth.launch` parses with :func:`parse` without loading typer, and the typer
command (which exists for ``--help``) hands its raw arguments to the same function:
the flags, their spelling and their errors exist once, in :data:`FLAGS`.

Rules, as in ``env`` and ``sudo``: options come first; the first word that is not an
option (or everything after ``--``) is the command, whose own flags are never read.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from agentauth.errors import UsageError

if TYPE_CHECKING:
    from agentauth.service.run import RunRequest

GLOBAL_FLAGS = ("--no-color", "--debug")
"""The app's own flags that may stand before ``run`` on the fast path."""


class Flag(NamedTuple):
    """One option of ``run``: its spellings, the RunRequest field, its value and its help."""

    names: tuple[str, ...]
    field: str
    metavar: str | None
    """None for a switch; the value's name otherwise."""
    help: str
    repeat: bool = False


FLAGS: tuple[Flag, ...] = (
    Flag(("--agent",), "agent", "NAME", "Agent name (default: the policy's)."),
    Flag(("--inherit",), "inherit", "none|core|all",
         "Keep none, the core allowlist (default) or all of your environment; "
         "credentials are dropped in every mode."),
    Flag(("--allow",), "allow", "VAR",
         "Also keep VAR (glob allowed); an exact name passes even a credential (logged).", True),
    Flag(("--env",), "refs", "VAR=REF",
         "Set VAR from a reference such as agentauth-keyring:NAME (MCP wrappers).", True),
    Flag(("--strict",), "strict", None,
         "Refuse to start when .env/.env.local hold live credentials."),
    Flag(("--human",), "human", None,
         "Your own process: the full environment, .env references resolved."),
    Flag(("--allow-nested",), "allow_nested", None,
         "Allow starting inside another agentauth run (MCP servers)."),
    Flag(("--attest",), "attest", None,
         "Hand the agent a signed attestation of its grants (AGENTAUTH_ATTESTATION)."),
    Flag(("-q", "--quiet"), "quiet", None, "Do not print the one-line banner."),
    Flag(("-v", "--verbose"), "verbose", None, "List what was dropped (names, never values)."),
)  # fmt: skip

_BY_NAME = {name: flag for flag in FLAGS for name in flag.names}
HELP = ("-h", "--help")


def split_env(item: str) -> tuple[str, str]:
    """Split one ``--env VAR=REF`` into (VAR, REF); a missing ``=`` or name is a usage error."""
    variable, eq, reference = item.partition("=")
    if not eq or not variable:
        raise UsageError(f"--env expects VAR=agentauth-keyring:NAME, got {item!r}")
    return variable, reference


def wants_help(argv: Sequence[str]) -> bool:
    """True when ``-h``/``--help`` stands among ``run``'s options (before the command)."""
    for arg in argv:
        if arg == "--" or not arg.startswith("-") or arg == "-":
            return False
        if arg in HELP:
            return True
    return False


def parse(argv: Sequence[str], cwd: Path | None = None) -> RunRequest:
    """Parse ``run``'s arguments (without the word ``run``) into a RunRequest.

    Raises UsageError for an unknown option, a missing value, a repeated single-value
    option, a bad ``--inherit`` or ``--env``, and for no command at all.
    """
    from agentauth.service.run import RunRequest
    from agentauth.service.runenv import INHERIT_MODES

    values: dict[str, object] = {}
    lists: dict[str, list[str]] = {"allow": [], "refs": []}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            i += 1
            break
        if not arg.startswith("-") or arg == "-":
            break
        name, eq, inline = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        flag = _BY_NAME.get(name)
        if flag is None:
            raise UsageError(f"run: no such option {arg!r}; see `agentauth run --help`")
        if flag.metavar is None:
            if eq:
                raise UsageError(f"run: {name} takes no value")
            values[flag.field] = True
            i += 1
            continue
        if eq:
            value = inline
        elif i + 1 < len(argv):
            i += 1
            value = argv[i]
        else:
            raise UsageError(f"run: {name} needs a value ({flag.metavar})")
        if flag.repeat:
            lists[flag.field].append(value)
        elif flag.field in values:
            raise UsageError(f"run: {name} given twice")
        else:
            values[flag.field] = value
        i += 1
    command = tuple(argv[i:])
    if not command:
        raise UsageError("nothing to run; write the command after --, e.g. agentauth run -- claude")
    inherit = str(values.pop("inherit", "core"))
    if inherit not in INHERIT_MODES:
        raise UsageError(f"--inherit must be one of {', '.join(INHERIT_MODES)}, got {inherit!r}")
    agent = values.pop("agent", None)
    return RunRequest(
        command=command,
        cwd=cwd if cwd is not None else Path(os.getcwd()),
        agent=str(agent) if agent is not None else None,
        inherit=inherit,
        allow=tuple(lists["allow"]),
        refs=tuple(split_env(item) for item in lists["refs"]),
        **{k: bool(v) for k, v in values.items()},
    )


def after_globals(argv: Sequence[str]) -> tuple[dict[str, bool], list[str]]:
    """Split the app's leading global flags from the rest: ({flag: True}, remaining argv)."""
    seen: dict[str, bool] = {}
    i = 0
    while i < len(argv) and argv[i] in GLOBAL_FLAGS:
        seen[argv[i]] = True
        i += 1
    return seen, list(argv[i:])


def options_help() -> str:
    """The options of ``run`` as an indented block, for the typer command's help text."""
    rows = []
    for flag in FLAGS:
        spelled = ", ".join(flag.names) + (f" {flag.metavar}" if flag.metavar else "")
        rows.append((spelled, flag.help + (" Repeatable." if flag.repeat else "")))
    width = max(len(s) for s, _ in rows) + 2
    return "\n".join(f"  {s.ljust(width)}{h}" for s, h in rows)
