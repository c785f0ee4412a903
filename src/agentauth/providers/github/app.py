"""Path A: one-hour GitHub App installation tokens restricted to repositories and permissions.

The App's private key is read from a file or the keyring named in the policy (never
from the policy itself). Each token minted (at ``provision`` and at every
``agentauth run``) is kept in the SecretStore (``github_tokens_kept``) so ``revoke``
can send ``DELETE /installation/token`` with it; where no secure store exists the
token is not kept and simply expires within the hour.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from agentauth.errors import AgentAuthError, ConfigError, ProviderError
from agentauth.model import Applied, Grant, GrantStatus, Plan, PlanStep, RevokeResult, Secret
from agentauth.providers.base import ProviderContext
from agentauth.providers.github import client
from agentauth.providers.github import kept as kept_slots
from agentauth.providers.github.options import GitHubOptions, high_risk

TOKEN_LIFETIME = timedelta(hours=1)
TIMEOUT = 15.0


def objects(opts: GitHubOptions) -> dict[str, Any]:
    """What the grant records for mint and revoke (ids, names, where the key is; no secret)."""
    out: dict[str, Any] = {
        "mode": "app",
        "app_id": opts.app_id,
        "installation_id": opts.installation_id,
        "repositories": list(opts.repositories),
        "permissions": dict(opts.permissions),
        "api_url": opts.api_url,
        "tokens_kept_in": "keyring: agentauth / github/<grant id>/token-<n>",
    }
    if opts.private_key_file:
        out["private_key_file"] = opts.private_key_file
    else:
        out["private_key_keyring"] = opts.private_key_keyring
    return out


def request_body(opts: GitHubOptions) -> dict[str, Any]:
    """The exact JSON body of the mint request: repository names and permissions, nothing else."""
    return {"repositories": list(opts.repo_names), "permissions": dict(opts.permissions)}


def plan_steps(opts: GitHubOptions, ctx: ProviderContext) -> tuple[list[PlanStep], list[str]]:
    """Return the dry-run steps and warnings of the App path (no network)."""
    steps: list[PlanStep] = []
    warnings: list[str] = []
    owner, first = opts.repositories[0].split("/", 1)
    if opts.installation_id is None:
        steps.append(
            PlanStep(
                f"Find GitHub App {opts.app_id}'s installation on {owner}",
                f"GET {opts.api_url}/repos/{owner}/{first}/installation  (as the App, JWT)",
            )
        )
    iid = opts.installation_id if opts.installation_id is not None else "<installation>"
    steps.append(
        PlanStep(
            f"Mint a one-hour installation token for {', '.join(opts.repositories)}",
            f"POST {opts.api_url}/app/installations/{iid}/access_tokens\n"
            + json.dumps(request_body(opts), indent=2),
        )
    )
    steps.append(
        PlanStep(
            "Keep the token in the keyring so `agentauth revoke` can delete it; "
            "`agentauth run` mints a fresh one each time"
        )
    )
    risky = high_risk(opts)
    if risky:
        warnings.append(
            f"{', '.join(risky)}: these permissions let the agent change code, workflows, "
            "settings or secrets; grant them only if its job needs them"
        )
    warnings.extend(_key_warnings(opts, ctx))
    return steps, warnings


def _key_path(source: str, ctx: ProviderContext) -> Path:
    path = Path(os.path.expanduser(source))
    return path if path.is_absolute() else ctx.project_root / path


def _key_warnings(opts: GitHubOptions, ctx: ProviderContext) -> list[str]:
    if not opts.private_key_file:
        return []
    path = _key_path(opts.private_key_file, ctx)
    out: list[str] = []
    if not path.is_file():
        out.append(f"private_key_file {path} does not exist yet; provisioning will fail")
        return out
    root = ctx.project_root.resolve()
    if path.resolve().is_relative_to(root):
        out.append(
            f"the App's private key {opts.private_key_file} is inside the project, where the "
            "agent can read it and mint tokens with all of the App's permissions; move it "
            "outside the project or into the keyring (private_key_keyring)"
        )
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        out.append(f"chmod 600 {path}: the App's private key is readable by other users")
    return out


def private_key(source: Mapping[str, Any], ctx: ProviderContext) -> Secret:
    """Read the App's PEM from ``private_key_file`` or ``private_key_keyring``."""
    file = source.get("private_key_file")
    if file:
        path = _key_path(str(file), ctx)
        from agentauth.fsutil import read_text

        try:  # NOTE: the safe reader: a FIFO or device named as the key is refused
            text = read_text(path, what="private_key_file")
        except FileNotFoundError:
            raise ConfigError(
                f"private_key_file {path} does not exist; generate a private key on the "
                "App's settings page and point private_key_file at the downloaded .pem"
            ) from None
        if "PRIVATE KEY" not in text:
            raise ConfigError(f"private_key_file {path} is not a PEM private key")
        return Secret(text)
    name = str(source.get("private_key_keyring") or "")
    pem = kept_slots.store_of(ctx).get(name)
    if pem is None:
        raise ConfigError(
            f"the keyring has no entry {name!r} (service 'agentauth'); store the App's .pem "
            "there first (see docs/walkthrough-github.md) or use private_key_file"
        )
    return pem


