"""``agentauth run``: start a command with only the scoped environment, supervise it, log it.

:func:`execute` is the use case: it finds the project, checks the env files an agent
would load by itself, reads ``.env.ai`` and the agent's grants, strips what expired,
mints what must be fresh, starts the sidecars (the broker hooks in there), builds the
child's environment (:mod:`agentauth.service.runenv`), prints a one-line banner and
hands the child to the :mod:`~agentauth.service.supervisor`. Every run is logged
(``run-start``/``run-end``); a run whose supervisor was killed is closed in the log
on the next start (:mod:`agentauth.service.runmarks`).

Start-up time is part of the contract (``agentauth run -- true`` must add under
100 ms), so nothing heavy is imported at the top: no dataclasses, no model, no YAML,
no SDK. The slow paths (a changed policy, minting, ``--inherit all``) import what they
need when they need it, and their answers are cached by file stat.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Protocol

from agentauth.clock import iso_utc, relative
from agentauth.engine import credentials
from agentauth.errors import ConfigError, UsageError
from agentauth.project import POLICY_FILE, find_root
from agentauth.service import runmarks
from agentauth.service.runenv import MARKER, ChildEnv, EnvOptions, build_child_env, read_env_ai
from agentauth.service.runsidecars import (
    CommandError,
    SidecarFactory,
    attestation,
    broker_sidecars,
    credential_servers,
    supervised,
)
from agentauth.service.runstate import (
    GrantInfo,
    PolicySummary,
    RunCache,
    earliest_expiry,
    env_file_risks,
    ledger_grants,
    needs_minting,
    policy_summary,
)
from agentauth.service.supervisor import SpawnError, resolve

if TYPE_CHECKING:
    from agentauth.secret import Secret
    from agentauth.service.mint import MintedValues


class Observer(Protocol):
    """Where ``run`` reports what the user should know; the CLI prints to stderr."""

    def warn(self, message: str) -> None:
        """Report a problem that does not stop the run (already free of secrets)."""
        ...

    def note(self, message: str) -> None:
        """Report what the agent got (the banner); shown unless ``--quiet``."""
        ...

    def verbose(self, message: str) -> None:
        """Report a detail shown only with ``-v`` (names, never values)."""
        ...


class _Silent:
    def warn(self, message: str) -> None:
        return None

    def note(self, message: str) -> None:
        return None

    def verbose(self, message: str) -> None:
        return None


class RunRequest(NamedTuple):
    """Everything ``agentauth run`` was asked to do (parsed by :mod:`agentauth.cli.runargs`)."""

    command: tuple[str, ...]
    cwd: Path
    agent: str | None = None
    inherit: str = "core"
    allow: tuple[str, ...] = ()
    strict: bool = False
    human: bool = False
    allow_nested: bool = False
    verbose: bool = False
    refs: tuple[tuple[str, str], ...] = ()
    """``--env VAR=agentauth-keyring:NAME``: values resolved from the keyring for this child."""
    quiet: bool = False
    attest: bool = False
    """``--attest``: write a signed attestation and name it in ``AGENTAUTH_ATTESTATION``."""


Minter = Callable[[Path, str], "MintedValues"]


def default_minter(root: Path, policy_file: str) -> MintedValues:
    """Mint through the provisioning service (imports the policy, the ledger, the SDKs)."""
    from agentauth.config.policy import load_policy
    from agentauth.service.provision import build_context, mint_for_run

    policy = load_policy(root / policy_file)
    ctx = build_context(root, policy)
    return mint_for_run(root, policy, ctx)


def _audit(root: Path, event: str, agent: str, **fields: object) -> None:
    from agentauth.state import auditlog

    auditlog.append(root, event, agent=agent, **fields)


def _engine() -> credentials.Judge:
    return credentials.Judge()


def _resolve_refs(refs: Sequence[tuple[str, str]]) -> dict[str, str]:
    from agentauth.config.references import resolve

    return {name: resolve(ref, f"--env {name}").reveal() for name, ref in refs}


def _executable(request: RunRequest, parent: Mapping[str, str]) -> str:
    try:
        return resolve(request.command[0], parent.get("PATH"))
    except SpawnError as exc:
        raise CommandError(f"{exc.command}: {exc.reason}; check the name and PATH",
                           exc.code) from None  # fmt: skip


def _check_nesting(request: RunRequest, parent: Mapping[str, str]) -> None:
    outer = parent.get(MARKER)
    if outer and (request.human or not request.allow_nested):
        what = "agentauth run --human" if request.human else "agentauth run"
        raise UsageError(
            f"already inside `agentauth run` for agent {outer!r}; refusing to start "
            f"`{what}` from inside an agent's session. Run it from your own "
            "shell" + ("" if request.human else " (MCP wrappers pass --allow-nested)")
        )


def _warn_env_files(
    request: RunRequest, root: Path, cache: RunCache, factory: Callable[[], credentials.Judge],
    say: Observer,
) -> None:  # fmt: skip
    risks = env_file_risks(dict.fromkeys([request.cwd, root]), cache, factory)
    cache.save()
    if not risks:
        return
    listing = "; ".join(f"{Path(p).name}: {', '.join(v)}" for p, v in risks.items())
    message = (
        f"live credentials in env files the agent can read or load by itself ({listing}). "
        "Fix: `agentauth lock` moves them to the OS keyring, then `agentauth guard`"
    )
    if request.strict:
        raise ConfigError(f"--strict: {message}")
    say.warn(message)


def strip_expired(
    entries: Sequence[tuple[str, str]], grants: Sequence[GrantInfo], now: float
) -> tuple[list[tuple[str, str]], list[GrantInfo]]:
    """Drop the ``.env.ai`` values of expired grants; return what is left and the expired grants.

    A value whose grant is over is refused even if the server would still accept it
    (MySQL and Redis users never expire by themselves): the ttl in the policy is the
    promise, and ``run`` keeps it.
    """
    expired = [g for g in grants if g.expired(now)]
    names = {name for g in expired for name in g.outputs}
    names |= {g.expiry_variable for g in expired if g.expiry_variable}
    live = {name for g in grants if not g.expired(now) for name in g.outputs}
    kept = [(k, v) for k, v in entries if k not in names or k in live]
    return kept, expired


def execute(
    request: RunRequest,
    observer: Observer | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    minter: Minter = default_minter,
    interactive: bool | None = None,
    audit: Callable[..., None] = _audit,
    engine_factory: Callable[[], credentials.Judge] = _engine,
    sidecars: SidecarFactory = broker_sidecars,
) -> int:
    """Run ``request.command`` as ``agentauth run`` does and return its exit code.

    Raises UsageError for nesting or an empty command, CommandError (126/127) for a
    command that cannot start, ConfigError for ``--strict`` with live credentials in
    an env file the agent would load.
    """
    say = observer or _Silent()
    parent = dict(os.environ if environ is None else environ)
    if not request.command:
        raise UsageError("nothing to run; write the command after --, e.g. agentauth run -- claude")
    _check_nesting(request, parent)
    executable = _executable(request, parent)
    from agentauth.state import paths

    root = find_root(request.cwd)
    state = paths.project_dir(root)
    runmarks.close_abandoned(state, root, audit)
    cache = RunCache(state)
    summary = policy_summary(root, cache)
    if request.human:
        return _execute_human(request, root, summary, parent, executable, say, interactive, audit)
    agent = request.agent or summary.agent
    now = time.time()
    _warn_env_files(request, root, cache, engine_factory, say)
    entries = read_env_ai(root / summary.output)
    grants = ledger_grants(state, agent)
    entries, expired = strip_expired(entries, grants, now)
    live = [g for g in grants if not g.expired(now)]
    _warn_about_grants(summary, agent, entries, live, expired, say)
    env_ai = dict(entries)
    minted: Mapping[str, Secret | str] = {}
    minted_until: float | None = None
    if summary.present and needs_minting(live, env_ai, now):
        fresh = minter(root, POLICY_FILE)
        minted, minted_until = fresh, fresh.expires.timestamp() if fresh.expires else None
    if request.refs:
        minted = {**minted, **_resolve_refs(request.refs)}
    revealed = {k: v if isinstance(v, str) else v.reveal() for k, v in minted.items()}
    expiry = earliest_expiry(live, {**env_ai, **revealed}, minted_until)
    options = EnvOptions(agent=agent, inherit=request.inherit, allow=request.allow,
                         expiration=iso_utc(expiry) if expiry is not None else None)  # fmt: skip
    judge = _judge(request, engine_factory)
    child = build_child_env(parent, entries, minted, options, is_credential=judge)
    _report(child, request, say, parent)
    command = os.path.basename(request.command[0])

    def announce(final: Mapping[str, str]) -> Mapping[str, object]:
        # A brokered grant's phantom is added by the broker sidecar (so: the final env); an
        # AWS grant's minted keys are replaced by the credential server's endpoint (so: before).
        used = [g for g in live if any(o in child.env or o in final for o in g.outputs)]
        if not request.quiet and (used or request.refs or child.passed):
            count = len(used) + len(request.refs) + len(child.passed)
            until = "no expiry" if expiry is None else f"expires {relative(expiry - now)}"
            say.note(f"{agent}: {count} credential{'s' if count != 1 else ''}, {until}")
        for name in child.passed:
            audit(root, "pass", agent, variable=name, via="run --allow")
        fields = {"command": command, "grants": [g.id for g in used]}
        audit(root, "run-start", agent, **fields, inherit=request.inherit,
              dropped=list(child.dropped), minted=sorted(minted))  # fmt: skip
        return fields

    return supervised(root, state, agent, {"command": command}, executable, request.command,
                      child.env, interactive, audit, [*sidecars(root, agent, live),
                      *attestation(request.attest, root, agent),
                      *credential_servers(root, live, child.env)], announce)  # fmt: skip


def _judge(
    request: RunRequest, engine_factory: Callable[[], credentials.Judge]
) -> Callable[[str, str], bool]:
    """The credential test for the parent's variables: the fast one, the engine for ``all``."""
    if request.inherit != "all":
        return credentials.looks_like_credential
    engine = engine_factory()

    def check(name: str, value: str) -> bool:
        return engine.is_credential(name, value, file="<environ>", environ=True)

    return check


