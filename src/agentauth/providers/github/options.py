"""The ``provider: github`` policy entry: its keys, GitHub's permission names, and presets.

``parse`` turns an entry's options as written into :class:`GitHubOptions` or raises a
``kit.OptionError`` naming the key (the framework adds the file and line); ``normalise``
is the canonical dict stored back into the entry (so the grant digest does not change
with formatting). GitHub's permission names are in ``github/permissions.py``.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode, urlsplit

from agentauth.config.brokerpolicy import BROKER_KEYS
from agentauth.errors import did_you_mean
from agentauth.model import CredentialPolicy
from agentauth.providers.github.permissions import (
    ADMIN_ALLOWED,
    HIGH_RISK,
    LEVELS,
    PERMISSIONS,
    READ_ONLY,
    WRITE_ONLY,
)
from agentauth.providers.kit import OptionError

DEFAULT_API_URL = "https://api.github.com"

PRESETS: dict[str, dict[str, object]] = {
    "code-review": {"permissions": {"contents": "read", "pull_requests": "write"}},
    "issue-triage": {"permissions": {"issues": "write"}},
    "ci-reader": {"permissions": {"actions": "read"}},
    "deploy-staging": {"permissions": {"contents": "read", "actions": "write"}},
}
"""Preset name -> options for ``agentauth init --preset`` (repositories come from the user)."""

MODES = ("app", "pat")
_KEYS = frozenset(
    {
        "repositories",
        "permissions",
        "mode",
        "app_id",
        "private_key_file",
        "private_key_keyring",
        "installation_id",
        "api_url",
        "expires_in_days",
        "name",
        "description",
    }
)
_APP_KEYS = frozenset({"app_id", "private_key_file", "private_key_keyring", "installation_id"})
_PAT_KEYS = frozenset({"expires_in_days"})
_FORBIDDEN = {
    "private_key": "never put the App's private key in agentauth.yaml (it is committed); "
    "name a file with private_key_file or a keyring entry with private_key_keyring",
    "token": "agentauth.yaml holds no secrets; the token is pasted at `agentauth provision` "
    "(mode: pat) or minted from the GitHub App (mode: app)",
}
_REPO = re.compile(r"^([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/([A-Za-z0-9._-]{1,100})$")
MAX_REPOSITORIES = 500
NAME_MAX = 40
DESCRIPTION_MAX = 1024


@dataclass(frozen=True)
class GitHubOptions:
    """A validated ``provider: github`` entry."""

    mode: str
    repositories: tuple[str, ...]
    """``owner/name``, all of one owner (an installation, a PAT's resource owner)."""
    permissions: Mapping[str, str]
    """GitHub's permission names and levels, ``metadata: read`` included, sorted."""
    api_url: str = DEFAULT_API_URL
    app_id: int | None = None
    private_key_file: str | None = None
    private_key_keyring: str | None = None
    installation_id: int | None = None
    expires_in_days: int | None = None
    name: str | None = None
    description: str | None = None

    @property
    def owner(self) -> str:
        """The account that owns every listed repository."""
        return self.repositories[0].split("/", 1)[0]

    @property
    def repo_names(self) -> tuple[str, ...]:
        """Repository names without the owner, as the access_tokens request wants them."""
        return tuple(r.split("/", 1)[1] for r in self.repositories)

    def scope(self) -> str:
        """One-line summary for ``status``: permissions on repositories."""
        perms = ", ".join(f"{k}:{v}" for k, v in self.permissions.items())
        return f"{perms} on {', '.join(self.repositories)} ({self.mode})"


def _fail(entry: CredentialPolicy, key: str, problem: str) -> OptionError:
    return OptionError(entry, key, problem)


def _positive_int(entry: CredentialPolicy, key: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _fail(entry, key, f"expected a positive integer, got {value!r}")
    text = str(value).strip()
    if not text.isdigit() or int(text) <= 0:
        raise _fail(entry, key, f"expected a positive integer, got {value!r}")
    return int(text)


def _text(entry: CredentialPolicy, key: str, value: object, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(entry, key, "expected a non-empty string")
    if len(value) > limit:
        raise _fail(entry, key, f"at most {limit} characters (GitHub's limit), got {len(value)}")
    return value.strip()


def _api_url(entry: CredentialPolicy, value: object) -> str:
    if not isinstance(value, str):
        raise _fail(entry, "api_url", "expected a URL such as https://github.example.com/api/v3")
    parts = urlsplit(value.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.query:
        raise _fail(entry, "api_url", f"not an http(s) API URL: {value!r}")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise _fail(
            entry,
            "api_url",
            "plain http would send tokens in the clear; use https (http is accepted "
            "only for a loopback stub)",
        )
    return value.strip().rstrip("/")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _repositories(entry: CredentialPolicy, value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise _fail(
            entry,
            "repositories",
            'list the repositories the agent works on, e.g. ["acme/web"] '
            "(a token for every repository is what this tool exists to avoid)",
        )
    repos: list[str] = []
    for item in value:
        if not isinstance(item, str) or not _REPO.match(item.strip()):
            raise _fail(entry, "repositories", f"{item!r} is not owner/name")
        if item.strip() not in repos:
            repos.append(item.strip())
    if len(repos) > MAX_REPOSITORIES:
        raise _fail(entry, "repositories", f"at most {MAX_REPOSITORIES} (GitHub's limit)")
    owners = sorted({r.split("/", 1)[0].lower() for r in repos})
    if len(owners) > 1:
        raise _fail(
            entry,
            "repositories",
            f"all repositories must belong to one owner (one installation or token "
            f"resource owner), got {', '.join(owners)}; write one entry per owner",
        )
    return tuple(repos)


def _permissions(entry: CredentialPolicy, value: object) -> dict[str, str]:
    if value is None:
        value = {}
    if not isinstance(value, Mapping):
        raise _fail(entry, "permissions", "expected a mapping such as {contents: read}")
    perms: dict[str, str] = {}
    for name, level in value.items():
        key = f"permissions.{name}"
        if name not in PERMISSIONS:
            close = sorted(p for p in PERMISSIONS if p.startswith(str(name)[:4]))
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise _fail(
                entry, key, f"unknown GitHub permission{hint}; see docs/walkthrough-github.md"
            )
        if not isinstance(level, str) or level not in LEVELS:
            raise _fail(entry, key, f"level must be one of read, write, admin; got {level!r}")
        if level == "admin" and name not in ADMIN_ALLOWED:
            raise _fail(
                entry,
                key,
                "admin exists only for organization_projects and "
                "organization_custom_properties; use write",
            )
        if name in WRITE_ONLY and level != "write":
            raise _fail(entry, key, f"GitHub offers {name} only as write")
        if name in READ_ONLY and level != "read":
            raise _fail(entry, key, f"GitHub offers {name} only as read")
        perms[str(name)] = level
    # NOTE(F): metadata:read is implied by every token GitHub issues; say it explicitly so
    # the plan, the request and the grant show the whole permission set.
    perms.setdefault("metadata", "read")
    return dict(sorted(perms.items()))


def parse(entry: CredentialPolicy) -> GitHubOptions:
    """Validate an entry's options; raise OptionError naming the key and the fix."""
    raw: Mapping[str, Any] = entry.options
    for key in raw:
        if key in _FORBIDDEN:
            raise _fail(entry, key, _FORBIDDEN[key])
        if key != "provider" and key not in _KEYS:
            known = ", ".join(sorted(_KEYS))
            hint = did_you_mean(key, _KEYS)
            raise _fail(entry, key, f"unknown key for provider github{hint}; known keys: {known}")
    mode = raw.get("mode")
    if mode is None:
        mode = "app" if raw.get("app_id") is not None else "pat"
    if mode not in MODES:
        raise _fail(entry, "mode", f"choose app or pat, got {mode!r}")
    stray = (_PAT_KEYS if mode == "app" else _APP_KEYS) & set(raw)
    if stray:
        other = "pat" if mode == "app" else "app"
        raise _fail(
            entry, sorted(stray)[0], f"applies to mode: {other} only (this entry is {mode})"
        )
    opts: dict[str, Any] = {
        "mode": mode,
        "repositories": _repositories(entry, raw.get("repositories")),
        "permissions": _permissions(entry, raw.get("permissions")),
    }
    if "api_url" in raw:
        opts["api_url"] = _api_url(entry, raw["api_url"])
    if "name" in raw:
        opts["name"] = _text(entry, "name", raw["name"], NAME_MAX)
    if "description" in raw:
        opts["description"] = _text(entry, "description", raw["description"], DESCRIPTION_MAX)
    if mode == "app":
        _app_options(entry, raw, opts)
    elif "expires_in_days" in raw:
        days = _positive_int(entry, "expires_in_days", raw["expires_in_days"])
        if days > 366:
            raise _fail(entry, "expires_in_days", "GitHub allows 1 to 366 days")
        opts["expires_in_days"] = days
    return GitHubOptions(**opts)


def _app_options(entry: CredentialPolicy, raw: Mapping[str, Any], opts: dict[str, Any]) -> None:
    if raw.get("app_id") is None:
        raise _fail(entry, "app_id", "mode: app needs the GitHub App's numeric id")
    opts["app_id"] = _positive_int(entry, "app_id", raw["app_id"])
    has_file = raw.get("private_key_file") is not None
    has_ring = raw.get("private_key_keyring") is not None
    if has_file == has_ring:
        raise _fail(
            entry,
            "private_key_file",
            "name exactly one of private_key_file (a path to the App's .pem) or "
            "private_key_keyring (a keyring entry holding it)",
        )
    if has_file:
        path = _text(entry, "private_key_file", raw["private_key_file"], 4096)
        if "-----BEGIN" in path:
            raise _fail(entry, "private_key_file", _FORBIDDEN["private_key"])
        opts["private_key_file"] = path
    else:
        opts["private_key_keyring"] = _text(
            entry, "private_key_keyring", raw["private_key_keyring"], 256
        )
    if raw.get("installation_id") is not None:
        opts["installation_id"] = _positive_int(entry, "installation_id", raw["installation_id"])


def brokered_app(entry: CredentialPolicy) -> GitHubOptions | None:
    """The GitHub App of a ``mode: broker`` entry that names one (``app_id``), validated.

    The broker then mints the installation tokens itself (scoped to ``repositories``
    and ``permissions``) and refreshes them; None without ``app_id``: the broker
    injects the token pasted in the source env.
    """
    if entry.options.get("app_id") is None:
        return None
    own = {k: v for k, v in entry.options.items() if k not in BROKER_KEYS}
    return parse(replace(entry, options={**own, "mode": "app"}))


def normalise(opts: GitHubOptions) -> dict[str, Any]:
    """Return the canonical options dict (what validate() stores back into the entry)."""
    out: dict[str, Any] = {
        "mode": opts.mode,
        "repositories": list(opts.repositories),
        "permissions": dict(opts.permissions),
    }
    if opts.api_url != DEFAULT_API_URL:
        out["api_url"] = opts.api_url
    for key in (
        "app_id",
        "private_key_file",
        "private_key_keyring",
        "installation_id",
        "expires_in_days",
        "name",
        "description",
    ):
        value = getattr(opts, key)
        if value is not None:
            out[key] = value
    return out


def high_risk(opts: GitHubOptions) -> tuple[str, ...]:
    """Return the requested permissions that can change code execution, access or secrets."""
    risky = [p for p in opts.permissions if p in HIGH_RISK]
    if opts.permissions.get("contents") == "write":
        risky.insert(0, "contents")
    return tuple(risky)


# ----------------------------------------------------------------------------- PAT URL


def is_enterprise_server(api_url: str) -> bool:
    """True for a GitHub Enterprise Server API root (``https://HOST/api/v3``)."""
    return urlsplit(api_url).path.rstrip("/").endswith("/api/v3")


def web_url(api_url: str) -> str:
    """Return the web UI root for an API root (api.github.com -> github.com; GHES /api/v3)."""
    parts = urlsplit(api_url)
    if parts.hostname == "api.github.com":
        return "https://github.com"
    path = parts.path.rstrip("/")
    if is_enterprise_server(api_url):
        path = path[: -len("/api/v3")]
    return f"{parts.scheme}://{parts.netloc}{path}"


def pat_days(opts: GitHubOptions, ttl_seconds: int) -> int:
    """Days until a pasted PAT should expire: the entry's setting, else the policy ttl (>= 1)."""
    if opts.expires_in_days is not None:
        return opts.expires_in_days
    return max(1, min(366, math.ceil(ttl_seconds / 86400)))


def token_name(opts: GitHubOptions, agent: str, variable: str) -> str:
    """The token's name on GitHub: the entry's ``name`` or ``agentauth-<agent>-<VAR>``."""
    if opts.name:
        return opts.name
    return f"agentauth-{agent}-{variable}"[:NAME_MAX]


def prefill_url(opts: GitHubOptions, *, agent: str, variable: str, days: int) -> str:
    """Return the pre-filled fine-grained token creation URL for this entry.

    GitHub takes name, description, target_name (the owner), expires_in and one
    ``<permission>=<level>`` per permission; repositories cannot be pre-selected.
    """
    description = (
        opts.description
        or (f"agentauth: {agent} for {', '.join(opts.repositories)}")[:DESCRIPTION_MAX]
    )
    params: list[tuple[str, str]] = [
        ("name", token_name(opts, agent, variable)),
        ("description", description),
        ("target_name", opts.owner),
        ("expires_in", str(days)),
    ]
    params.extend((k, v) for k, v in opts.permissions.items() if k != "metadata")
    return f"{web_url(opts.api_url)}/settings/personal-access-tokens/new?{urlencode(params)}"


def settings_url(api_url: str) -> str:
    """Where the user lists and deletes fine-grained tokens."""
    return f"{web_url(api_url)}/settings/personal-access-tokens"
