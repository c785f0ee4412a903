"""``agentauth run``: start a command with only the scoped environment, supervise it, log it.

The child's environment is built by :func:`build_child_env` (pure): a small
allowlist of the parent's variables with every credential dropped, the variables of
``.env.ai``, the credentials minted for this run, and the ``AGENTAUTH_AGENT`` marker.
:class:`Supervisor` spawns the child, forwards signals and passes its exit status
through. :func:`execute` ties them together with the policy, the ledger, the checks
of the env files an agent would load by itself, and the audit log.

Start-up time is part of the contract (``agentauth run -- true`` must add under
100 ms), so this module imports nothing heavy at the top: no dataclasses, no model,
no YAML, no SDK. The slow paths (a changed policy, minting, ``--inherit all``) import
what they need when they need it, and their answers are cached by file stat.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Protocol

from agentauth.errors import AgentAuthError, ConfigError, UsageError
from agentauth.service import envrisk
from agentauth.service.supervisor import InterruptPolicy, Supervisor, which

if TYPE_CHECKING:
    from agentauth.model import Secret

MARKER = "AGENTAUTH_AGENT"
"""Set in the child to the agent's name; a second ``agentauth run`` inside refuses to start."""
EXPIRATION = "AGENTAUTH_EXPIRATION"
"""Set in the child to the earliest expiry (ISO-8601, UTC) of the credentials it was given."""
POLICY_FILE = "agentauth.yaml"
DEFAULT_AGENT = "agent"
DEFAULT_OUTPUT = ".env.ai"
DEFAULT_SOURCE = ".env"
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


_RENEW_MARGIN_S = 300
_MINTING = {"aws": lambda o: o.get("mode") != "user", "github": lambda o: o.get("mode") == "app"}
_LEDGER_FILE = "ledger.json"
_CACHE_FILE = "run-cache.json"
_AUDIT_LOG = "audit.log"
_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_BARE_CHARS = _NAME_CHARS | frozenset("./:@%+,=-")


class Observer(Protocol):
    """Where ``run`` reports what the user should know; the CLI prints to stderr."""

    def warn(self, message: str) -> None:
        """Report a problem that does not stop the run (already free of secrets)."""
        ...

    def verbose(self, message: str) -> None:
        """Report a detail shown only with ``-v`` (names, never values)."""
        ...


class _Silent:
    def warn(self, message: str) -> None:
        return None

    def verbose(self, message: str) -> None:
        return None


class EnvOptions(NamedTuple):
    """What :func:`build_child_env` keeps of the parent environment."""

    agent: str = DEFAULT_AGENT
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
    is_credential: Callable[[str, str], bool] = envrisk.looks_like_credential,
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
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}; run `agentauth provision` again") from None
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


# --------------------------------------------------------------------------- project state


class PolicySummary(NamedTuple):
    """The few policy facts ``run`` needs, cached so that YAML is parsed only when it changes."""

    agent: str = DEFAULT_AGENT
    output: str = DEFAULT_OUTPUT
    source: str = DEFAULT_SOURCE
    present: bool = False


class GrantInfo(NamedTuple):
    """A ledger grant as ``run`` sees it (read from the ledger's JSON without the model)."""

    id: str
    provider: str
    expires: str | None
    outputs: tuple[str, ...]
    mints: bool


def find_project_root(start: Path) -> Path:
    """Return the nearest directory (``start`` or a parent, up to HOME) with ``agentauth.yaml``.

    Agents are often started in a sub-folder; without a policy anywhere up to the
    home directory, ``start`` itself is the project.
    """
    home = Path(os.environ.get("HOME", "/")).resolve()
    current = start
    while True:
        if (current / POLICY_FILE).is_file():
            return current
        if current == home or current.parent == current:
            return start
        current = current.parent


def _stat_key(path: Path) -> list[int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_size, st.st_ino]


class RunCache:
    """Answers of the slow paths keyed by the stat of the files they came from; never a secret.

    Why stat and not a content hash: a hash of a file of secrets is itself derived
    from the secrets. Modification time (ns), size and inode change whenever the file does.
    """

    def __init__(self, state_dir: Path) -> None:
        """Read the cache of one project (a missing or damaged file is an empty cache)."""
        self.path = state_dir / _CACHE_FILE
        self._data: dict[str, dict[str, object]] = {}
        self._dirty = False
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(loaded, dict):
                self._data = {k: v for k, v in loaded.items() if isinstance(v, dict)}
        except (OSError, ValueError):
            self._data = {}

    def get(self, key: str, stat: list[int] | None) -> dict[str, object] | None:
        """Return the entry for ``key`` if it was stored for the same file stat."""
        entry = self._data.get(key)
        if entry is None or stat is None or entry.get("stat") != stat:
            return None
        return entry

    def put(self, key: str, stat: list[int] | None, value: dict[str, object]) -> None:
        """Remember ``value`` for ``key`` at ``stat`` (written by :meth:`save`)."""
        if stat is None:
            return
        self._data[key] = {"stat": stat, **value}
        self._dirty = True

    def save(self) -> None:
        """Write the cache atomically; a failure only costs speed next time."""
        if not self._dirty:
            return
        from agentauth import fsutil

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fsutil.write_atomic(self.path, json.dumps(self._data), durable=False)
        except OSError:
            pass