def _warn_about_grants(
    summary: PolicySummary, agent: str, entries: Sequence[tuple[str, str]],
    live: Sequence[GrantInfo], expired: Sequence[GrantInfo], say: Observer,
) -> None:  # fmt: skip
    names = ", ".join(sorted({g.variable or g.id for g in expired}))
    if expired and not live:
        # Not ".env.ai is missing or empty": the file is there, its values are withheld.
        say.warn(f"every grant of agent {agent!r} expired ({names}): the agent gets no scoped "
                 "credentials; run `agentauth provision` to renew them (`agentauth revoke "
                 "--expired` cleans up)")  # fmt: skip
    elif expired:
        say.warn(f"expired grants withheld from the agent: {names}; run `agentauth provision` "
                 "for fresh ones (`agentauth revoke --expired` cleans up)")  # fmt: skip
    if not summary.present:
        what = (f"{summary.output} is passed as it is, unchecked against a policy" if entries
                else "the agent gets no scoped credentials, only your environment without "
                "its credentials")  # fmt: skip
        say.warn(f"no {POLICY_FILE} here or above: {what} (start with `agentauth init`)")
    elif not live and not expired:
        say.warn(f"nothing is provisioned for agent {agent!r}: the agent gets no scoped "
                 "credentials (run `agentauth provision`)")  # fmt: skip
    elif live and not entries and not any(g.mints or g.brokered for g in live):
        # (a brokered grant's value stays in the broker, never in .env.ai)
        say.warn(f"{summary.output} is missing or empty: the agent gets no credentials "
                 "(run `agentauth provision`)")  # fmt: skip


