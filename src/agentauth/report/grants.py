"""The machine contracts of ``provision``, ``status``, ``revoke`` and ``log`` (``--format json``).

Typed documents (``schema_version`` 1) with stable field names: a field may be
added, none renamed. Built here, from the model, so the CLI only prints them and
the field names live in one place. Never a secret value: grants carry names and
scopes, plans carry the SQL/IAM text that will run (which holds no password; the
provider masks any), results carry messages already scrubbed by the provider.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TypedDict

from agentauth.model import NOT_REVOKED, Grant, GrantStatus, Plan, RevokeResult
from agentauth.state.ledger import grant_to_dict

SCHEMA_VERSION = 1


class StepDoc(TypedDict):
    """One step of a plan: what it does, and the exact statement or document."""

    summary: str
    detail: str | None


class PlanDoc(TypedDict):
    """What ``provision`` will do for one policy entry."""

    variable: str
    provider: str
    grant: str
    keep: bool
    replaces: str | None
    scope: str
    expires: str | None
    steps: list[StepDoc]
    outputs: list[str]
    warnings: list[str]
    manual: str | None


class EntryErrorDoc(TypedDict):
    """An entry the dry run's preflight found cannot be provisioned."""

    variable: str
    provider: str
    message: str


class ProvisionPlanDoc(TypedDict):
    """``provision --dry-run --format json``."""

    schema_version: int
    dry_run: bool
    agent: str
    plans: list[PlanDoc]
    env_file: str
    env_diff: list[str]
    passed: list[str]
    dropped: list[str]
    copied: list[str]
    withheld: list[str]
    warnings: list[str]
    errors: list[EntryErrorDoc]
    changes_pending: bool


class RevokeResultDoc(TypedDict):
    """The outcome of revoking one grant."""

    grant: str
    ok: bool
    status: str
    """``revoked``, ``failed`` (retried next time) or ``not revoked`` (no API can end it)."""
    message: str
    manual: str | None


class ProvisionResultDoc(TypedDict):
    """``provision --format json`` after applying."""

    schema_version: int
    agent: str
    created: list[dict[str, Any]]
    kept: list[dict[str, Any]]
    rotated: list[RevokeResultDoc]
    env_file: str
    written: list[str]


class StatusDoc(TypedDict):
    """``status --format json``: each grant as the ledger holds it, plus its state now."""

    schema_version: int
    grants: list[dict[str, Any]]


class RevokeDoc(TypedDict):
    """``revoke --format json``."""

    schema_version: int
    results: list[RevokeResultDoc]
    withdrawn: list[str]


def state(grant: Grant, now: datetime) -> str:
    """The grant's state now: its ledger status, ``expired`` for an active grant past its ttl,
    ``not revoked`` for a failed one whose credential no API could end (not a retryable failure).
    """
    if grant.status is GrantStatus.FAILED and (grant.error or "").startswith(f"{NOT_REVOKED}:"):
        return NOT_REVOKED
    if grant.status is GrantStatus.ACTIVE and grant.expires is not None and grant.expires <= now:
        return "expired"
    return grant.status.value


def expires_in(grant: Grant, now: datetime) -> int | None:
    """Seconds until expiry for a grant that still can expire; None when revoked or never."""
    if grant.expires is None or grant.status is GrantStatus.REVOKED:
        return None
    return int((grant.expires - now).total_seconds())


def plan_doc(plan: Plan) -> PlanDoc:
    """One entry of the provisioning plan."""
    return {
        "variable": plan.variable,
        "provider": plan.provider,
        "grant": plan.grant.id,
        "keep": plan.keep,
        "replaces": plan.replaces,
        "scope": plan.grant.scope,
        "expires": plan.grant.expires.isoformat() if plan.grant.expires else None,
        "steps": [{"summary": s.summary, "detail": s.detail} for s in plan.steps],
        "outputs": list(plan.outputs),
        "warnings": list(plan.warnings),
        "manual": plan.manual,
    }


