"""``agentauth delegate``: a sub-agent gets a strict subset of its parent's access, never more.

Inside an ``agentauth run`` session (``AGENTAUTH_AGENT`` names the parent), an
orchestrator starts a sub-agent whose identity is the chain ``parent>child``. For
each ``--only VAR[=RULE,...]``:

- the parent must hold ``VAR`` (a live ledger grant of the parent's chain);
- each requested rule must be covered by one of the parent's rules (same method or
  the parent's ``*``; the same glob, a literal path the parent's glob matches, or a
  glob under the parent's ``/**`` prefix); anything else is refused *before anything
  is created*, naming the rule and the parent rule set it exceeds;
- the child's expiry is the earlier of ``--ttl`` and the parent's.

Brokered credentials become capability phantoms (:mod:`agentauth.broker.capability`):
a parent that already holds one is attenuated offline (no key needed); otherwise
agentauth mints the parent's block with its own signing key and appends the child's.
The child's grant goes into the ledger (``parent`` set) before the child starts, so
revoking the parent revokes it (:func:`agentauth.service.chain.with_descendants`)
and the broker refuses its revocation ids. A provider variable (Postgres, MySQL,
Redis, AWS, GitHub) gets the child a login of its own narrowed to the requested subset
(:mod:`agentauth.service.delegatelogin`), checked with the brokered ones before
anything is created.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from agentauth.broker import capability, phantom
from agentauth.config.brokerpolicy import AllowRule, BrokeredEntry, parse_rule
from agentauth.errors import ConfigError, UsageError
from agentauth.model import CredentialPolicy, Grant, GrantId, GrantStatus
from agentauth.service import delegatelogin
from agentauth.service.chain import child_chain

MARKER = "AGENTAUTH_AGENT"
EXPIRATION = "AGENTAUTH_EXPIRATION"


@dataclass(frozen=True)
class Only:
    """One ``--only VAR[=RULE,...]``: a variable and, optionally, the rules kept of it."""

    variable: str
    rules: tuple[str, ...] | None


@dataclass(frozen=True)
class Delegation:
    """What ``delegate`` created: the child's chain, grants and environment."""

    chain: str
    grants: tuple[Grant, ...]
    env: Mapping[str, str]
    expires: datetime
    notes: tuple[str, ...] = ()


def parse_only(items: Sequence[str]) -> list[Only]:
    """Parse ``--only`` values; rules are comma-separated ``METHOD /glob``."""
    result = []
    for item in items:
        variable, eq, rules = item.partition("=")
        variable = variable.strip()
        if not variable:
            raise UsageError(f"--only {item!r}: name a variable, e.g. --only GITHUB_TOKEN")
        listed = tuple(r.strip() for r in rules.split(",") if r.strip()) if eq else None
        if eq and not listed:
            raise UsageError(f"--only {item!r}: list rules after =, e.g. VAR='GET /v1/**'")
        result.append(Only(variable, listed))
    if not result:
        raise UsageError("name what the sub-agent gets: --only VAR[=RULE,...] (repeatable)")
    return result


def covers(parent: AllowRule, child: AllowRule) -> bool:
    """True when every request ``child`` allows, ``parent`` allows too (conservative)."""
    if parent.method != "*" and parent.method != child.method:
        return False
    if parent.pattern == child.pattern:
        return True
    if "*" not in child.pattern:
        return parent.regex.fullmatch(child.pattern) is not None
    if parent.pattern.endswith("/**"):
        prefix = parent.pattern[:-3]
        if "*" not in prefix:
            return child.pattern == prefix or child.pattern.startswith(prefix + "/")
    return False


def exceeding(parent: Sequence[AllowRule], requested: Sequence[AllowRule]) -> list[str]:
    """Return the requested rules no parent rule covers."""
    return [r.text for r in requested if not any(covers(p, r) for p in parent)]


def parent_rules(grant: Grant, entry: BrokeredEntry) -> tuple[AllowRule, ...]:
    """The rules the parent holds: a delegated grant's own, else the policy entry's."""
    texts = grant.objects.get("rules")
    if isinstance(texts, list):
        return tuple(parse_rule(t, entry.line, "ledger") for t in texts)
    return entry.rules