def policy_summary(root: Path, cache: RunCache) -> PolicySummary:
    """Return agent, output and source of the project's policy (defaults when there is none)."""
    path = root / POLICY_FILE
    stat = _stat_key(path)
    if stat is None:
        return PolicySummary()
    hit = cache.get("policy", stat)
    if hit is not None:
        return PolicySummary(str(hit["agent"]), str(hit["output"]), str(hit["source"]), True)
    from agentauth.config.policy import load_policy

    policy = load_policy(path)
    summary = PolicySummary(policy.agent, policy.output, policy.source, True)
    cache.put("policy", stat, {"agent": summary.agent, "output": summary.output,
                               "source": summary.source})  # fmt: skip
    return summary


def ledger_grants(state_dir: Path, agent: str, now: float) -> list[GrantInfo]:
    """Return the agent's active, unexpired grants from the ledger file.

    Read as plain JSON (the ledger's documented on-disk form) so that ``run`` does
    not import the model; a damaged ledger is reported by ``status``, not here.
    """
    try:
        data = json.loads((state_dir / _LEDGER_FILE).read_text(encoding="utf-8"))
        raw = data.get("grants", []) if isinstance(data, dict) else []
    except (OSError, ValueError):
        return []
    from datetime import datetime

    found: list[GrantInfo] = []
    for item in raw:
        if not isinstance(item, dict) or item.get("agent") != agent:
            continue
        if item.get("status") != "active":
            continue
        expires = item.get("expires")
        if expires:
            try:
                if datetime.fromisoformat(str(expires)).timestamp() <= now:
                    continue
            except ValueError:
                continue
        objects = item.get("objects") or {}
        if not isinstance(objects, dict):
            objects = {}
        provider = str(item.get("provider", ""))
        mints = provider in _MINTING and bool(_MINTING[provider](objects))
        outputs = tuple(str(o) for o in objects.get("env_outputs", ()) or ())
        found.append(GrantInfo(str(item.get("id")), provider, expires, outputs, mints))
    return found