def _dropped_agent_key(command: str, dropped: Sequence[str]) -> str | None:
    """The API key the agent tool being started needs, if it was dropped (names from agents/)."""
    if not dropped:
        return None
    from agentauth.agents.registry import api_key_variables

    return next((k for k in api_key_variables(command) if k in dropped), None)


def _report(child: ChildEnv, request: RunRequest, say: Observer, parent: Mapping[str, str]) -> None:
    for name in child.passed:
        say.warn(f"passing {name} from your environment because --allow named it (logged)")
    for name in child.ignored:
        say.warn(f".env.ai may not set {name}; ignored")
    command = os.path.basename(request.command[0])
    key = _dropped_agent_key(command, child.dropped)
    if key:
        say.warn(f"{key} was dropped; if {command} needs it, add `--allow {key}` "
                 "or `" + key + ": pass` in agentauth.yaml")  # fmt: skip
    if not request.verbose:
        return
    say.verbose(f"dropped credentials: {', '.join(sorted(child.dropped)) or 'none'}")
    if child.not_inherited:
        creds = [n for n in child.not_inherited if credentials.looks_like_credential(n, parent[n])]
        others = [n for n in child.not_inherited if n not in set(creds)]
        if creds:
            say.verbose(f"not inherited (credentials): {', '.join(sorted(creds))}")
        say.verbose(
            f"not inherited (--inherit {request.inherit}): "
            f"{', '.join(sorted(others)) if others else 'none'}"
        )
    say.verbose(f"child environment: {', '.join(sorted(child.env))}")


def _execute_human(
    request: RunRequest, root: Path, summary: PolicySummary, parent: Mapping[str, str],
    executable: str, say: Observer, interactive: bool | None, audit: Callable[..., None],
) -> int:  # fmt: skip
    """``run --human``: the developer's own process gets the full env with references resolved."""
    from agentauth.config.references import read_env
    from agentauth.state import paths

    source = root / summary.source
    resolved = read_env(source) if source.exists() else {}
    env = dict(parent)
    env.update({name: secret.reveal() for name, secret in resolved.items()})
    env.pop(MARKER, None)
    if request.verbose:
        say.verbose(f"loaded from {summary.source}: {', '.join(sorted(resolved)) or 'nothing'}")
    fields = {"command": os.path.basename(request.command[0]), "human": True}
    audit(root, "run-start", "human", **fields, variables=sorted(resolved))
    return supervised(root, paths.project_dir(root), "human", fields, executable,
                       request.command, env, interactive, audit, ())  # fmt: skip
