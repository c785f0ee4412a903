"""The only module that calls PyGithub: App JWT calls, token mint/revoke, and read probes.

Every PyGithub and requests exception is translated here into a ProviderError (or a
ConfigError for a bad private key) whose message says what failed and what to do.
PyGithub is imported inside the functions, so importing this module costs nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from agentauth.errors import ConfigError, ProviderError
from agentauth.model import Secret
from agentauth.providers.github.token import parse_iso
from agentauth.redact import Scrubber

if TYPE_CHECKING:
    from github import Github, GithubIntegration

USER_AGENT = "agentauth"
# NOTE(F): PyGithub throttles to 0.25 s between requests and 1 s between writes by
# default (for bulk scripts); agentauth makes a handful of calls, so no throttle.
_CLIENT_KWARGS: dict[str, Any] = {
    "seconds_between_requests": None,
    "seconds_between_writes": None,
    "user_agent": USER_AGENT,
}


class GitHubUnreachable(ProviderError):
    """Raised when GitHub (or the configured api_url) does not answer: DNS, TLS, timeout."""


@dataclass(frozen=True)
class Response:
    """A raw API answer: status, lower-cased headers, parsed JSON body (or None)."""

    status: int
    headers: Mapping[str, str]
    body: Any = None

    def message(self) -> str:
        """GitHub's error ``message`` field, or an empty string."""
        if isinstance(self.body, Mapping):
            return str(self.body.get("message", ""))
        return ""


@dataclass(frozen=True)
class InstallationToken:
    """A freshly minted installation token and what GitHub says it can reach."""

    token: Secret = field(repr=False)
    expires: datetime | None
    permissions: Mapping[str, str]
    repositories: tuple[str, ...]
    repository_selection: str


def _unreachable(api_url: str, exc: Exception) -> GitHubUnreachable:
    reason = type(exc).__name__
    return GitHubUnreachable(
        f"cannot reach GitHub at {api_url} ({reason}); check the network, or api_url in "
        "agentauth.yaml for GitHub Enterprise Server"
    )


def _network_errors() -> tuple[type[Exception], ...]:
    import requests

    return (requests.exceptions.RequestException, OSError)


def _github_errors() -> tuple[type[Exception], ...]:
    from github import GithubException

    return (GithubException,)


def _describe(exc: Exception, scrub: Scrubber) -> tuple[int, str]:
    from github import GithubException

    if isinstance(exc, GithubException):
        data = exc.data if isinstance(exc.data, Mapping) else {}
        message = str(data.get("message", "")) or "no message"
        return exc.status, scrub(message)
    return 0, scrub(str(exc))


def load_app_auth(app_id: int, pem: Secret) -> Any:
    """Build PyGithub's AppAuth from the App's PEM, failing early (ConfigError) on a bad key.

    The key is parsed once and signs every JWT of this process: PyGithub would
    re-parse (and re-validate) the PEM for each request, ~0.15 s apiece.
    """
    import jwt
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    from github import Auth

    try:
        # NOTE(F): the RSA consistency check costs ~0.18 s per load and guards against
        # hostile keys; this is the user's own key, and a broken one only earns a 401.
        key = load_pem_private_key(
            pem.reveal().encode(), password=None, unsafe_skip_rsa_key_validation=True
        )
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ConfigError(
            f"the GitHub App private key cannot sign a JWT ({type(exc).__name__}); "
            "point private_key_file / private_key_keyring at the .pem GitHub generated "
            "for the App (Settings > Developer settings > GitHub Apps > Private keys)"
        ) from None
    if not isinstance(key, RSAPrivateKey):
        raise ConfigError("the GitHub App private key must be an RSA key (GitHub signs RS256)")

    def sign(payload: dict[str, Any]) -> str:
        return jwt.encode(payload, key, algorithm="RS256")

    return Auth.AppAuth(app_id, sign_func=sign)


def integration(app_id: int, pem: Secret, api_url: str, *, timeout: float) -> GithubIntegration:
    """Return a GithubIntegration authenticated as the App (JWT) against ``api_url``."""
    from github import GithubIntegration

    return GithubIntegration(
        auth=load_app_auth(app_id, pem),
        base_url=api_url,
        timeout=int(max(1, timeout)),
        retry=2,
        **_CLIENT_KWARGS,
    )


def token_client(token: Secret, api_url: str, *, timeout: float, retry: int = 2) -> Github:
    """Return a Github client authenticated with ``token`` (as an agent would use it)."""
    from github import Auth, Github

    return Github(
        auth=Auth.Token(token.reveal()),
        base_url=api_url,
        timeout=int(max(1, timeout)),
        retry=retry,
        **_CLIENT_KWARGS,
    )


def resolve_installation(gi: GithubIntegration, api_url: str, repository: str) -> int:
    """Return the App's installation id for ``owner/repo`` (GET /repos/{o}/{r}/installation)."""
    owner, repo = repository.split("/", 1)
    try:
        return int(gi.get_repo_installation(owner, repo).id)
    except _network_errors() as exc:
        raise _unreachable(api_url, exc) from None
    except _github_errors() as exc:
        status, message = _describe(exc, Scrubber())
        if status == 401:
            raise ProviderError(
                f"GitHub refused the App's JWT (401: {message}); check app_id and that the "
                "private key belongs to that App"
            ) from None
        if status == 404:
            raise ProviderError(
                f"the GitHub App is not installed on {repository} (404); install it on "
                f"{owner} for that repository (App settings > Install App), or set "
                "installation_id"
            ) from None
        raise ProviderError(
            f"GitHub refused GET /repos/{repository}/installation ({status}: {message})"
        ) from None