def revoked_ids(grants: Iterable[Grant]) -> frozenset[str]:
    """The Biscuit revocation ids of revoked delegated grants: the broker refuses them."""
    ids: set[str] = set()
    for g in grants:
        if g.status is GrantStatus.REVOKED:
            ids.update(str(i) for i in g.objects.get("revocation_ids", []) or [])
    return frozenset(ids)


@dataclass(frozen=True)
class _Step:
    only: Only
    entry: BrokeredEntry
    parent: Grant
    rules: tuple[AllowRule, ...]
    parent_rules: tuple[AllowRule, ...]
    expires: datetime


def _plan(
    only: Sequence[Only],
    entries: Mapping[str, BrokeredEntry],
    credentials: Mapping[str, CredentialPolicy],
    grants: Sequence[Grant],
    parent_chain: str,
    deadline: datetime,
    now: datetime,
) -> tuple[list[_Step], list[delegatelogin.LoginStep]]:
    steps, logins, problems = [], [], []
    for spec in only:
        entry = entries.get(spec.variable)
        if entry is None:
            found = delegatelogin.step_for(
                spec.variable, spec.rules, credentials, grants, parent_chain, deadline, now
            )
            if isinstance(found, str):
                problems.append(found)
            else:
                logins.append(found)
            continue
        held = delegatelogin.find_parent_grant(grants, parent_chain, spec.variable, now)
        have = parent_rules(held, entry)
        wanted = (
            tuple(parse_rule(r, 0, f"--only {spec.variable}") for r in spec.rules)
            if spec.rules is not None
            else have
        )
        over = exceeding(have, wanted)
        if over:
            problems.append(
                f"{spec.variable}: {', '.join(over)} exceeds what {parent_chain} holds "
                f"({'; '.join(r.text for r in have)})"
            )
            continue
        ends = [d for d in (deadline, held.expires) if d is not None]
        steps.append(_Step(spec, entry, held, wanted, have, min(ends)))
    if problems:
        raise ConfigError("refused, nothing was created:\n  " + "\n  ".join(problems))
    return steps, logins


def delegate(
    project_root: Path,
    environ: Mapping[str, str],
    *,
    to: str,
    only: Sequence[Only],
    ttl: timedelta,
    now: datetime | None = None,
) -> Delegation:
    """Check, record and build the sub-agent's access; raise before creating anything."""
    from agentauth.config import brokerpolicy
    from agentauth.config.policy import POLICY_FILE, load_policy
    from agentauth.providers import kit
    from agentauth.state import auditlog, signing
    from agentauth.state.ledger import Ledger

    parent_chain = environ.get(MARKER)
    if not parent_chain:
        raise UsageError(
            "agentauth delegate runs inside an agent's session (AGENTAUTH_AGENT is not set); "
            "start the orchestrator with `agentauth run -- ...` first"
        )
    chain = child_chain(parent_chain, to)
    moment = now or datetime.now(UTC)
    policy = load_policy(project_root / POLICY_FILE)
    entries = {e.variable: e for e in brokerpolicy.load(policy, project_root).entries}
    ledger = Ledger(project_root)
    credentials = {c.variable: c for c in policy.credentials if c.variable not in entries}
    steps, logins = _plan(only, entries, credentials, ledger.grants(), parent_chain,
                          moment + ttl, moment)  # fmt: skip
    key = signing.private_key()
    root_private = key.private_bytes_raw()
    root_public = key.public_key().public_bytes_raw()
    env = _scrubbed(environ, {*entries, *credentials, *delegatelogin.outputs(ledger.grants())})
    made: list[Grant] = []
    for step in steps:
        grant_id = kit.new_grant_id(step.entry.provider)
        token = _token(step, environ.get(step.entry.variable, ""), grant_id, root_private,
                       root_public)  # fmt: skip
        ids = list(capability.verify_token(token, root_public).revocation_ids)
        grant = Grant(
            id=grant_id, agent=chain, provider=step.entry.provider,
            variable=step.entry.variable, created=moment, expires=step.expires,
            status=GrantStatus.ACTIVE,
            scope=f"delegated from {step.parent.id}: {'; '.join(r.text for r in step.rules)}",
            objects={"kind": "capability", "rules": [r.text for r in step.rules],
                     "hosts": list(step.entry.hosts), "revocation_ids": ids},
            parent=GrantId(step.parent.id),
        )  # fmt: skip
        ledger.put(grant)
        made.append(grant)
        auditlog.append(project_root, "delegate", agent=chain, grant=grant.id,
                        parent=step.parent.id, variable=grant.variable,
                        rules=[r.text for r in step.rules], expires=step.expires)  # fmt: skip
        prefix = capability.prefix_of(environ.get(step.entry.variable, "")) or phantom.prefix_of(
            environ.get(step.entry.variable, "")
        )
        env[step.entry.variable] = capability.phantom(prefix, token)
    made += delegatelogin.issue_all(project_root, policy, environ, chain, logins, env, moment)
    expires = min([s.expires for s in steps] + [s.expires for s in logins])
    env[MARKER] = chain
    env[EXPIRATION] = expires.astimezone(UTC).isoformat(timespec="seconds")
    return Delegation(chain, tuple(made), env, expires)


