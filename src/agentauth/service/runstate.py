"""What ``agentauth run`` reads of the project and its state, fast: policy facts, grants, caches.

Start-up time is part of ``run``'s contract, so the policy's few facts and the
verdicts on env files are cached by file stat (:class:`RunCache`), and the ledger
is read as its documented JSON without the model. Each grant says itself whether it
mints per run and which ``.env.ai`` variable holds its expiry (``Grant.mints_per_run``,
``Grant.expiry_variable``, set by the provider's ``apply``): no provider table here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from agentauth.clock import parse_iso
from agentauth.engine import credentials
from agentauth.errors import AgentAuthError
from agentauth.project import (
    DEFAULT_AGENT,
    DEFAULT_OUTPUT,
    DEFAULT_SOURCE,
    POLICY_FILE,
    RUN_CACHE_FILE,
    read_ledger_records,
)
from agentauth.service import envrisk
from agentauth.service.runenv import EXPIRATION

_RENEW_MARGIN_S = 300


class PolicySummary(NamedTuple):
    """The few policy facts ``run`` needs, cached so that YAML is parsed only when it changes."""

    agent: str = DEFAULT_AGENT
    output: str = DEFAULT_OUTPUT
    source: str = DEFAULT_SOURCE
    present: bool = False


class GrantInfo(NamedTuple):
    """A ledger grant as ``run`` sees it (read from the ledger's JSON without the model)."""

    id: str
    provider: str
    variable: str
    expires: float | None
    """Unix time; None for a grant that never expires."""
    outputs: tuple[str, ...]
    """The ``.env.ai`` variables this grant wrote (its policy name when it wrote one)."""
    mints: bool
    """True when ``run`` mints a fresh value of it for each run (``Grant.mints_per_run``)."""
    expiry_variable: str | None
    """The ``.env.ai`` variable holding the minted value's expiry (``Grant.expiry_variable``)."""
    brokered: bool = False
    """True when the broker holds its value (``provider: http``, or ``mode: broker``), so
    it writes nothing to ``.env.ai``."""

    def expired(self, now: float) -> bool:
        """True once the grant's lifetime is over."""
        return self.expires is not None and self.expires <= now


def _stat_key(path: Path) -> list[int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_size, st.st_ino]


class RunCache:
    """Answers of the slow paths keyed by the stat of the files they came from; never a secret.

    Why stat and not a content hash: a hash of a file of secrets is itself derived
    from the secrets. Modification time (ns), size and inode change whenever the file does.
    """

    def __init__(self, state_dir: Path) -> None:
        """Read the cache of one project (a missing or damaged file is an empty cache)."""
        self.path = state_dir / RUN_CACHE_FILE
        self._data: dict[str, dict[str, object]] = {}
        self._dirty = False
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(loaded, dict):
                self._data = {k: v for k, v in loaded.items() if isinstance(v, dict)}
        except (OSError, ValueError):
            self._data = {}

    def get(self, key: str, stat: list[int] | None) -> dict[str, object] | None:
        """Return the entry for ``key`` if it was stored for the same file stat."""
        entry = self._data.get(key)
        if entry is None or stat is None or entry.get("stat") != stat:
            return None
        return entry

    def put(self, key: str, stat: list[int] | None, value: dict[str, object]) -> None:
        """Remember ``value`` for ``key`` at ``stat`` (written by :meth:`save`)."""
        if stat is None:
            return
        self._data[key] = {"stat": stat, **value}
        self._dirty = True

    def save(self) -> None:
        """Write the cache atomically; a failure only costs speed next time."""
        if not self._dirty:
            return
        from agentauth import fsutil

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fsutil.write_atomic(self.path, json.dumps(self._data), durable=False)
        except OSError:
            pass


def policy_summary(root: Path, cache: RunCache) -> PolicySummary:
    """Return agent, output and source of the project's policy (defaults when there is none)."""
    path = root / POLICY_FILE
    stat = _stat_key(path)
    if stat is None:
        return PolicySummary()
    hit = cache.get("policy", stat)
    if hit is not None:
        return PolicySummary(str(hit["agent"]), str(hit["output"]), str(hit["source"]), True)
    from agentauth.config.policy import load_policy

    policy = load_policy(path)
    summary = PolicySummary(policy.agent, policy.output, policy.source, True)
    cache.put("policy", stat, {"agent": summary.agent, "output": summary.output,
                               "source": summary.source})  # fmt: skip
    return summary


def _legacy_run_fields(provider: str, objects: Mapping[str, object]) -> tuple[bool, str | None]:
    """What records from providers that do not yet set ``Grant.mints_per_run`` imply.

    A fallback, OR-ed with the record's own fields (so it can only add minting):
    ledgers written before the fields existed, and providers whose ``apply`` does
    not set them yet. These were the only providers that minted; it never grows.
    """
    if provider == "aws" and objects.get("mode") != "user":
        return True, "AWS_CREDENTIAL_EXPIRATION"
    if provider == "github" and objects.get("mode") == "app":
        return True, None
    return False, None


def ledger_grants(state_dir: Path, agent: str) -> list[GrantInfo]:
    """Return the agent's active grants (expired ones included: ``run`` strips and reports them).

    Read as plain JSON (the ledger's documented on-disk form) so that ``run`` does
    not import the model; a damaged ledger is reported by ``status``, not here.
    """
    try:
        raw = read_ledger_records(state_dir)
    except AgentAuthError:
        return []
    found: list[GrantInfo] = []
    for item in raw:
        if not isinstance(item, dict) or item.get("agent") != agent:
            continue
        if item.get("status") != "active":
            continue
        expires: float | None = None
        if item.get("expires"):
            expires = parse_iso(str(item["expires"]))
            if expires is None:
                expires = 0.0  # an unreadable expiry counts as expired: fail closed
        objects = item.get("objects") or {}
        if not isinstance(objects, dict):
            objects = {}
        provider = str(item.get("provider", ""))
        variable = str(item.get("variable", ""))
        legacy_mints, legacy_variable = _legacy_run_fields(provider, objects)
        mints = bool(item.get("mints_per_run")) or legacy_mints
        expiry_variable = str(item.get("expiry_variable") or legacy_variable or "") or None
        outputs = tuple(str(o) for o in objects.get("env_outputs", ()) or ())
        if not outputs and variable:
            outputs = (variable,)
        brokered = provider == "http" or bool(objects.get("brokered"))
        found.append(GrantInfo(str(item.get("id")), provider, variable, expires, outputs,
                               mints, expiry_variable, brokered))  # fmt: skip
    return found


def earliest_expiry(
    grants: Sequence[GrantInfo], variables: Mapping[str, str], minted: float | None = None
) -> float | None:
    """Return the earliest expiry of what the agent holds: the grants, the minted values'
    expiry variables and ``minted`` (the earliest minted value's own expiry, which a token
    without an expiry variable, such as a GitHub App's, reports only when minted)."""
    stamps = [g.expires for g in grants if g.expires is not None]
    if minted is not None:
        stamps.append(minted)
    for grant in grants:
        if grant.expiry_variable and grant.expiry_variable != EXPIRATION:
            parsed = parse_iso(variables.get(grant.expiry_variable, ""))
            if parsed is not None:
                stamps.append(parsed)
    return min(stamps) if stamps else None


def needs_minting(grants: Sequence[GrantInfo], env_ai: Mapping[str, str], now: float) -> bool:
    """True when a grant mints per run and ``.env.ai`` holds no fresh value for it.

    A minted value whose expiry (in the grant's ``expiry_variable``) is more than five
    minutes away is reused; one without an expiry variable is minted every run.
    """
    for grant in grants:
        if not grant.mints or grant.expired(now):
            continue
        present = all(name in env_ai for name in grant.outputs)
        if present and grant.expiry_variable:
            expiry = parse_iso(env_ai.get(grant.expiry_variable, ""))
            if expiry is not None and expiry - now > _RENEW_MARGIN_S:
                continue
        return True
    return False


def env_file_risks(
    directories: Iterable[Path], cache: RunCache, engine_factory: Callable[[], credentials.Judge]
) -> dict[str, list[str]]:
    """Return {file: [variables]} of live credentials in env files an agent loads by itself.

    The classification (the audit engine) runs only when a file changed since the
    last run; the cached answer is a list of variable names.
    """
    engine: credentials.Judge | None = None
    result: dict[str, list[str]] = {}
    seen: set[Path] = set()
    for directory in directories:
        for path in envrisk.agent_loaded_files(directory):
            resolved = path.resolve()
            if resolved in seen:
                continue
            seen.add(resolved)
            stat = _stat_key(path)
            key = f"envrisk:{resolved}"
            hit = cache.get(key, stat)
            if hit is not None:
                live = [str(v) for v in hit.get("live", []) or []]  # type: ignore[attr-defined]
            else:
                if engine is None:
                    engine = engine_factory()
                live = [r.variable for r in envrisk.scan_env_file(path, engine) if r.live]
                cache.put(key, stat, {"live": live})
            if live:
                result[str(path)] = live
    return result
