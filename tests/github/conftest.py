"""A stateful GitHub API stub on loopback, plus the fakes a GitHub provider test needs.

The stub speaks GitHub's shapes (status codes, error bodies, X-OAuth-Scopes,
GitHub-Authentication-Token-Expiration, x-accepted-github-permissions) and models
what each token may do: the repositories it reaches and its permissions, so a test
can use a minted token through PyGithub and watch GitHub's refusals.
"""

from __future__ import annotations

import json
import re
import secrets
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pytest_httpserver import HTTPServer
from tests.support.contexts import make_ctx as support_make_ctx
from tests.support.doubles import FakePrompter
from tests.support.doubles import MemorySecretStore as MemoryStore
from werkzeug import Request, Response

from agentauth.model import CredentialPolicy
from agentauth.providers.base import ProviderContext
from agentauth.providers.github.token import make_classic_token

APP_ID = 4242
INSTALLATION_ID = 777
_B62 = string.digits + string.ascii_letters
LEVEL = {"read": 1, "write": 2, "admin": 3}
DOCS = "https://docs.github.com/rest"


def new_token(prefix: str) -> str:
    """Return a checksum-valid classic-format token (ghp_, ghs_...)."""
    return make_classic_token(prefix, "".join(secrets.choice(_B62) for _ in range(30)))


def fine_grained_token() -> str:
    """Return a github_pat_ shaped token (22 + '_' + 59 characters)."""
    body = "".join(secrets.choice(_B62) for _ in range(22))
    tail = "".join(secrets.choice(_B62) for _ in range(59))
    return f"github_pat_{body}_{tail}"


@dataclass
class TokenInfo:
    """What the stub knows about one token."""

    kind: str  # installation | classic | fine-grained
    login: str
    repos: set[str]
    permissions: dict[str, str]
    scopes: tuple[str, ...] = ()
    expires: datetime | None = None
    revoked: bool = False