def _token(step: _Step, held: str, grant_id: str, root_private: bytes, root_public: bytes) -> str:
    """Attenuate the parent's own capability offline, or mint the parent's block first."""
    parent_token = capability.token_of(held)
    if parent_token is None:
        parent_token = capability.mint(
            root_private, variable=step.entry.variable, grant_id=step.parent.id,
            hosts=step.entry.hosts, rules=step.parent_rules,
            expires=step.parent.expires or step.expires,
        )  # fmt: skip
    return capability.attenuate(parent_token, root_public, rules=step.rules,
                                expires=step.expires, grant_id=grant_id)  # fmt: skip


def _scrubbed(environ: Mapping[str, str], entries: Iterable[str]) -> dict[str, str]:
    """The parent's environment without any credential, phantom or delegable variable."""
    from agentauth.broker.session import PROXY_VARIABLES
    from agentauth.engine.credentials import looks_like_credential

    broker = environ.get("AGENTAUTH_BROKER")
    dropped = set(entries)
    kept = {}
    for name, value in environ.items():
        if name in PROXY_VARIABLES and broker and value.endswith("@" + broker):
            # The run's broker: the sub-agent reaches it with its own delegated phantoms
            # (the proxy's session token is not a credential to an upstream).
            kept[name] = value
            continue
        if name in dropped or phantom.is_phantom(value) or capability.MARKER in value:
            continue
        if looks_like_credential(name, value):
            continue
        kept[name] = value
    return kept


def run_delegated(project_root: Path, delegation: Delegation, command: Sequence[str]) -> int:
    """Run the sub-agent with its environment; log run-start/run-end under its chain."""
    import sys
    import time

    from agentauth.service.supervisor import InterruptPolicy, SpawnError, Supervisor, resolve
    from agentauth.state import auditlog

    try:
        executable = resolve(command[0], delegation.env.get("PATH"))
    except SpawnError as exc:
        raise UsageError(f"{exc.command}: {exc.reason}; check the name and PATH") from None
    fields = {"command": Path(command[0]).name, "grants": [g.id for g in delegation.grants]}
    auditlog.append(project_root, "run-start", agent=delegation.chain, **fields, delegated=True)
    started = time.monotonic()
    code: int | None = None
    try:
        code = Supervisor(InterruptPolicy(sys.stdin.isatty())).run(
            executable, list(command), delegation.env
        )
        return code
    except SpawnError as exc:
        code = exc.code
        raise UsageError(f"cannot start {command[0]}: {exc.reason}") from None
    finally:
        auditlog.append(project_root, "run-end", agent=delegation.chain, **fields, exit_code=code,
                        duration_s=round(time.monotonic() - started, 3))  # fmt: skip