def _integration(source: Mapping[str, Any], ctx: ProviderContext) -> Any:
    app_id = int(source["app_id"])
    return client.integration(
        app_id, private_key(source, ctx), str(source["api_url"]), timeout=TIMEOUT
    )


def preflight(plan: Plan, opts: GitHubOptions, ctx: ProviderContext) -> None:
    """Before anything is minted: the App's key resolves and the keyring answers.

    A keyring that cannot answer without a human (a locked collection that prompts,
    no terminal) fails here, not after a live token exists that it cannot keep.
    """
    _integration(objects(opts), ctx)
    kept_slots.check_store(plan.grant, ctx)


def apply(plan: Plan, opts: GitHubOptions, ctx: ProviderContext) -> Applied:
    """Resolve the installation if needed, mint the token, keep it for revoke."""
    source = objects(opts)
    gi = _integration(source, ctx)
    source["installation_id"] = _installation(gi, source)
    grant = replace(plan.grant, objects=source)
    return _mint(gi, grant, ctx, first=True)


def _installation(gi: Any, source: Mapping[str, Any]) -> int:
    """The installation of ``source``: as recorded, else looked up from its first repository."""
    if source.get("installation_id") is not None:
        return int(source["installation_id"])
    repository = str(next(iter(source["repositories"])))
    return client.resolve_installation(gi, str(source["api_url"]), repository)


def mint(grant: Grant, ctx: ProviderContext) -> Applied:
    """Mint a fresh token for ``agentauth run`` from the grant's recorded App and scope."""
    return _mint(_integration(grant.objects, ctx), grant, ctx, first=False)


def issue(grant: Grant, ctx: ProviderContext) -> tuple[Grant, Secret, datetime]:
    """Mint one token for the broker, which holds it and mints the next before it expires.

    ``grant.objects`` names the App and the scope (:func:`objects`); the installation
    is looked up the first time and recorded in the returned grant. The token is
    checked like every mint (never broader than asked) but not kept for ``revoke``:
    it never leaves the broker, which deletes it when replacing it or stopping.
    """
    source = dict(grant.objects)
    gi = _integration(source, ctx)
    source["installation_id"] = _installation(gi, source)
    grant = replace(grant, objects=source)
    token, expires = _issue(gi, grant, ctx, keep=False)
    return grant, token, expires


def _issue(gi: Any, grant: Grant, ctx: ProviderContext, *, keep: bool) -> tuple[Secret, datetime]:
    obj = grant.objects
    api_url = str(obj["api_url"])
    repos = [str(r) for r in obj["repositories"]]
    names = [r.split("/", 1)[1] for r in repos]
    wanted = {str(k): str(v) for k, v in dict(obj["permissions"]).items()}
    tok = client.mint_installation_token(gi, api_url, int(obj["installation_id"]), names, wanted)
    problem = _exceeds(tok, repos, wanted)
    if problem:
        # NOTE(F): never hand the agent a token broader than the policy; kill it first.
        try:
            client.revoke_installation_token(tok.token, api_url, timeout=TIMEOUT)
        except AgentAuthError:
            ctx.warn("could not revoke the over-broad token; it expires within the hour")
        raise ProviderError(f"GitHub issued a broader token than requested ({problem}); revoked it")
    expires = tok.expires or ctx.now + TOKEN_LIFETIME
    if not keep:
        return tok.token, expires
    try:
        warning = kept_slots.keep(grant.id, tok.token, expires, ctx)
    except Exception as exc:
        # NOTE(F): a token agentauth cannot keep is a token `revoke` cannot find: undo it.
        try:
            client.revoke_installation_token(tok.token, api_url, timeout=TIMEOUT)
            undone = "revoked it"
        except AgentAuthError:
            undone = "could not revoke it either; it expires within the hour"
        raise ProviderError(
            f"{grant.variable}: could not keep the new installation token in the keyring "
            f"({type(exc).__name__}: {exc}); {undone}. Fix the keyring (`agentauth doctor`) "
            "and provision again"
        ) from None
    if warning:
        ctx.warn(f"{grant.variable}: {warning}")
    return tok.token, expires