@dataclass
class Recorded:
    """One request the stub received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class GitHubStub:
    """The fake GitHub: one App installed on ``acme`` with some repositories."""

    server: HTTPServer
    public_key: Any
    repos: dict[str, dict[str, Any]] = field(default_factory=dict)
    installation_repos: set[str] = field(default_factory=set)
    installation_permissions: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, TokenInfo] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    files: dict[tuple[str, str], str] = field(default_factory=dict)
    broaden: bool = False
    """Misbehave: answer a restricted mint with repository_selection 'all'."""

    @property
    def url(self) -> str:
        """The API root to pass as api_url / base_url."""
        return self.server.url_for("/").rstrip("/")

    def add_token(self, value: str, info: TokenInfo) -> str:
        """Register a token (classic or fine-grained) the stub will accept."""
        self.tokens[value] = info
        return value

    def calls(self, method: str, path_re: str) -> list[Recorded]:
        """Return recorded requests whose method matches and path matches ``path_re``."""
        return [r for r in self.requests if r.method == method and re.fullmatch(path_re, r.path)]

    # ------------------------------------------------------------------ handler

    def handle(self, request: Request) -> Response:
        """Dispatch one request to the route that GitHub would answer it with."""
        body: Any = None
        if request.data:
            try:
                body = json.loads(request.data)
            except ValueError:
                body = request.data.decode()
        self.requests.append(
            Recorded(request.method, request.path, dict(request.headers.items()), body)
        )
        auth = request.headers.get("Authorization", "")
        path = request.path
        if path == "/credentials/revoke" and request.method == "POST":
            return self._revoke_credentials(auth, body)
        if path.startswith("/app/") or path.endswith("/installation"):
            return self._app_route(request, auth, body)
        token = auth.split(" ", 1)[1] if " " in auth else ""
        info = self.tokens.get(token)
        if info is None or info.revoked or (info.expires and info.expires <= datetime.now(UTC)):
            return _json(
                401, {"message": "Bad credentials", "documentation_url": DOCS, "status": "401"}
            )
        return self._token_route(request, info, token, body)

    def _revoke_credentials(self, auth: str, body: Any) -> Response:
        """POST /credentials/revoke: unauthenticated only (GitHub: 403 otherwise), 202."""
        if auth:
            return _json(403, {"message": "Must not be authenticated", "status": "403"})
        creds = body.get("credentials") if isinstance(body, dict) else None
        if not isinstance(creds, list) or not creds or len(creds) > 1000:
            return _json(422, {"message": "Validation Failed", "status": "422"})
        for value in creds:
            info = self.tokens.get(str(value))
            if info is not None:
                info.revoked = True
        return _json(202, {})

    def _app_route(self, request: Request, auth: str, body: Any) -> Response:
        if not auth.startswith("Bearer "):
            return _json(401, {"message": "A JSON web token could not be decoded", "status": "401"})
        try:
            claims = jwt.decode(
                auth[7:], self.public_key, algorithms=["RS256"], options={"verify_iss": False}
            )
        except jwt.PyJWTError:
            return _json(401, {"message": "A JSON web token could not be decoded", "status": "401"})
        if str(claims.get("iss")) != str(APP_ID):
            return _json(401, {"message": "Integration not found", "status": "401"})
        path = request.path
        match = re.fullmatch(r"/repos/([^/]+)/([^/]+)/installation", path)
        if match and request.method == "GET":
            full = f"{match.group(1)}/{match.group(2)}"
            if full not in self.installation_repos:
                return _json(
                    404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"}
                )
            return _json(200, _installation_json(match.group(1)))
        match = re.fullmatch(r"/app/installations/(\d+)/access_tokens", path)
        if match and request.method == "POST":
            if int(match.group(1)) != INSTALLATION_ID:
                return _json(
                    404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"}
                )
            return self._mint(body or {})
        return _json(404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"})

    def _mint(self, body: dict[str, Any]) -> Response:
        perms = dict(body.get("permissions") or self.installation_permissions)
        for name, level in perms.items():
            have = self.installation_permissions.get(name)
            if have is None or LEVEL[level] > LEVEL[have]:
                return _json(
                    422,
                    {
                        "message": "The permissions requested are not granted to this "
                        "installation.",
                        "documentation_url": DOCS,
                        "status": "422",
                    },
                )
        names = body.get("repositories")
        if names is None:
            repos = set(self.installation_repos)
        else:
            repos = {f"acme/{n}" for n in names}
            if not repos <= self.installation_repos:
                return _json(
                    422,
                    {
                        "message": "There is at least one repository that does not exist or "
                        "is not accessible to the parent installation.",
                        "documentation_url": DOCS,
                        "status": "422",
                    },
                )
        token = new_token("ghs")
        expires = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
        self.tokens[token] = TokenInfo(
            "installation", "acme-bot[bot]", repos, perms, expires=expires
        )
        selection = "all" if names is None or self.broaden else "selected"
        return _json(
            201,
            {
                "token": token,
                "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "permissions": perms,
                "repository_selection": selection,
                "repositories": [self._repo_json(r) for r in sorted(repos)],
            },
        )

    def _token_route(self, request: Request, info: TokenInfo, token: str, body: Any) -> Response:
        path, method = request.path, request.method
        headers: dict[str, str] = {}
        if info.kind == "classic":
            headers["X-OAuth-Scopes"] = ", ".join(info.scopes)
        if info.expires and info.kind != "installation":
            headers["GitHub-Authentication-Token-Expiration"] = info.expires.strftime(
                "%Y-%m-%d %H:%M:%S UTC"
            )
        if method == "DELETE" and path == "/installation/token":
            if info.kind != "installation":
                return _json(403, {"message": "Resource not accessible", "status": "403"})
            info.revoked = True
            return Response(status=204)
        if method == "GET" and path == "/installation/repositories":
            repos = [self._repo_json(r) for r in sorted(info.repos)]
            return _json(200, {"total_count": len(repos), "repositories": repos}, headers)
        if method == "GET" and path == "/user":
            return _json(200, {"login": info.login, "id": 1, "type": "User"}, headers)
        if method == "GET" and path == "/user/repos":
            return _json(200, [self._repo_json(r) for r in sorted(info.repos)], headers)
        match = re.fullmatch(r"/repos/([^/]+)/([^/]+)(/.*)?", path)
        if not match:
            return _json(404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"})
        full, rest = f"{match.group(1)}/{match.group(2)}", match.group(3) or ""
        if full not in self.repos or full not in info.repos:
            return _json(
                404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"}, headers
            )
        if rest == "" and method == "GET":
            return _json(200, self._repo_json(full), headers)
        need = _needed(method, rest)
        if need is None:
            return _json(
                404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"}, headers
            )
        perm, level = need
        have = info.permissions.get(perm)
        if info.kind == "classic":
            have = "write" if "repo" in info.scopes else None
        if have is None or LEVEL[have] < LEVEL[level]:
            return _json(
                403,
                {
                    "message": "Resource not accessible by integration"
                    if info.kind == "installation"
                    else "Resource not accessible by personal access token",
                    "documentation_url": DOCS,
                    "status": "403",
                },
                {**headers, "X-Accepted-GitHub-Permissions": f"{perm}={level}"},
            )
        return self._allowed(method, full, rest, body, headers)

    def _allowed(
        self, method: str, full: str, rest: str, body: Any, headers: dict[str, str]
    ) -> Response:
        if rest.startswith("/contents/"):
            file_path = rest[len("/contents/") :]
            if method == "PUT":
                self.files[(full, file_path)] = str((body or {}).get("content", ""))
                commit = {"sha": "1" * 40, "message": str((body or {}).get("message", ""))}
                return _json(
                    201, {"content": _content_json(full, file_path, ""), "commit": commit}, headers
                )
            content = self.files.get((full, file_path))
            if content is None:
                return _json(404, {"message": "Not Found", "status": "404"}, headers)
            return _json(200, _content_json(full, file_path, content), headers)
        if rest == "/hooks":
            return _json(200, [], headers)
        if rest == "/actions/secrets":
            return _json(200, {"total_count": 0, "secrets": []}, headers)
        return _json(200, {}, headers)

    def _repo_json(self, full: str) -> dict[str, Any]:
        owner, name = full.split("/")
        return {
            "id": abs(hash(full)) % 10_000_000,
            "name": name,
            "full_name": full,
            "private": True,
            "owner": {"login": owner, "id": 1, "type": "Organization"},
            "url": f"{self.url}/repos/{full}",
            "default_branch": "main",
        }


def _needed(method: str, rest: str) -> tuple[str, str] | None:
    if rest.startswith("/contents/"):
        return ("contents", "write" if method in {"PUT", "DELETE"} else "read")
    if rest.startswith("/pulls"):
        return ("pull_requests", "write" if method != "GET" else "read")
    if rest.startswith("/issues"):
        return ("issues", "write" if method != "GET" else "read")
    if rest == "/hooks":
        return ("repository_hooks", "read")
    if rest == "/actions/secrets":
        return ("secrets", "read")
    return None


def _content_json(full: str, path: str, b64: str) -> dict[str, Any]:
    return {
        "type": "file",
        "encoding": "base64",
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "content": b64,
        "sha": "0" * 40,
        "url": f"https://api.github.com/repos/{full}/contents/{path}",
    }


def _installation_json(owner: str) -> dict[str, Any]:
    return {
        "id": INSTALLATION_ID,
        "app_id": APP_ID,
        "account": {"login": owner, "id": 1, "type": "Organization"},
        "repository_selection": "selected",
        "permissions": {},
        "target_type": "Organization",
    }


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body),
        status=status,
        headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
    )


# ---------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def app_key() -> tuple[str, Any]:
    """A freshly generated RSA private key (PEM text) and its public key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    return pem, key.public_key()


