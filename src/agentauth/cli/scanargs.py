"""Read ``audit`` and ``check`` arguments without typer, for :mod:`agentauth.launch`'s fast path.

Why: ``check --staged`` runs before every commit and must finish in 200 ms, process
start included; importing typer and rich costs about half of that. This parser reads
only well-formed command lines, and gives up (returns None) on anything else: an
unknown option, a bad value, ``--help``, a spelling it does not know (``-fjson``). The
launcher then hands the same argv to the typer app, so every error message and every
help text still comes from one place, the typer declarations in :mod:`agentauth.cli.audit`;
a test holds this parser's result to typer's own on the command lines it accepts.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple


class Opt(NamedTuple):
    """One option: its spellings, the body's parameter, and how its value is read."""

    names: tuple[str, ...]
    param: str
    kind: str = "switch"
    """``switch``, ``value`` (the last one given wins, as in click) or ``repeat``."""
    convert: Callable[[str], Any] = str
    envvar: str | None = None


def _format(value: str) -> Any:
    from agentauth.report import Format

    return Format(value.lower())  # ValueError for an unknown format: typer says why


def _jobs(value: str) -> int:
    jobs = int(value)
    if jobs < 0:
        raise ValueError(value)
    return jobs


_SHARED = (
    Opt(("--format", "-f"), "fmt", "value", _format),
    Opt(("--output", "-o"), "output", "value", Path),
    Opt(("--exclude",), "exclude", "repeat"),
    Opt(("--no-ignore-comments",), "no_ignore_comments"),
    Opt(("--quiet", "-q"), "quiet"),
)
AUDIT = (
    *_SHARED,
    Opt(("--fail-on",), "fail_on", "value", envvar="AGENTAUTH_FAIL_ON"),
    Opt(("--environ",), "environ"),
    Opt(("--verify",), "verify"),
    Opt(("--baseline",), "baseline", "value", Path),
    Opt(("--write-baseline",), "write_baseline", "value", Path),
    Opt(("--no-default-excludes",), "no_default_excludes"),
    Opt(("--max-file-size",), "max_file_size", "value"),
    Opt(("--jobs", "-j"), "jobs", "value", _jobs),
    Opt(("--verbose", "-v"), "verbose"),
    Opt(("--show-info",), "show_info"),
    Opt(("--history",), "history"),
    Opt(("--since",), "since", "value"),
)
CHECK = (
    *_SHARED,
    Opt(("--staged",), "staged"),
    Opt(("--baseline",), "baseline", "value", Path, envvar="AGENTAUTH_BASELINE"),
    Opt(("--range",), "commit_range", "value"),
)
_DEFAULTS: dict[str, Any] = {
    "output": None, "exclude": None, "fail_on": None, "baseline": None,
    "write_baseline": None, "max_file_size": "10MB", "jobs": 0, "since": None,
    "commit_range": None,
}  # fmt: skip
_BOOLEAN = {
    "1": True, "true": True, "t": True, "yes": True, "y": True, "on": True,
    "0": False, "false": False, "f": False, "no": False, "n": False, "off": False,
}  # fmt: skip
"""Click's spellings of a boolean environment variable (anything else: typer says why)."""


def parse(command: str, argv: Sequence[str]) -> dict[str, Any] | None:
    """Return the keyword arguments of ``scanrun.<command>`` for ``argv``, or None to defer.

    ``command`` is ``audit`` or ``check``; ``audit``'s ``fail_on`` stays text (the
    caller turns it into a threshold, deferring when it is not a severity).
    """
    table = AUDIT if command == "audit" else CHECK
    by_name = {name: opt for opt in table for name in opt.names}
    values: dict[str, Any] = {}
    positional: list[str] = []
    i = 0
    try:
        while i < len(argv):
            arg = argv[i]
            i += 1
            if arg == "--":
                positional += argv[i:]
                break
            if not arg.startswith("-") or arg == "-":
                positional.append(arg)
                continue
            name, eq, inline = arg.partition("=") if arg.startswith("--") else (arg, "", "")
            opt = by_name.get(name)
            if opt is None:
                return None
            if opt.kind == "switch":
                if eq:
                    return None
                values[opt.param] = True
                continue
            if not eq:
                if i == len(argv) or (argv[i].startswith("-") and argv[i] != "-"):
                    return None  # NOTE: let typer word the error (or read an odd value)
                inline = argv[i]
                i += 1
            value = opt.convert(inline)
            if opt.kind == "repeat":
                values.setdefault(opt.param, []).append(value)
            else:
                values[opt.param] = value
        for opt in table:
            if opt.envvar and opt.param not in values and os.environ.get(opt.envvar):
                values[opt.param] = opt.convert(os.environ[opt.envvar])
    except ValueError:
        return None
    return _complete(command, table, values, positional)


def _complete(
    command: str, table: Sequence[Opt], values: dict[str, Any], positional: list[str]
) -> dict[str, Any] | None:
    from agentauth.report import Format

    out: dict[str, Any] = {opt.param: _DEFAULTS.get(opt.param, False) for opt in table}
    out["fmt"] = Format.TABLE
    out.update(values)
    if command == "audit":
        if len(positional) > 1:
            return None
        out["path"] = Path(positional[0]) if positional else Path(".")
    else:
        out["files"] = [Path(p) for p in positional] or None
    return out


def global_flags(flags: dict[str, bool]) -> tuple[bool, bool] | None:
    """(debug, no_color) from the leading global flags and their variables, or None to defer."""
    found = []
    for flag, variable in (("--debug", "AGENTAUTH_DEBUG"), ("--no-color", "AGENTAUTH_NO_COLOR")):
        raw = os.environ.get(variable)
        if flag in flags:
            found.append(True)
        elif not raw:
            found.append(False)
        elif raw.strip().lower() in _BOOLEAN:
            found.append(_BOOLEAN[raw.strip().lower()])
        else:
            return None
    return found[0], found[1]
