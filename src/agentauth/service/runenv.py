"""The child's environment of ``agentauth run``: pure rules, tested without a process.

:func:`build_child_env` computes what the agent gets: a small allowlist of the
parent's variables with every credential dropped, the variables of ``.env.ai``, the
credentials minted for this run, and the ``AGENTAUTH_AGENT`` marker.
:func:`read_env_ai` reads ``.env.ai`` without python-dotenv on the everyday path.
Imports nothing heavy: it is on ``run``'s start-up path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from agentauth.engine import credentials
from agentauth.errors import UsageError

if TYPE_CHECKING:
    from agentauth.secret import Secret

MARKER = "AGENTAUTH_AGENT"
"""Set in the child to the agent's name; a second ``agentauth run`` inside refuses to start."""
EXPIRATION = "AGENTAUTH_EXPIRATION"
"""Set in the child to the earliest expiry (ISO-8601, UTC) of the credentials it was given."""
INHERIT_MODES = ("none", "core", "all")

CORE_ALLOW: tuple[str, ...] = (
    "PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "COLORTERM", "TERM_PROGRAM",
    "LANG", "LANGUAGE", "LC_*", "TZ", "TMPDIR", "TEMP", "TMP", "SSH_AUTH_SOCK",
    "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY",
    "http_proxy", "https_proxy", "no_proxy", "all_proxy",
    "XDG_*", "NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES",
    "EDITOR", "VISUAL", "PAGER", "DISPLAY", "WAYLAND_DISPLAY", "AGENTAUTH_HOME",
    "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE",
    "NODE_EXTRA_CA_CERTS", "AWS_CA_BUNDLE", "GIT_SSL_CAINFO",
)  # fmt: skip
"""What ``--inherit core`` keeps of the parent environment (glob patterns), credentials excepted."""

RESERVED = frozenset({"PATH", "HOME", "PS1", "PS2", MARKER, EXPIRATION})
"""Names ``.env.ai`` may not set: the child's search path, home and our own markers."""

_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_BARE_CHARS = _NAME_CHARS | frozenset("./:@%+,=-")


class EnvOptions(NamedTuple):
    """What :func:`build_child_env` keeps of the parent environment."""

    agent: str = "agent"
    inherit: str = "core"
    """``none`` (nothing), ``core`` (:data:`CORE_ALLOW`) or ``all`` (everything but credentials)."""
    allow: tuple[str, ...] = ()
    """Extra names or glob patterns to keep; an exact name passes even a credential."""
    expiration: str | None = None


class ChildEnv(NamedTuple):
    """The child's environment and what was left out of it (names only)."""

    env: dict[str, str]
    dropped: tuple[str, ...]
    """Parent variables left out because they hold credentials."""
    not_inherited: tuple[str, ...]
    """Parent variables left out because the inherit mode does not keep them."""
    passed: tuple[str, ...]
    """Credentials passed anyway because ``--allow`` named them exactly."""
    ignored: tuple[str, ...]
    """``.env.ai`` names that may not be set (PATH, HOME, the markers)."""


def _match(name: str, pattern: str) -> bool:
    if not any(c in pattern for c in "*?["):
        return name == pattern
    if pattern.endswith("*") and not any(c in pattern[:-1] for c in "*?["):
        return name.startswith(pattern[:-1])
    import fnmatch

    return fnmatch.fnmatchcase(name, pattern)


def _matches(name: str, patterns: Iterable[str]) -> bool:
    return any(_match(name, p) for p in patterns)


def build_child_env(
    parent_env: Mapping[str, str],
    env_ai_entries: Sequence[tuple[str, str]],
    minted: Mapping[str, Secret | str],
    options: EnvOptions,
    *,
    is_credential: Callable[[str, str], bool] = credentials.looks_like_credential,
) -> ChildEnv:
    """Compute the child's environment; pure, so every rule is tested without a process.

    Precedence, lowest first: the kept parent variables, ``.env.ai``, the minted
    credentials, then ``AGENTAUTH_AGENT`` and ``AGENTAUTH_EXPIRATION``.
    """
    if options.inherit not in INHERIT_MODES:
        raise UsageError(f"--inherit must be one of {', '.join(INHERIT_MODES)}")
    keep_patterns: tuple[str, ...] = options.allow
    if options.inherit == "core":
        keep_patterns = CORE_ALLOW + options.allow
    env: dict[str, str] = {}
    dropped: list[str] = []
    not_inherited: list[str] = []
    passed: list[str] = []
    for name, value in parent_env.items():
        wanted = options.inherit == "all" or _matches(name, keep_patterns)
        if not wanted:
            not_inherited.append(name)
            continue
        if name in (MARKER, EXPIRATION):
            continue
        if is_credential(name, value):
            if name in options.allow:
                passed.append(name)
            else:
                dropped.append(name)
                continue
        env[name] = value
    ignored: list[str] = []
    for name, value in env_ai_entries:
        if name in RESERVED:
            ignored.append(name)
            continue
        env[name] = value
    for name, secret in minted.items():
        env[name] = secret if isinstance(secret, str) else secret.reveal()
    env[MARKER] = options.agent
    if options.expiration:
        env[EXPIRATION] = options.expiration
    return ChildEnv(env, tuple(dropped), tuple(not_inherited), tuple(passed), tuple(ignored))


# --------------------------------------------------------------------------- .env.ai


def _is_name(text: str) -> bool:
    return bool(text) and not text[0].isdigit() and all(c in _NAME_CHARS for c in text)


def _unquote_single(raw: str) -> str | None:
    """Return the value of a single-quoted ``.env.ai`` value, or None if it is not that form."""
    if len(raw) < 2 or raw[0] != "'" or raw[-1] != "'":
        return None
    out: list[str] = []
    body = raw[1:-1]
    i = 0
    while i < len(body):
        char = body[i]
        if char == "\\":
            if i + 1 < len(body) and body[i + 1] in "\\'":
                out.append(body[i + 1])
                i += 2
                continue
            return None
        if char == "'":
            return None
        out.append(char)
        i += 1
    return "".join(out)


def read_env_ai(path: Path) -> list[tuple[str, str]]:
    """Read ``.env.ai`` into (name, value) pairs, in file order.

    The file is written by ``envwrite`` in a strict subset of the dotenv syntax
    (bare or single-quoted values); that subset is read here without importing
    python-dotenv. Anything outside it (a hand edit) goes through the full parser
    in :mod:`agentauth.config.envfile`, so both always agree.
    """
    from agentauth.fsutil import read_text

    try:  # NOTE: the safe reader: a FIFO or device in place of .env.ai is refused
        text = read_text(path, what=".env.ai (run `agentauth provision` again)")
    except FileNotFoundError:
        return []
    pairs: list[tuple[str, str]] = []
    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        name, eq, raw = line.rstrip("\r").partition("=")
        if not eq or not _is_name(name):
            return _read_env_ai_full(text)
        if all(c in _BARE_CHARS for c in raw):
            pairs.append((name, raw))
            continue
        value = _unquote_single(raw)
        if value is None or "${" in raw:
            return _read_env_ai_full(text)
        pairs.append((name, value))
    return pairs


def _read_env_ai_full(text: str) -> list[tuple[str, str]]:
    from agentauth.config import envfile

    return [
        (e.key, e.value) for e in envfile.parse(text) if e.key is not None and e.value is not None
    ]