def provision_plan(
    agent: str,
    plans: Sequence[Plan],
    *,
    env_file: str,
    env_diff: Sequence[str],
    names: Mapping[str, Sequence[str]],
    warnings: Sequence[str],
    errors: Sequence[tuple[str, str, str]] = (),
) -> ProvisionPlanDoc:
    """The dry run's document; ``names`` holds passed, dropped, copied and withheld.

    ``errors`` are (variable, provider, message) of the entries that cannot be provisioned.
    """
    return {
        "schema_version": SCHEMA_VERSION,
        "dry_run": True,
        "agent": agent,
        "plans": [plan_doc(p) for p in plans],
        "env_file": env_file,
        "env_diff": list(env_diff),
        "passed": list(names.get("passed", ())),
        "dropped": list(names.get("dropped", ())),
        "copied": list(names.get("copied", ())),
        "withheld": list(names.get("withheld", ())),
        "warnings": list(warnings),
        "errors": [{"variable": v, "provider": p, "message": m} for v, p, m in errors],
        "changes_pending": changes_pending(plans, env_diff),
    }


def changes_pending(plans: Sequence[Plan], env_diff: Sequence[str]) -> bool:
    """True when applying would change something (``--detailed-exitcode`` exits 2)."""
    if any(not p.keep for p in plans):
        return True
    return any(line[:1] in ("+", "-", "~") for line in env_diff)


def revoke_result(result: RevokeResult) -> RevokeResultDoc:
    """One revocation's outcome."""
    status = NOT_REVOKED if result.still_valid else ("revoked" if result.ok else "failed")
    return {"grant": result.grant_id, "ok": result.ok and not result.still_valid,
            "status": status, "message": result.message, "manual": result.manual}  # fmt: skip


def provision_result(
    agent: str, created: Sequence[Grant], kept: Sequence[Grant],
    rotated: Sequence[RevokeResult], env_file: str, written: Sequence[str],
) -> ProvisionResultDoc:  # fmt: skip
    """The document of an applied provisioning run."""
    return {
        "schema_version": SCHEMA_VERSION,
        "agent": agent,
        "created": [grant_to_dict(g) for g in created],
        "kept": [grant_to_dict(g) for g in kept],
        "rotated": [revoke_result(r) for r in rotated],
        "env_file": env_file,
        "written": list(written),
    }


def status(grants: Sequence[Grant], now: datetime) -> StatusDoc:
    """``status --format json``."""
    items = []
    for grant in grants:
        item = grant_to_dict(grant)
        item["state"] = state(grant, now)
        item["expires_in_seconds"] = expires_in(grant, now)
        items.append(item)
    return {"schema_version": SCHEMA_VERSION, "grants": items}


def revoke(results: Sequence[RevokeResult], withdrawn: Sequence[str] = ()) -> RevokeDoc:
    """``revoke --format json``."""
    return {"schema_version": SCHEMA_VERSION, "results": [revoke_result(r) for r in results],
            "withdrawn": list(withdrawn)}  # fmt: skip


class OrphanDoc(TypedDict):
    """One object ``revoke --scan`` found: which entry's server, what it is, where."""

    variable: str
    provider: str
    kind: str
    name: str
    where: str
    note: str


class OrphanScanDoc(TypedDict):
    """``revoke --scan --format json``: found, not scannable, failed, and what was removed."""

    schema_version: int
    agent: str
    orphans: list[OrphanDoc]
    unsupported: list[dict[str, str]]
    errors: list[dict[str, str]]
    removed: list[RevokeResultDoc]


def orphan_scan(
    agent: str, found: Sequence[OrphanDoc], unsupported: Sequence[tuple[str, str]],
    errors: Sequence[tuple[str, str]], removed: Sequence[RevokeResult],
) -> OrphanScanDoc:  # fmt: skip
    """The document of one ``revoke --scan`` (``removed`` empty for ``--dry-run``)."""
    return {"schema_version": SCHEMA_VERSION, "agent": agent, "orphans": list(found),
            "unsupported": [{"variable": v, "provider": p} for v, p in unsupported],
            "errors": [{"variable": v, "message": m} for v, m in errors],
            "removed": [revoke_result(r) for r in removed]}  # fmt: skip


def log(events: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``log --format json``: the events as recorded, oldest first (a plain list, as in 0.1)."""
    return [dict(e) for e in events]