@pytest.fixture
def stub(httpserver: HTTPServer, app_key: tuple[str, Any]) -> Iterator[GitHubStub]:
    """The GitHub stub: App 4242 installed on acme/web and acme/api (contents, PRs, issues)."""
    fake = GitHubStub(server=httpserver, public_key=app_key[1])
    for full in ("acme/web", "acme/api", "acme/secret-infra"):
        fake.repos[full] = {}
    fake.installation_repos = {"acme/web", "acme/api", "acme/secret-infra"}
    fake.installation_permissions = {
        "contents": "write",
        "metadata": "read",
        "pull_requests": "write",
        "issues": "write",
        "actions": "read",
        "administration": "write",
    }
    fake.files[("acme/web", "README.md")] = "aGVsbG8="
    fake.files[("acme/api", "README.md")] = "aGVsbG8="
    httpserver.expect_request(re.compile(".*")).respond_with_handler(fake.handle)
    yield fake
    httpserver.clear()


@pytest.fixture
def key_file(tmp_path: Path, app_key: tuple[str, Any]) -> Path:
    """The App's private key in a 0600 file outside the project."""
    path = tmp_path / "keys" / "app.pem"
    path.parent.mkdir()
    path.write_text(app_key[0])
    path.chmod(0o600)
    return path


@pytest.fixture(name="FakePrompter")
def fake_prompter_class() -> type[FakePrompter]:
    """The FakePrompter class (conftest modules are not importable by name)."""
    return FakePrompter


@pytest.fixture
def memory_store() -> MemoryStore:
    """A fresh in-memory secret store."""
    return MemoryStore()


CtxFactory = Callable[..., ProviderContext]


@pytest.fixture
def make_ctx(project: Path, memory_store: MemoryStore) -> CtxFactory:
    """Build a ProviderContext for ``project`` with the in-memory store; warnings collected."""

    def factory(**overrides: Any) -> ProviderContext:
        fields: dict[str, Any] = {"store": memory_store, "warnings": [], **overrides}
        return support_make_ctx(project, ttl=8 * 3600, **fields)

    return factory


def entry(variable: str = "GITHUB_TOKEN", line: int = 7, **options: Any) -> CredentialPolicy:
    """A provider: github policy entry."""
    from agentauth.model import Action

    return CredentialPolicy(
        variable=variable, action=Action.PROVISION, provider="github", options=options, line=line
    )


@pytest.fixture
def gh_entry() -> Callable[..., CredentialPolicy]:
    """The ``entry`` builder as a fixture (conftest modules are not importable by name)."""
    return entry


@pytest.fixture
def token_factory() -> Any:
    """Token string generators: classic(prefix) and fine_grained()."""

    class Factory:
        classic = staticmethod(new_token)
        fine_grained = staticmethod(fine_grained_token)
        info = TokenInfo

    return Factory