def iso_utc(timestamp: float) -> str:
    """Return ``timestamp`` as ISO-8601 UTC with a ``Z`` (the aws-vault spelling)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


def _parse_iso(text: str) -> float | None:
    from datetime import UTC, datetime

    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def earliest_expiry(
    grants: Sequence[GrantInfo], variables: Mapping[str, str], now: float
) -> float | None:
    """Return the earliest expiry among the grants and any ``*_EXPIRATION`` variable."""
    stamps: list[float] = []
    for grant in grants:
        if grant.expires:
            parsed = _parse_iso(grant.expires)
            if parsed is not None:
                stamps.append(parsed)
    for name, value in variables.items():
        if name.endswith("_EXPIRATION") and name != EXPIRATION:
            parsed = _parse_iso(value)
            if parsed is not None:
                stamps.append(parsed)
    return min(stamps) if stamps else None


def needs_minting(grants: Sequence[GrantInfo], env_ai: Mapping[str, str], now: float) -> bool:
    """True when a grant mints per run and ``.env.ai`` holds no fresh credential for it.

    AWS sessions written by ``provision`` carry ``AWS_CREDENTIAL_EXPIRATION``; one
    more than five minutes from expiry is reused. GitHub installation tokens always
    mint (their expiry is not in the file).
    """
    for grant in grants:
        if not grant.mints:
            continue
        present = all(name in env_ai for name in grant.outputs) if grant.outputs else False
        if grant.provider == "aws" and present:
            expiry = _parse_iso(env_ai.get("AWS_CREDENTIAL_EXPIRATION", ""))
            if expiry is not None and expiry - now > _RENEW_MARGIN_S:
                continue
        return True
    return False


def env_file_risks(
    directories: Iterable[Path], cache: RunCache, engine_factory: Callable[[], envrisk.Engine]
) -> dict[str, list[str]]:
    """Return {file: [variables]} of live credentials in env files an agent loads by itself.

    The classification (the audit engine) runs only when a file changed since the
    last run; the cached answer is a list of variable names.
    """
    engine: envrisk.Engine | None = None
    result: dict[str, list[str]] = {}
    seen: set[Path] = set()
    for directory in directories:
        for path in envrisk.agent_loaded_files(directory):
            resolved = path.resolve()
            if resolved in seen:
                continue
            seen.add(resolved)
            stat = _stat_key(path)
            key = f"envrisk:{resolved}"
            hit = cache.get(key, stat)
            if hit is not None:
                live = [str(v) for v in hit.get("live", []) or []]  # type: ignore[attr-defined]
            else:
                if engine is None:
                    engine = engine_factory()
                live = [r.variable for r in envrisk.scan_env_file(path, engine) if r.live]
                cache.put(key, stat, {"live": live})
            if live:
                result[str(path)] = live
    return result


# --------------------------------------------------------------------------- orchestration


class RunRequest(NamedTuple):
    """Everything ``agentauth run`` was asked to do."""

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


Minter = Callable[[Path, str], Mapping[str, "Secret"]]


def default_minter(root: Path, policy_file: str) -> Mapping[str, Secret]:
    """Mint through the provisioning service (imports the policy, the ledger, the SDKs)."""
    from agentauth.config.policy import load_policy
    from agentauth.service.provision import build_context, mint_for_run

    policy = load_policy(root / policy_file)
    ctx = build_context(root, policy)
    return mint_for_run(root, policy, ctx)


def _audit(root: Path, event: str, agent: str, **fields: object) -> None:
    from agentauth.state import auditlog

    auditlog.append(root, event, agent=agent, **fields)


def _engine() -> envrisk.Engine:
    return envrisk.Engine()


def _resolve_refs(refs: Sequence[tuple[str, str]]) -> dict[str, str]:
    from agentauth.service.lock import resolve_reference

    return {name: resolve_reference(ref, f"--env {name}").reveal() for name, ref in refs}


def execute(
    request: RunRequest,
    observer: Observer | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    minter: Minter = default_minter,
    interactive: bool | None = None,
    audit: Callable[..., None] = _audit,
    engine_factory: Callable[[], envrisk.Engine] = _engine,
) -> int:
    """Run ``request.command`` as ``agentauth run`` does and return its exit code.

    Raises UsageError for nesting, an empty or unknown command; ConfigError for
    ``--strict`` with live credentials in an env file the agent would load.
    """
    say = observer or _Silent()
    parent = dict(os.environ if environ is None else environ)
    if not request.command:
        raise UsageError("nothing to run; write the command after --, e.g. agentauth run -- claude")
    outer = parent.get(MARKER)
    if outer and (request.human or not request.allow_nested):
        what = "agentauth run --human" if request.human else "agentauth run"
        raise UsageError(
            f"already inside `agentauth run` for agent {outer!r}; refusing to start "
            f"`{what}` from inside an agent's session. Run it from your own "
            "shell" + ("" if request.human else " (MCP wrappers pass --allow-nested)")
        )
    executable = which(request.command[0], parent.get("PATH"))
    if executable is None:
        raise UsageError(f"command not found: {request.command[0]}; check the name and PATH")
    from agentauth.state import paths

    root = find_project_root(request.cwd)
    state = paths.project_dir(root)
    cache = RunCache(state)
    summary = policy_summary(root, cache)
    agent = request.agent or summary.agent
    if request.human:
        return _execute_human(request, root, summary, parent, executable, say, interactive, audit)
    now = time.time()
    risks = env_file_risks(dict.fromkeys([request.cwd, root]), cache, engine_factory)
    cache.save()
    if risks:
        listing = "; ".join(f"{Path(p).name}: {', '.join(v)}" for p, v in risks.items())
        message = (
            f"live credentials in env files the agent can read or load by itself ({listing}). "
            "Fix: `agentauth lock` moves them to the OS keyring, then `agentauth guard`"
        )
        if request.strict:
            raise ConfigError(f"--strict: {message}")
        say.warn(message)
    env_ai = read_env_ai(root / summary.output)
    env_ai_map = dict(env_ai)
    if summary.present and not env_ai:
        say.warn(f"{summary.output} is missing or empty: the agent gets no credentials "
                 "(run `agentauth provision`)")  # fmt: skip
    grants = ledger_grants(state, agent, now)
    minted: Mapping[str, Secret | str] = {}
    if summary.present and needs_minting(grants, env_ai_map, now):
        minted = minter(root, POLICY_FILE)
    if request.refs:
        minted = {**minted, **_resolve_refs(request.refs)}
    revealed = {k: v if isinstance(v, str) else v.reveal() for k, v in minted.items()}
    expiry = earliest_expiry(grants, {**env_ai_map, **revealed}, now)
    if expiry is not None and expiry <= now:
        say.warn(f"the scoped credentials expired at {iso_utc(expiry)}; run `agentauth provision`")
    options = EnvOptions(
        agent=agent,
        inherit=request.inherit,
        allow=request.allow,
        expiration=iso_utc(expiry) if expiry is not None else None,
    )
    check: Callable[[str, str], bool] = envrisk.looks_like_credential
    if request.inherit == "all":
        engine = engine_factory()

        def check(name: str, value: str) -> bool:
            return engine.is_credential(name, value, file="<environ>", environ=True)

    child = build_child_env(parent, env_ai, minted, options, is_credential=check)
    _report(child, request, say, parent)
    used = [g.id for g in grants if not g.outputs or any(o in child.env for o in g.outputs)]
    command = os.path.basename(request.command[0])
    for name in child.passed:
        audit(root, "pass", agent, variable=name, via="run --allow")
    audit(root, "run-start", agent, command=command, grants=used, inherit=request.inherit,
          dropped=list(child.dropped), minted=sorted(minted))  # fmt: skip
    started = time.monotonic()
    code: int | None = None
    try:
        code = _supervise(executable, request.command, child.env, interactive)
        return code
    finally:
        audit(root, "run-end", agent, command=command, grants=used, exit_code=code,
              duration_s=round(time.monotonic() - started, 3))  # fmt: skip


def _supervise(
    executable: str, argv: Sequence[str], env: Mapping[str, str], interactive: bool | None
) -> int:
    tty = sys.stdin.isatty() if interactive is None else interactive
    try:
        return Supervisor(InterruptPolicy(tty)).run(executable, argv, env)
    except OSError as exc:
        raise UsageError(f"cannot start {argv[0]}: {exc.strerror}") from None


def _report(child: ChildEnv, request: RunRequest, say: Observer, parent: Mapping[str, str]) -> None:
    for name in child.passed:
        say.warn(f"passing {name} from your environment because --allow named it (logged)")
    for name in child.ignored:
        say.warn(f".env.ai may not set {name}; ignored")
    command = os.path.basename(request.command[0])
    agent_keys = {"claude": "ANTHROPIC_API_KEY", "codex": "OPENAI_API_KEY"}
    key = agent_keys.get(command)
    if key and key in child.dropped:
        say.warn(f"{key} was dropped; if {command} needs it, add `--allow {key}` "
                 "or `" + key + ": pass` in agentauth.yaml")  # fmt: skip
    if not request.verbose:
        return
    if child.dropped:
        say.verbose(f"dropped credentials: {', '.join(sorted(child.dropped))}")
    else:
        say.verbose("dropped credentials: none")
    if child.not_inherited:
        creds = [n for n in child.not_inherited if envrisk.looks_like_credential(n, parent[n])]
        others = [n for n in child.not_inherited if n not in set(creds)]
        if creds:
            say.verbose(f"not inherited (credentials): {', '.join(sorted(creds))}")
        say.verbose(
            f"not inherited (--inherit {request.inherit}): "
            f"{', '.join(sorted(others)) if others else 'none'}"
        )
    say.verbose(f"child environment: {', '.join(sorted(child.env))}")


def _execute_human(
    request: RunRequest,
    root: Path,
    summary: PolicySummary,
    parent: Mapping[str, str],
    executable: str,
    say: Observer,
    interactive: bool | None,
    audit: Callable[..., None],
) -> int:
    """``run --human``: the developer's own process gets the full env with references resolved."""
    from agentauth.service.lock import resolve_env_file

    source = root / summary.source
    resolved = resolve_env_file(source) if source.exists() else {}
    env = dict(parent)
    env.update({name: secret.reveal() for name, secret in resolved.items()})
    env.pop(MARKER, None)
    if request.verbose:
        say.verbose(f"loaded from {summary.source}: {', '.join(sorted(resolved)) or 'nothing'}")
    command = os.path.basename(request.command[0])
    audit(root, "run-start", "human", command=command, human=True, variables=sorted(resolved))
    started = time.monotonic()
    code: int | None = None
    try:
        code = _supervise(executable, request.command, env, interactive)
        return code
    finally:
        audit(root, "run-end", "human", command=command, exit_code=code, human=True,
              duration_s=round(time.monotonic() - started, 3))  # fmt: skip


def describe_error(exc: BaseException) -> str:
    """Return the one-line message for an AgentAuthError (the fast CLI path prints it)."""
    return str(exc) if isinstance(exc, AgentAuthError) else type(exc).__name__
