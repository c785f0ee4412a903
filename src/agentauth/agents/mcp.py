"""MCP servers: wrap a stdio server whose ``env`` holds literal secrets in ``agentauth run``.

The server then starts as ``agentauth run --agent <server> --allow-nested --env
VAR=<keyring reference> -- <command>`` and gets the value from the OS keyring, not
from a file an agent (or git) can read. Which files are rewritten comes from the one
list in :mod:`agentauth.config.mcpfiles`. What counts as a secret, and how a
keyring entry is named and referenced, are passed in by ``guard`` (they belong to
the service layer above).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from agentauth.agents.files import FileChange, agentauth_executable, dump_json
from agentauth.config.mcpfiles import REWRITABLE
from agentauth.errors import ConfigError
from agentauth.secret import Secret

_AGENT_NAME = re.compile(r"[^A-Za-z0-9_.-]+")
_EXPANSION = re.compile(r"\$\{[^}]*\}")


class Judge(NamedTuple):
    """What ``guard`` decides for this module."""

    is_credential: Callable[[str, str, str], bool]
    """(name, value, file) -> True when the literal value is a credential."""
    is_reference: Callable[[str], bool]
    """True for a value that already points at a secret stored elsewhere."""
    entry: Callable[[str], str]
    """Keyring entry name for ``mcp/<server>/<VAR>``."""
    reference: Callable[[str], str]
    """The ``--env`` reference for a keyring entry name."""


def agent_name(server: str) -> str:
    """The agent name a server runs as: its name, made safe for role and log names."""
    return _AGENT_NAME.sub("-", server).strip("-")[:40] or "mcp"


def _literal(name: str, value: object, file: str, judge: Judge) -> bool:
    if not isinstance(value, str) or not value.strip():
        return False
    if judge.is_reference(value) or _EXPANSION.search(value):
        return False
    return judge.is_credential(name, value, file)


def _run_index(spec: dict[str, Any]) -> int | None:
    """Where ``run`` sits in the args of a server that already starts through agentauth, else None.

    Recognises any spelling guard ever wrote: a bare ``agentauth``, an absolute path to
    one, and ``python -m agentauth``.
    """
    command = str(spec.get("command", ""))
    args = [str(a) for a in spec.get("args") or []]
    if Path(command).name == "agentauth":
        at = 0
    elif args[:2] == ["-m", "agentauth"]:
        at = 2
    else:
        return None
    return at if args[at : at + 1] == ["run"] and "--" in args else None


def _wrap(spec: dict[str, Any], server: str, refs: Sequence[tuple[str, str]],
          keep: Sequence[str]) -> None:  # fmt: skip
    """Rewrite a stdio server entry to start through ``agentauth run`` (in place).

    The command is the absolute path of this installation (as for the Claude hook):
    an MCP client starts servers with its own PATH, where a virtualenv's bare
    ``agentauth`` is not found and the server silently fails to start.
    """
    command = str(spec["command"])
    args = [str(a) for a in spec.get("args") or []]
    flags: list[str] = []
    for variable, reference in refs:
        flags += ["--env", f"{variable}={reference}"]
    for variable in keep:
        flags += ["--allow", variable]
    exe = agentauth_executable()
    at = _run_index(spec)
    if at is not None:
        split = args.index("--")
        spec["command"] = exe[0]
        spec["args"] = [*exe[1:], *args[at:split], *flags, *args[split:]]
        return
    spec["command"] = exe[0]
    spec["args"] = [*exe[1:], "run", "--agent", agent_name(server), "--allow-nested", *flags,
                    "--", command, *args]  # fmt: skip


def _refresh(spec: dict[str, Any]) -> bool:
    """Point an existing wrapper at this installation; True when it changed (a bare name)."""
    if _run_index(spec) is None:
        return False
    before = (spec.get("command"), list(spec.get("args") or []))
    _wrap(spec, "", (), ())
    return before != (spec.get("command"), list(spec.get("args") or []))


def load_tolerant(path: Path, relative: str, notes: list[str]) -> tuple[str | None, Any]:
    """Return (text, data) of a plain JSON config; JSONC or broken files are noted, skipped."""
    from agentauth.fsutil import read_text

    try:  # NOTE: the safe reader: a FIFO or device planted as a config is noted, not read
        text = read_text(path, what="MCP configuration")
    except OSError:
        return None, None
    except ConfigError as exc:
        notes.append(f"{relative}: {exc}; guard leaves it alone")
        return None, None
    try:
        return text, json.loads(text)
    except json.JSONDecodeError as exc:
        notes.append(f"{relative}:{exc.lineno}: not plain JSON (comments or an error); guard "
                     "does not rewrite it: wrap its servers by hand")  # fmt: skip
        return None, None


def plan(root: Path, judge: Judge, *, secure_store: bool
         ) -> tuple[list[FileChange], list[tuple[str, Secret]], list[str]]:  # fmt: skip
    """Rewrite MCP servers whose ``env`` holds literal secrets; return changes, secrets, notes."""
    changes: list[FileChange] = []
    secrets: list[tuple[str, Secret]] = []
    notes: list[str] = []
    for config in REWRITABLE:
        relative = config.path
        old, data = load_tolerant(root / relative, relative, notes)
        if old is None or not isinstance(data, dict):
            continue
        servers = data.get(config.servers)
        if not isinstance(servers, dict):
            continue
        summary: list[str] = []
        pending: list[tuple[str, Secret]] = []
        for server, spec in servers.items():
            if not isinstance(spec, dict):
                continue
            env = spec.get("env")
            env = env if isinstance(env, dict) else {}
            literal = [k for k, v in env.items() if _literal(k, v, relative, judge)]
            if not literal and _refresh(spec):
                summary.append(f"server {server!r}: the wrapper now starts {spec['command']}")
            headers = spec.get("headers")
            if isinstance(headers, dict) and any(
                _literal(k, v, relative, judge) for k, v in headers.items()
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
                notes.append(f"{relative}: server {server!r} holds literal secrets "
                             f"({', '.join(literal)}) but there is no secure keyring to move "
                             "them to; see `agentauth doctor`")  # fmt: skip
                continue
            refs = []
            for variable in literal:
                name = judge.entry(f"mcp/{agent_name(server)}/{variable}")
                refs.append((variable, judge.reference(name)))
                pending.append((name, Secret(str(env.pop(variable)))))
            keep = [k for k in env if not _literal(k, env[k], relative, judge)]
            _wrap(spec, server, refs, keep)
            if not env and "env" in spec:
                del spec["env"]
            summary.append(
                f"server {server!r}: {', '.join(literal)} moved to the keyring; "
                f"starts through `agentauth run --agent {agent_name(server)}`"
            )
        if summary:
            secrets.extend(pending)
            changes.append(FileChange(root / relative, relative, "mcp", old, dump_json(data),
                                      tuple(summary)))  # fmt: skip
    return changes, secrets, notes


def literal_servers(root: Path, judge: Judge) -> Mapping[str, list[str]]:
    """Return {config file: [servers with literal secrets in env]} (for ``doctor``)."""
    found: dict[str, list[str]] = {}
    for config in REWRITABLE:
        notes: list[str] = []
        _old, data = load_tolerant(root / config.path, config.path, notes)
        if not isinstance(data, dict) or not isinstance(data.get(config.servers), dict):
            continue
        for server, spec in data[config.servers].items():
            env = spec.get("env") if isinstance(spec, dict) else None
            if isinstance(env, dict) and any(
                _literal(k, v, config.path, judge) for k, v in env.items()
            ):
                found.setdefault(config.path, []).append(str(server))
    return found


def probe_wrappers(root: Path, timeout: float = 20) -> tuple[int, list[str]]:
    """Start each MCP wrapper's agentauth once (``--version``): (wrappers found, failures).

    Proof, not inspection (as for the Claude hook): a wrapper whose command does not
    resolve means the MCP server never starts, and a bare ``agentauth`` resolves only
    on a PATH that happens to hold it.
    """
    import subprocess

    count = 0
    problems: list[str] = []
    for config in REWRITABLE:
        notes: list[str] = []
        _old, data = load_tolerant(root / config.path, config.path, notes)
        servers = data.get(config.servers) if isinstance(data, dict) else None
        if not isinstance(servers, dict):
            continue
        for server, spec in servers.items():
            if not isinstance(spec, dict) or (at := _run_index(spec)) is None:
                continue
            count += 1
            command = str(spec["command"])
            where = f"{config.path}: server {server!r}"
            if not Path(command).is_absolute():
                problems.append(f"{where} starts a bare {command!r}, which an MCP client's PATH "
                                "may not hold")  # fmt: skip
                continue
            argv = [command, *[str(a) for a in spec.get("args") or []][:at], "--version"]
            try:
                done = subprocess.run(argv, cwd=root, capture_output=True, text=True,
                                      timeout=timeout, check=False)  # fmt: skip
            except (OSError, subprocess.SubprocessError) as exc:
                problems.append(f"{where}: {command} cannot start ({type(exc).__name__})")
                continue
            if done.returncode != 0 or "agentauth" not in done.stdout:
                problems.append(f"{where}: {command} --version exited {done.returncode}")
    return count, problems
