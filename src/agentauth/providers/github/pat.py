"""Path B: a fine-grained personal access token the human creates from a pre-filled URL.

GitHub has no API to create (or delete) fine-grained tokens, so agentauth prints the
pre-filled creation page, reads the pasted token from a prompt or stdin (never a
flag), checks it as far as GitHub allows, keeps it in the keyring and records the
grant; revoking tells the human exactly where to delete it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from agentauth.errors import ConfigError, NonInteractiveError, ProviderError
from agentauth.model import Applied, Grant, GrantStatus, Plan, PlanStep, RevokeResult, Secret
from agentauth.providers.base import ProviderContext
from agentauth.providers.github import client
from agentauth.providers.github.kept import store_of
from agentauth.providers.github.options import (
    DEFAULT_API_URL,
    GitHubOptions,
    high_risk,
    is_enterprise_server,
    pat_days,
    prefill_url,
    settings_url,
    token_name,
)
from agentauth.providers.github.token import (
    SCOPED_KINDS,
    TokenKind,
    broad_scopes,
    checksum_valid,
    parse_expiry,
    parse_scopes,
    token_kind,
)

TIMEOUT = 15.0


def objects(
    opts: GitHubOptions, ctx: ProviderContext, grant_id: str, variable: str
) -> dict[str, Any]:
    """What the grant records: scope, where the token is kept, where to delete it."""
    return {
        "mode": "pat",
        "repositories": list(opts.repositories),
        "permissions": dict(opts.permissions),
        "api_url": opts.api_url,
        "token_name": token_name(opts, ctx.policy.agent, variable),
        "settings_url": settings_url(opts.api_url),
        "store_key": f"github/{grant_id}/pat",
    }


def instructions(opts: GitHubOptions, ctx: ProviderContext, variable: str) -> tuple[str, str]:
    """Return the pre-filled URL and the step-by-step text shown to the human."""
    url = prefill_url(
        opts,
        agent=ctx.policy.agent,
        variable=variable,
        days=pat_days(opts, ctx.policy.ttl_seconds),
    )
    perms = ", ".join(f"{k}: {v}" for k, v in opts.permissions.items())
    text = (
        f"Create a fine-grained token for {variable}:\n"
        f"  1. open {url}\n"
        f"  2. Resource owner: {opts.owner}; Repository access: 'Only select repositories' "
        f"-> {', '.join(opts.repositories)}\n"
        f"  3. check that the permissions are exactly {perms}, then Generate token\n"
        "  4. paste the token at the prompt (or pipe it on stdin); it is never a flag"
    )
    return url, text


def plan_steps(
    opts: GitHubOptions, ctx: ProviderContext, variable: str
) -> tuple[list[PlanStep], list[str], str]:
    """Return the dry-run steps, warnings and manual instructions of the PAT path."""
    url, text = instructions(opts, ctx, variable)
    days = pat_days(opts, ctx.policy.ttl_seconds)
    steps = [
        PlanStep("Open the pre-filled fine-grained token page (GitHub has no API for it)", url),
        PlanStep(
            f"Select only {', '.join(opts.repositories)} under Repository access "
            "(GitHub cannot pre-select repositories)"
        ),
        PlanStep(
            f"Read the pasted token, check it against {opts.api_url}, keep it in the keyring, "
            f"expiring in {days} day(s)"
        ),
    ]
    warnings = []
    risky = high_risk(opts)
    if risky:
        warnings.append(
            f"{', '.join(risky)}: these permissions let the agent change code, workflows, "
            "settings or secrets; grant them only if its job needs them"
        )
    return steps, warnings, text


@dataclass(frozen=True)
class PatCheck:
    """What GitHub confirmed about a pasted token."""

    login: str
    expires: datetime | None
    warnings: tuple[str, ...]


def preflight(plan: Plan, ctx: ProviderContext) -> None:
    """A prompt to paste into and a keyring to keep the token in, before the human starts."""
    if ctx.prompter is None:
        raise NonInteractiveError(
            f"{plan.variable}: a fine-grained GitHub token must be pasted and there is no "
            "prompt; run `agentauth provision` in a terminal or pipe the token on stdin"
        )
    key = str(plan.grant.objects["store_key"])
    # NOTE(F): touch the keyring before the human creates a token, so a machine without
    # a secure backend fails here (with the options) rather than after the paste.
    try:
        store_of(ctx).get(key)
    except ConfigError:
        raise
    except Exception as exc:
        raise ConfigError(
            f"{plan.variable}: the keyring cannot be used here ({type(exc).__name__}: {exc}); "
            "the pasted token is kept there. Unlock it or set PYTHON_KEYRING_BACKEND"
        ) from None


def apply(plan: Plan, opts: GitHubOptions, ctx: ProviderContext) -> Applied:
    """Show the URL, read the pasted token, check it, keep it in the keyring, record it."""
    preflight(plan, ctx)
    assert ctx.prompter is not None
    store = store_of(ctx)
    key = str(plan.grant.objects["store_key"])
    url, text = instructions(opts, ctx, plan.variable)
    ctx.prompter.info(text)
    _offer_browser(ctx, url)
    token = ctx.prompter.secret(f"Paste the fine-grained token for {plan.variable}")
    checked = check_pasted(token, opts)
    for warning in checked.warnings:
        ctx.warn(f"{plan.variable}: {warning}")
    store.set(key, token)
    grant = replace(
        plan.grant,
        status=GrantStatus.ACTIVE,
        expires=checked.expires,
        objects={**plan.grant.objects, "login": checked.login},
    )
    when = checked.expires.strftime("%Y-%m-%d") if checked.expires else "never (set an expiry!)"
    note = (
        f"{plan.variable}: token of {checked.login} kept in the keyring; expires {when}; "
        f"delete it at {grant.objects['settings_url']} when done"
    )
    return Applied(grant=grant, env={plan.variable: token}, notes=(note,))


def _offer_browser(ctx: ProviderContext, url: str) -> None:
    assert ctx.prompter is not None
    try:
        if ctx.prompter.confirm("Open this page in your browser?"):
            import webbrowser

            webbrowser.open(url)
    except NonInteractiveError:
        return


def check_pasted(token: Secret, opts: GitHubOptions) -> PatCheck:
    """Check a pasted token as far as GitHub allows; raise ProviderError to refuse it.

    Refused: empty or malformed values, installation/refresh/user-to-server tokens,
    tokens GitHub rejects, classic tokens with any non-read-only scope, and tokens
    that cannot read a repository the policy lists. Fine-grained permissions cannot
    be listed by the API; that is stated, not guessed.
    """
    value = token.reveal()
    create = settings_url(opts.api_url)
    if not value or any(c.isspace() for c in value):
        raise ProviderError("the pasted value is empty or contains spaces; paste the token again")
    kind = token_kind(value)
    if kind not in (TokenKind.FINE_GRAINED, *SCOPED_KINDS):
        raise ProviderError(
            f"expected a fine-grained token (github_pat_…), got {_kind_name(kind)}; "
            f"create one at {create}/new"
        )
    if checksum_valid(value) is False:
        raise ProviderError(
            "the pasted token fails GitHub's checksum (mistyped or cut); paste it again"
        )
    me = client.request(token, opts.api_url, "GET", "/user", timeout=TIMEOUT, retry=1)
    if me.status == 401:
        raise ProviderError(
            "GitHub rejects the pasted token (401): it is expired, revoked or mistyped"
        )
    if me.status != 200:
        raise ProviderError(
            f"GitHub answered GET /user with {me.status} ({me.message()}); retry later"
        )
    login = str(me.body.get("login", "?")) if isinstance(me.body, dict) else "?"
    warnings: list[str] = []
    if kind in SCOPED_KINDS:
        scopes = parse_scopes(me.headers.get("x-oauth-scopes")) or ()
        broad = broad_scopes(scopes)
        if broad:
            raise ProviderError(
                f"refusing a classic token with scopes {', '.join(broad)}: it reaches every "
                f"repository {login} can; create a fine-grained token at {create}/new"
            )
        warnings.append(
            "a classic token cannot be limited to repositories or permissions; "
            "a fine-grained token is safer"
        )
    expires = parse_expiry(me.headers.get("github-authentication-token-expiration"))
    if expires is None:
        warnings.append("the token never expires; delete it when the agent's work is done")
    missing = _unreadable(token, opts)
    if missing:
        raise ProviderError(
            f"the token cannot read {', '.join(missing)}; edit it at {create} and add "
            "them under Repository access, then run `agentauth provision` again"
        )
    warnings.extend(_extra_repositories(token, opts))
    if kind is TokenKind.FINE_GRAINED:
        perms = ", ".join(f"{k}: {v}" for k, v in opts.permissions.items())
        warnings.append(
            f"GitHub does not let a token list its own permissions; make sure its page shows "
            f"only {perms}"
        )
    return PatCheck(login=login, expires=expires, warnings=tuple(warnings))


def _kind_name(kind: TokenKind) -> str:
    return {
        TokenKind.INSTALLATION: (
            "a GitHub App installation token (ghs_, expires in an hour; use mode: app)"
        ),
        TokenKind.REFRESH: "a refresh token (ghr_)",
        TokenKind.USER_TO_SERVER: "a GitHub App user token (ghu_)",
    }.get(kind, "something that is not a GitHub token")


def _unreadable(token: Secret, opts: GitHubOptions) -> list[str]:
    missing = []
    for repo in opts.repositories:
        probe = client.request(token, opts.api_url, "GET", f"/repos/{repo}", timeout=TIMEOUT)
        if probe.status != 200:
            missing.append(f"{repo} ({probe.status})")
    return missing


def _extra_repositories(token: Secret, opts: GitHubOptions) -> list[str]:
    probe = client.request(
        token, opts.api_url, "GET", "/user/repos", timeout=TIMEOUT, parameters={"per_page": 100}
    )
    if probe.status != 200 or not isinstance(probe.body, list):
        return []
    wanted = {r.lower() for r in opts.repositories}
    extra = [
        str(r.get("full_name"))
        for r in probe.body
        if isinstance(r, dict) and str(r.get("full_name", "")).lower() not in wanted
    ]
    if not extra:
        return []
    shown = ", ".join(extra[:5]) + (f" and {len(extra) - 5} more" if len(extra) > 5 else "")
    return [f"the token also reaches {shown}; choose 'Only select repositories' on its page"]


def revoke(grant: Grant, ctx: ProviderContext) -> RevokeResult:
    """Revoke the pasted token through ``POST /credentials/revoke``, then forget it.

    GitHub has no API to *delete* a fine-grained token, but its credential-revocation
    API ends any PAT whose value is known. Without the value (the keyring is gone) or
    when GitHub does not accept it, the token keeps working: "not revoked", with where
    to delete it by hand.
    """
    key = str(grant.objects.get("store_key", ""))
    api_url = str(grant.objects.get("api_url") or DEFAULT_API_URL)
    where = grant.objects.get("settings_url", "https://github.com/settings/personal-access-tokens")
    name = grant.objects.get("token_name", grant.variable)
    manual = f"Delete the fine-grained token '{name}' at {where}; until then it keeps working"
    try:
        token = store_of(ctx).get(key)
    except ConfigError:
        token = None
    if token is None or not token.reveal():
        return RevokeResult(
            grant.id,
            False,
            f"{grant.variable}: the token is not in the keyring, so agentauth cannot revoke it",
            manual=manual,
            still_valid=True,
        )
    try:
        status = client.revoke_credential(token, api_url, timeout=TIMEOUT)
    except ProviderError as exc:
        return RevokeResult(grant.id, False, f"{grant.variable}: {exc}")
    if status in (404, 410) and is_enterprise_server(api_url):
        return RevokeResult(
            grant.id,
            False,
            f"{grant.variable}: this GitHub Enterprise Server has no credential-revocation API "
            f"(POST /credentials/revoke answered {status}; added in GHES 3.19); NOT revoked",
            manual=manual,
            still_valid=True,
        )
    if status != 202:
        return RevokeResult(
            grant.id,
            False,
            f"{grant.variable}: GitHub answered POST /credentials/revoke with {status}; "
            "the token was not revoked",
            manual=manual,
            still_valid=True,
        )
    note = "removed it from the keyring"
    try:
        store_of(ctx).delete(key)
    except ConfigError:
        note = "could not remove it from the keyring"
    return RevokeResult(
        grant.id,
        True,
        f"{grant.variable}: revoked through GitHub's credential-revocation API "
        f"(POST /credentials/revoke accepted it); {note}",
    )