def mint_installation_token(
    gi: GithubIntegration,
    api_url: str,
    installation_id: int,
    repositories: Sequence[str],
    permissions: Mapping[str, str],
) -> InstallationToken:
    """Mint a one-hour token restricted to ``repositories`` (names) and ``permissions``.

    Why a raw request: PyGithub's ``get_access_token`` sends only ``permissions``, and a
    token without ``repositories`` reaches every repository of the installation.
    """
    body = {"repositories": list(repositories), "permissions": dict(permissions)}
    try:
        _headers, data = gi.requester.requestJsonAndCheck(
            "POST", f"/app/installations/{installation_id}/access_tokens", input=body
        )
    except _network_errors() as exc:
        raise _unreachable(api_url, exc) from None
    except _github_errors() as exc:
        status, message = _describe(exc, Scrubber())
        raise ProviderError(_mint_error(status, message, installation_id)) from None
    if not isinstance(data, Mapping) or not isinstance(data.get("token"), str):
        raise ProviderError(
            f"GitHub answered the token request for installation {installation_id} "
            "without a token; check api_url points at the GitHub API"
        )
    token = Secret(data["token"])
    repos = tuple(
        str(r.get("full_name") or r.get("name"))
        for r in data.get("repositories") or ()
        if isinstance(r, Mapping)
    )
    perms = data.get("permissions")
    return InstallationToken(
        token=token,
        expires=parse_iso(str(data.get("expires_at") or "")),
        permissions=dict(perms) if isinstance(perms, Mapping) else {},
        repositories=repos,
        repository_selection=str(data.get("repository_selection") or ""),
    )


def _mint_error(status: int, message: str, installation_id: int) -> str:
    base = (
        f"GitHub refused to mint a token for installation {installation_id} ({status}: {message})"
    )
    if status == 401:
        return f"{base}; check app_id and that the private key belongs to that App"
    if status == 404:
        return f"{base}; the installation id is wrong or the App was uninstalled"
    if status == 422:
        return (
            f"{base}; the App's installation must already have every requested permission "
            "and repository: edit the App's permissions or the installation's repositories, "
            "or narrow the policy"
        )
    if status == 403:
        return f"{base}; the App may be suspended or rate-limited: retry later"
    return base


def revoke_installation_token(token: Secret, api_url: str, *, timeout: float) -> bool:
    """DELETE /installation/token with the token itself; False when it was already dead."""
    scrub = Scrubber([token])
    try:
        status, _headers, body = token_client(
            token, api_url, timeout=timeout
        ).requester.requestJson("DELETE", "/installation/token")
    except _network_errors() as exc:
        raise _unreachable(api_url, exc) from None
    if status == 204:
        return True
    if status == 401:
        return False
    message = scrub(_message(body))
    raise ProviderError(
        f"GitHub refused DELETE /installation/token ({status}: {message}); retry with "
        "`agentauth revoke` (the token expires within the hour regardless)"
    )


def revoke_credential(token: Secret, api_url: str, *, timeout: float) -> int:
    """POST /credentials/revoke with the token in the body; return the server's status code.

    GitHub's credential-revocation API takes PATs (classic and fine-grained), up to 1000
    per call; 202 means accepted. On github.com (and ghe.com) it must be called
    *unauthenticated* ("any authenticated requests will return a 403"); on GitHub
    Enterprise Server (3.19 and later) it is an *authenticated* endpoint, so the call is
    made with the token itself, the one credential agentauth holds. An older server has
    no such endpoint (404): the caller reports the token as not revoked.
    """
    from github import Auth, Github

    from agentauth.providers.github.options import is_enterprise_server

    auth = Auth.Token(token.reveal()) if is_enterprise_server(api_url) else None
    client = Github(base_url=api_url, timeout=int(max(1, timeout)), retry=0, auth=auth,
                    **_CLIENT_KWARGS)  # fmt: skip
    try:
        status, _headers, _body = client.requester.requestJson(
            "POST", "/credentials/revoke", input={"credentials": [token.reveal()]}
        )
    except _network_errors() as exc:
        raise _unreachable(api_url, exc) from None
    return int(status)


def _message(body: str) -> str:
    try:
        data = json.loads(body) if body else {}
    except ValueError:
        return body[:200]
    return str(data.get("message", "")) if isinstance(data, Mapping) else ""


def request(
    token: Secret,
    api_url: str,
    verb: str,
    path: str,
    *,
    timeout: float,
    retry: int = 0,
    parameters: Mapping[str, Any] | None = None,
) -> Response:
    """Send one request with ``token`` and return status, headers and body; never raises on 4xx.

    Raises GitHubUnreachable on network failure. Used for read-only probes, where a
    403 or 404 is evidence, not an error.
    """
    client = token_client(token, api_url, timeout=timeout, retry=retry)
    try:
        status, headers, body = client.requester.requestJson(
            verb, path, dict(parameters) if parameters else None
        )
    except _network_errors() as exc:
        raise _unreachable(api_url, exc) from None
    parsed: Any
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        parsed = None
    return Response(status, {k.lower(): v for k, v in headers.items()}, parsed)
