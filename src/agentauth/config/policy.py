"""Loading and structural validation of ``agentauth.yaml``, with errors that name key and line.

The policy file is reviewed like code, so every message points at the line to fix.
Provider-specific options are checked later by each provider's ``validate`` (they
only know their own keys); this module checks the shape every entry shares.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from agentauth import fsutil
from agentauth.config.providertable import PROVIDERS
from agentauth.config.yamlnodes import compose, mapping_items, node_value
from agentauth.errors import ConfigError, did_you_mean, where
from agentauth.model import Action, CredentialPolicy, Policy

POLICY_FILE = "agentauth.yaml"
DEFAULT_TTL = "8h"
MAX_TTL_SECONDS = 90 * 24 * 3600
MAX_POLICY_BYTES = 1024 * 1024
_TOP_KEYS = {
    "version", "agent", "source", "output", "ttl", "hardening", "credentials", "network",
}  # fmt: skip
_AGENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_DURATION_PART = re.compile(r"(\d+)\s*(d|h|m|s)", re.IGNORECASE)
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(value: object, *, key: str = "ttl", line: int = 0, path: str = "") -> int:
    """Parse ``8h``, ``90m``, ``1h30m``, ``2d`` or a number of seconds; return seconds.

    Why a parser of our own: YAML reads ``8h`` as a string and ``3600`` as an int,
    and the file should accept both without surprises.
    """
    at = where(path, line)
    if isinstance(value, bool):
        raise ConfigError(f"{at}{key}: expected a duration like 8h or 30m, got {value!r}")
    if isinstance(value, int):
        seconds = value
    elif isinstance(value, str) and value.strip():
        text = value.strip().replace(" ", "")
        if text.isdigit():
            seconds = int(text)
        else:
            parts = _DURATION_PART.findall(text)
            if not parts or "".join(n + u for n, u in parts).lower() != text.lower():
                raise ConfigError(
                    f"{at}{key}: cannot read {value!r} as a duration; "
                    "write it like 8h, 30m, 1h30m or 2d"
                )
            seconds = sum(int(n) * _UNIT_SECONDS[u.lower()] for n, u in parts)
    else:
        raise ConfigError(f"{at}{key}: expected a duration like 8h or 30m, got {value!r}")
    if seconds <= 0:
        raise ConfigError(f"{at}{key}: the duration must be positive; write it like 8h")
    if seconds > MAX_TTL_SECONDS:
        raise ConfigError(f"{at}{key}: at most 90d; shorter lifetimes are the point")
    return seconds


def format_duration(seconds: int) -> str:
    """Return the shortest ``1h30m``-style spelling of ``seconds`` (for messages and init)."""
    out = []
    for unit in ("d", "h", "m", "s"):
        size = _UNIT_SECONDS[unit]
        if seconds >= size:
            out.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(out) or "0s"


def parse_policy(text: str, path: str = POLICY_FILE) -> Policy:
    """Parse and validate policy text; ``path`` only labels the messages.

    A hostile policy (one can arrive in a pull request) gives a ConfigError, never a
    traceback: unknown tags such as ``!!python/object`` (only the safe constructor
    runs), integers too long to convert, nesting deep enough to exhaust the stack.
    """
    import yaml

    try:
        return _parse_policy(text, path)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else 0
        problem = (exc.problem or "invalid YAML").split("\n")[0]
        raise ConfigError(
            f"{where(path, line)}{problem}; only plain YAML values are allowed in a policy"
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML ({exc}); fix the YAML syntax") from None
    except RecursionError:
        raise ConfigError(
            f"{path}: the YAML is nested too deeply to be a policy; check the file"
        ) from None
    except MemoryError:
        raise ConfigError(f"{path}: the YAML is too large to be a policy; check the file") from None
    except ValueError as exc:
        if "digits" not in str(exc):
            raise
        long_number = re.search(r"\d{1000,}", text)
        line = text.count("\n", 0, long_number.start()) + 1 if long_number else 0
        raise ConfigError(
            f"{where(path, line)}a number with thousands of digits; no policy value is that long"
        ) from None


def _parse_policy(text: str, path: str) -> Policy:
    root = compose(text, path)
    if root is None:
        raise ConfigError(f"{path}: the file is empty; run `agentauth init` to write one")
    top: dict[str, tuple[int, Any]] = {}
    for key, line, node in mapping_items(root, "the policy", path):
        if key not in _TOP_KEYS:
            known = ", ".join(sorted(_TOP_KEYS))
            raise ConfigError(
                f"{where(path, line)}unknown key {key!r}{did_you_mean(key, _TOP_KEYS)}; "
                f"known keys: {known}"
            )
        top[key] = (line, node)

    def value(key: str, default: Any) -> tuple[Any, int]:
        if key not in top:
            return default, 0
        line, node = top[key]
        return node_value(node), line

    version, line = value("version", 1)
    if version != 1:
        raise ConfigError(f"{where(path, line)}version: only version 1 is supported")
    agent, line = value("agent", None)
    if agent is None:
        raise ConfigError(f"{path}: agent: missing; name the agent, e.g. agent: claude-code")
    if not isinstance(agent, str) or not _AGENT.match(agent):
        raise ConfigError(
            f"{where(path, line)}agent: {agent!r} is not a valid agent name; use 1-40 letters, "
            "digits, '.', '_' or '-', starting with a letter or digit"
        )
    source = _relative_file(value("source", ".env"), "source", path)
    output = _relative_file(value("output", ".env.ai"), "output", path)
    # NOTE: normalised, so ``./.env`` and ``.env`` are the same file here; symlinks and
    # the other destructive targets are refused on the resolved path by envwrite.check_output.
    if os.path.normpath(source) == os.path.normpath(output):
        out_line = top["output"][0] if "output" in top else 0
        raise ConfigError(
            f"{where(path, out_line)}output must differ from source; the source is never modified"
        )
    ttl_raw, line = value("ttl", DEFAULT_TTL)
    ttl = parse_duration(ttl_raw, key="ttl", line=line, path=path)
    hardening, line = value("hardening", False)
    if isinstance(hardening, list) and all(isinstance(h, str) for h in hardening):
        hardening = tuple(hardening)  # measure names: the providers check them
    elif not isinstance(hardening, bool):
        raise ConfigError(f"{where(path, line)}hardening: expected true, false or a list of names")
    if "network" in top:  # the broker's egress policy: see config/brokerpolicy.py
        from agentauth.config.brokerpolicy import validate_network

        validate_network(*value("network", None), path)
    credentials: list[CredentialPolicy] = []
    if "credentials" in top:
        _cline, cnode = top["credentials"]
        if node_value(cnode) is not None:
            for var, vline, vnode in mapping_items(cnode, "credentials", path):
                credentials.append(_entry(var, vline, vnode, path))
    return Policy(
        agent=agent,
        source=source,
        output=output,
        ttl_seconds=ttl,
        credentials=tuple(credentials),
        path=path,
        version=1,
        hardening=hardening,
    )


def _relative_file(pair: tuple[Any, int], key: str, path: str) -> str:
    raw, line = pair
    if not isinstance(raw, str) or not raw.strip():
        raise ConfigError(f"{where(path, line)}{key}: expected a file name like .env")
    candidate = Path(raw)
    if candidate.is_absolute() or ".." in candidate.parts:
        raise ConfigError(
            f"{where(path, line)}{key}: {raw!r} must be a path inside the project "
            "(relative, without '..')"
        )
    return raw


def _entry(var: str, line: int, node: Any, path: str) -> CredentialPolicy:
    at = where(path, line)
    if not _VARIABLE.match(var):
        raise ConfigError(
            f"{at}credentials: {var!r} is not an environment variable name "
            "(letters, digits and '_', not starting with a digit)"
        )
    raw = node_value(node)
    if isinstance(raw, str):
        word = raw.strip().lower()
        if word in ("pass", "drop"):
            return CredentialPolicy(variable=var, action=Action(word), line=line)
        raise ConfigError(
            f"{at}credentials.{var}: {raw!r} is not an action; write pass, drop, "
            "or a mapping with provider:"
        )
    if not isinstance(raw, Mapping):
        raise ConfigError(
            f"{at}credentials.{var}: expected pass, drop, or a mapping with provider:"
        )
    options = dict(raw)
    option_lines = {
        key: kline for key, kline, _n in mapping_items(node, f"credentials.{var}", path)
    }
    provider = options.pop("provider", None)
    if provider is None:
        raise ConfigError(
            f"{at}credentials.{var}: provider: missing; one of {', '.join(sorted(PROVIDERS))}"
        )
    if not isinstance(provider, str) or provider not in PROVIDERS:
        hint = did_you_mean(provider, PROVIDERS) if isinstance(provider, str) else ""
        raise ConfigError(
            f"{where(path, option_lines.get('provider', line))}credentials.{var}.provider: "
            f"unknown provider {provider!r}{hint}; "
            f"known providers: {', '.join(sorted(PROVIDERS))}"
        )
    return CredentialPolicy(
        variable=var,
        action=Action.PROVISION,
        provider=provider,
        options=options,
        line=line,
        option_lines=option_lines,
    )


def load_policy(path: Path) -> Policy:
    """Read and validate ``path``; raise ConfigError naming the key and line of any problem.

    Read through :func:`agentauth.fsutil.read_text`: a FIFO or a symlink to a device
    named as the policy is refused instead of hanging, and the size is capped.
    """
    try:
        text = fsutil.read_text(path, max_bytes=MAX_POLICY_BYTES, what="policy file")
    except FileNotFoundError:
        raise ConfigError(
            f"{path} does not exist; run `agentauth init` to write a policy, or pass --policy FILE"
        ) from None
    return parse_policy(text, str(path.name if path.name == POLICY_FILE else path))


def entry_digest(entry: CredentialPolicy, policy: Policy) -> str:
    """Return a stable hash of everything that shapes a grant; a change rotates the grant.

    Covers the entry's provider and options, the agent, and the ttl (a shorter
    lifetime in the policy must not be satisfied by an older, longer grant).
    """
    payload = {
        "agent": policy.agent,
        "variable": entry.variable,
        "action": entry.action.value,
        "provider": entry.provider,
        "options": entry.options,
        "ttl": policy.ttl_seconds,
    }
    text = json.dumps(payload, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:24]
