"""``audit --verify`` for GitHub tokens: ask GitHub, read-only, what a found token can do.

Classic and OAuth tokens are judged by their ``X-OAuth-Scopes``; fine-grained tokens,
whose permissions no endpoint lists, by safe read probes whose 403/404 is evidence;
installation tokens by the repositories they reach. Failures to ask are "unknown".
The API root is https://api.github.com unless ``AGENTAUTH_GITHUB_API_URL`` is set
(GitHub Enterprise Server, or a test stub).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agentauth.errors import ProviderError
from agentauth.model import Finding, Secret, Severity, Verification
from agentauth.providers.base import VerifyContext
from agentauth.providers.github import client
from agentauth.providers.github.options import DEFAULT_API_URL
from agentauth.providers.github.token import (
    SCOPED_KINDS,
    TokenKind,
    checksum_valid,
    parse_expiry,
    parse_scopes,
    scope_capabilities,
    scope_severity,
    token_kind,
)

API_URL_ENV = "AGENTAUTH_GITHUB_API_URL"
_PROBED_REPOS = 3
_NOT_LISTABLE = "permissions cannot be listed for fine-grained tokens"


def api_url(environ: Mapping[str, str]) -> str:
    """Return the API root verification talks to (``AGENTAUTH_GITHUB_API_URL`` or github.com)."""
    return (environ.get(API_URL_ENV) or DEFAULT_API_URL).rstrip("/")


def verify(finding: Finding, ctx: VerifyContext) -> Verification:
    """Verify one GitHub token finding; never raises for an unknown outcome."""
    value = finding.secret.reveal()
    kind = token_kind(value)
    if checksum_valid(value) is False:
        return Verification(
            "invalid",
            "fails GitHub's CRC32 checksum: not a token GitHub issued (sample, typo or fixture)",
            severity=Severity.INFO,
            details={"checksum": "invalid"},
        )
    if kind is TokenKind.REFRESH:
        return Verification(
            "unknown",
            "refresh token: only exchangeable with the App's client secret, not probed; it can "
            "mint user tokens for six months",
        )
    if kind is TokenKind.UNKNOWN:
        return Verification("unknown", "not a recognised GitHub token format")
    url = api_url(ctx.environ)
    try:
        return _verify(finding.secret, kind, url, ctx.timeout)
    except ProviderError as exc:
        return Verification("unknown", f"could not ask GitHub: {exc}")


def _verify(token: Secret, kind: TokenKind, url: str, timeout: float) -> Verification:
    path = "/installation/repositories" if kind is TokenKind.INSTALLATION else "/user"
    first = client.request(token, url, "GET", path, timeout=timeout)
    if first.status == 401:
        return Verification(
            "invalid", "GitHub rejects it (401): revoked or expired", severity=Severity.INFO
        )
    if first.status != 200:
        return _unknown(first)
    if kind is TokenKind.INSTALLATION:
        return _installation(first)
    login = str(first.body.get("login", "?")) if isinstance(first.body, Mapping) else "?"
    expires = parse_expiry(first.headers.get("github-authentication-token-expiration"))
    when = f"expires {expires:%Y-%m-%d}" if expires else "never expires"
    details: dict[str, Any] = {"login": login, "expires": expires.isoformat() if expires else None}
    if kind in SCOPED_KINDS:
        return _classic(first, login, when, expires is None, details)
    if kind is TokenKind.USER_TO_SERVER:
        return Verification(
            "valid",
            f"GitHub App user token of {login}; {when}; acts with the App's permissions "
            "intersected with the user's (not listable)",
            details=details,
        )
    return _fine_grained(token, url, timeout, login, when, details)


def _unknown(resp: client.Response) -> Verification:
    limited = resp.status == 429 or resp.headers.get("x-ratelimit-remaining") == "0"
    reason = "rate-limited" if limited else f"HTTP {resp.status}"
    return Verification("unknown", f"GitHub did not answer usefully ({reason}); try again later")


def _classic(
    resp: client.Response, login: str, when: str, no_expiry: bool, details: dict[str, Any]
) -> Verification:
    scopes = parse_scopes(resp.headers.get("x-oauth-scopes")) or ()
    severity = scope_severity(scopes)
    if no_expiry and severity is Severity.MEDIUM:
        severity = Severity.HIGH
    shown = ", ".join(scopes) if scopes else "none (public read only)"
    details = {**details, "scopes": list(scopes)}
    return Verification(
        "valid",
        f"classic token of {login}; scopes: {shown}; {when}",
        capabilities=scope_capabilities(scopes),
        severity=severity,
        details=details,
    )


def _installation(resp: client.Response) -> Verification:
    body = resp.body if isinstance(resp.body, Mapping) else {}
    repos = [
        str(r.get("full_name"))
        for r in body.get("repositories") or ()
        if isinstance(r, Mapping) and r.get("full_name")
    ]
    total = int(body.get("total_count") or len(repos))
    return Verification(
        "valid",
        f"GitHub App installation token; reaches {total} repositories ({_names(repos)}); "
        f"expires within an hour of minting; its permissions cannot be listed",
        capabilities=("read-code",) if total else (),
        details={"repositories": repos, "total_count": total},
    )


def _fine_grained(
    token: Secret, url: str, timeout: float, login: str, when: str, details: dict[str, Any]
) -> Verification:
    listing = client.request(
        token, url, "GET", "/user/repos", timeout=timeout, parameters={"per_page": 100}
    )
    repos = (
        [str(r.get("full_name")) for r in listing.body if isinstance(r, Mapping)]
        if listing.status == 200 and isinstance(listing.body, list)
        else []
    )
    probes: dict[str, int] = {}
    accepted: dict[str, str] = {}
    found: list[str] = []
    for repo in repos[:_PROBED_REPOS]:
        for what, path in (("webhooks", "hooks"), ("Actions secret names", "actions/secrets")):
            resp = client.request(token, url, "GET", f"/repos/{repo}/{path}", timeout=timeout)
            probes[f"{repo}/{path}"] = resp.status
            if resp.status == 200:
                found.append(f"read {what} of {repo}")
            elif "x-accepted-github-permissions" in resp.headers:
                accepted[path] = resp.headers["x-accepted-github-permissions"]
    parts = [
        f"fine-grained token of {login}",
        when,
        f"reaches {len(repos)} repositories ({_names(repos)})",
    ]
    parts.extend(found or ["no admin-level read succeeded in the probes"])
    parts.append(_NOT_LISTABLE)
    return Verification(
        "valid",
        "; ".join(parts),
        capabilities=("admin-repository",) if found else (),
        severity=Severity.HIGH if found else None,
        details={
            **details,
            "repositories": repos,
            "probes": probes,
            "accepted_permissions": accepted,
        },
    )


def _names(repos: list[str]) -> str:
    if not repos:
        return "none listed"
    shown = ", ".join(repos[:5])
    return shown + (f" and {len(repos) - 5} more" if len(repos) > 5 else "")