def _mint(gi: Any, grant: Grant, ctx: ProviderContext, *, first: bool) -> Applied:
    token, expires = _issue(gi, grant, ctx, keep=True)
    when = expires.strftime("%H:%M UTC")
    if first:
        # NOTE(F): the grant (the agent's right to tokens) lives for the policy ttl; each
        # token lives one hour. `agentauth run` mints a fresh token while the grant lives.
        grant = replace(
            grant,
            status=GrantStatus.ACTIVE,
            expires=ctx.now + timedelta(seconds=ctx.policy.ttl_seconds),
            mints_per_run=True,
        )
        note = (
            f"{grant.variable}: installation token valid until {when}; `agentauth run` mints "
            "a fresh one for every run while the grant lives"
        )
    else:
        note = f"{grant.variable}: fresh installation token, valid until {when}"
    return Applied(grant=grant, env={grant.variable: token}, notes=(note,), expires=expires)


_RANK = {"read": 1, "write": 2, "admin": 3}


def _exceeds(tok: client.InstallationToken, repos: list[str], wanted: Mapping[str, str]) -> str:
    if tok.repository_selection == "all":
        return "it reaches every repository of the installation"
    if tok.repositories:
        allowed = {r.lower() for r in repos} | {r.split("/", 1)[1].lower() for r in repos}
        extra = [r for r in tok.repositories if r.lower() not in allowed]
        if extra:
            return f"extra repositories: {', '.join(extra)}"
    extra_perms = [
        f"{k}:{v}"
        for k, v in tok.permissions.items()
        if _RANK.get(str(v), 3) > _RANK.get(wanted.get(k, ""), 0)
    ]
    if extra_perms:
        return f"extra permissions: {', '.join(extra_perms)}"
    return ""


def revoke(grant: Grant, ctx: ProviderContext) -> RevokeResult:
    """DELETE /installation/token for every unexpired token kept for this grant.

    Idempotent: a token GitHub already rejects (401) counts as revoked and its slot
    is cleared. A network or API failure keeps the slot and fails the grant, so the
    next ``agentauth revoke`` retries it.
    """
    api_url = str(grant.objects.get("api_url"))
    revoked = expired = 0
    failures: list[str] = []
    try:
        kept = list(kept_slots.kept_tokens(grant.id, ctx))
    except ConfigError:
        # NOTE: tokens minted without a keyring were never kept: they cannot be revoked,
        # only outlived. Once the grant's expiry plus a token's hour is past, none is left.
        last_mint = min(grant.expires or ctx.now, ctx.now)
        bound = last_mint + TOKEN_LIFETIME
        return RevokeResult(
            grant.id,
            True,
            "the keyring is not available, so no token was kept: tokens minted for this "
            f"grant stay valid until at most {bound:%Y-%m-%d %H:%M} UTC (one hour each)",
            still_valid=bound > ctx.now,
        )
    for item in kept:
        if not item.token.reveal() or (item.expires is not None and item.expires <= ctx.now):
            expired += 1
            kept_slots.forget(item.name, ctx)
            continue
        try:
            if client.revoke_installation_token(item.token, api_url, timeout=TIMEOUT):
                revoked += 1
            else:
                expired += 1
        except ProviderError as exc:
            failures.append(str(exc))
            continue
        kept_slots.forget(item.name, ctx)
    if failures:
        return RevokeResult(grant.id, False, "; ".join(failures))
    return RevokeResult(
        grant.id,
        True,
        f"revoked {revoked} installation token(s); {expired} had already expired; "
        "the App and its installation are unchanged",
    )
