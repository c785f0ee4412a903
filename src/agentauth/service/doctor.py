"""``agentauth doctor``: is this machine set up so that the agent only gets scoped credentials?

Each check returns a :class:`Check` (ok, warn, fail or info) with the fix in one line;
the CLI renders them as a list or as JSON. ``fail`` means a credential is exposed
right now (a tracked ``.env.ai``, a failed revocation); ``warn`` means a gap to close.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from agentauth.agents.registry import AGENTS
from agentauth.engine import credentials
from agentauth.errors import AgentAuthError
from agentauth.project import POLICY_FILE, find_root
from agentauth.service import envrisk, guard
from agentauth.service.runenv import MARKER

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Check:
    """The outcome of one check; ``fix`` is a command or a sentence, never a secret."""

    id: str
    status: str
    """``ok``, ``warn``, ``fail`` or ``info``."""
    summary: str
    fix: str = ""


@dataclass(frozen=True)
class DoctorReport:
    """Every check, in display order."""

    root: Path
    checks: tuple[Check, ...]

    @property
    def failed(self) -> bool:
        """True when any check failed (the command then exits 1)."""
        return any(c.status == "fail" for c in self.checks)

    def to_json(self) -> dict[str, object]:
        """Return the ``doctor --format json`` document."""
        counts: dict[str, int] = {}
        for check in self.checks:
            counts[check.status] = counts.get(check.status, 0) + 1
        return {
            "schema_version": SCHEMA_VERSION,
            "root": str(self.root),
            "checks": [
                {"id": c.id, "status": c.status, "summary": c.summary, "fix": c.fix}
                for c in self.checks
            ],
            "summary": counts,
        }


def _keyring() -> Check:
    from agentauth.state.secretstore import FILE_BACKEND, backend_name, is_secure

    try:
        name = backend_name()
    except Exception as exc:
        return Check("keyring", "warn", f"keyring backend failed to load: {type(exc).__name__}",
                     "see `agentauth lock --help` for the options")  # fmt: skip
    if is_secure(name):
        return Check("keyring", "ok", f"keyring backend {name} (secure)")
    return Check(
        "keyring",
        "warn",
        f"no secure keyring backend ({name}): `agentauth lock` cannot move secrets out of .env",
        f"headless: export PYTHON_KEYRING_BACKEND={FILE_BACKEND} (agentauth's 0600 file "
        "store, no prompt); or start a Secret Service (dbus-run-session + "
        "gnome-keyring-daemon --unlock)",
    )


def _policy(root: Path) -> tuple[Check, str, str]:
    path = root / POLICY_FILE
    if not path.exists():
        return (
            Check("policy", "warn", f"no {POLICY_FILE}", "agentauth init"),
            ".env.ai",
            "agent",
        )
    from agentauth.config.policy import load_policy

    try:
        policy = load_policy(path)
    except AgentAuthError as exc:
        return Check("policy", "fail", f"{POLICY_FILE} does not load: {exc}", ""), ".env.ai", ""
    entries = len(policy.credentials)
    return (
        Check("policy", "ok", f"{POLICY_FILE}: agent {policy.agent!r}, {entries} credentials"),
        policy.output,
        policy.agent,
    )


def _git(root: Path, *args: str) -> int | None:
    from agentauth import gitcmd

    return gitcmd.returncode(root, *args)


def _env_ai(root: Path, output: str) -> Check:
    path = root / output
    if not path.exists():
        return Check("env-ai", "warn", f"{output} does not exist: the agent has no credentials",
                     "agentauth provision")  # fmt: skip
    if _git(root, "rev-parse", "--is-inside-work-tree") != 0:
        mode = path.stat().st_mode & 0o777
        status = "ok" if mode & 0o077 == 0 else "warn"
        return Check("env-ai", status, f"{output} exists (mode {mode:o}; not a git repository)",
                     "" if status == "ok" else f"chmod 600 {output}")  # fmt: skip
    if _git(root, "ls-files", "--error-unmatch", "--", output) == 0:
        return Check("env-ai", "fail", f"git tracks {output}: the agent's credentials are in git",
                     f"git rm --cached {output}, commit, then agentauth provision")  # fmt: skip
    if _git(root, "check-ignore", "-q", "--", output) != 0:
        return Check("env-ai", "warn", f"{output} is not git-ignored",
                     f"echo /{output} >> .gitignore")  # fmt: skip
    return Check("env-ai", "ok", f"{output} exists and is git-ignored")


def _env_files(root: Path, engine: credentials.Judge) -> list[Check]:
    checks: list[Check] = []
    candidates = envrisk.agent_loaded_files(root)
    try:
        names = sorted(os.listdir(root))
    except OSError:
        names = []
    for name in names:
        template = name.endswith((".example", ".sample", ".template", ".dist"))
        wanted = name.startswith(".env.") and name != ".env.ai" and not template
        if wanted and root / name not in candidates:
            candidates.append(root / name)
    at_risk = 0
    for path in candidates:
        risks = envrisk.scan_env_file(path, engine)
        live = [r.variable for r in risks if r.live]
        if live:
            at_risk += 1
            loads = path.name in envrisk.AGENT_LOADED_FILES or path.name.startswith(
                ".env.development"
            )
            how = "agents load it by themselves" if loads else "an agent can read it"
            checks.append(
                Check(
                    f"env-file:{path.name}",
                    "warn",
                    f"{path.name} holds live credentials ({', '.join(live)}); {how}",
                    "agentauth lock"
                    if path.name == ".env"
                    else f"agentauth lock --file {path.name}",
                )
            )
    if not at_risk:
        checks.append(Check("env-files", "ok", "no live credentials in the project's env files"))
    return checks


def _tools(root: Path, engine: credentials.Judge) -> list[Check]:
    checks: list[Check] = []
    tools = guard.detect_tools(root)
    if not tools:
        checks.append(Check("tools", "info", "no agent tool configuration found "
                            f"({', '.join(AGENTS)})"))  # fmt: skip
    hooks = guard.hook_problems(root)
    for tool in tools:
        if guard.guarded(root, tool):
            probed, problems = hooks.get(tool, (0, []))
            hooked = probed and not problems
            proof = " (the hook blocks a `cat .env` probe)" if hooked else ""
            checks.append(Check(f"tool:{tool}", "ok", f"{tool}: guarded{proof}"))
        else:
            checks.append(Check(f"tool:{tool}", "warn", f"{tool}: in use but not guarded",
                                f"agentauth guard --tool {tool}"))  # fmt: skip
    for tool, (_probed, problems) in hooks.items():
        if problems:
            checks.append(Check(f"tool:{tool}:hook", "fail",
                                "the guard hook does not block: " + "; ".join(problems),
                                f"agentauth guard --tool {tool} (writes the hook with an "
                                "absolute path)"))  # fmt: skip
    for relative, servers in guard.mcp_literal_servers(root, engine).items():
        checks.append(
            Check(
                f"mcp:{relative}",
                "warn",
                f"{relative}: literal secrets in the env of {', '.join(servers)}",
                "agentauth guard (moves them to the keyring, wraps the servers in agentauth run)",
            )
        )
    wrappers, broken = guard.mcp_wrapper_problems(root)
    if broken:
        checks.append(Check("mcp-wrappers", "fail", "an MCP wrapper cannot start agentauth: "
                            + "; ".join(broken), "agentauth guard (rewrites the wrappers "
                            "with an absolute path)"))  # fmt: skip
    elif wrappers:
        checks.append(Check("mcp-wrappers", "ok", f"{wrappers} MCP wrapper(s) start agentauth "
                            "(each answered `--version`)"))  # fmt: skip
    if shutil.which("agentauth") is None:
        checks.append(Check("path", "warn", "agentauth is not on PATH: the guard hook and MCP "
                            "wrappers cannot start it", "pipx install agentauth"))  # fmt: skip
    return checks


def _grants(root: Path, now: datetime) -> list[Check]:
    from agentauth.model import GrantStatus
    from agentauth.state.ledger import Ledger

    try:
        grants = Ledger(root).grants()
    except AgentAuthError as exc:
        return [Check("grants", "fail", str(exc), "")]
    active = [g for g in grants if g.status is GrantStatus.ACTIVE]
    expired = [g for g in active if g.expires is not None and g.expires <= now]
    failed = [g for g in grants if g.status is GrantStatus.FAILED]
    checks: list[Check] = []
    if expired:
        checks.append(Check("grants-expired", "warn",
                            f"{len(expired)} expired grant(s) still in the ledger: "
                            + ", ".join(f"{g.id} ({g.provider})" for g in expired),
                            "agentauth revoke --expired"))  # fmt: skip
    if failed:
        checks.append(Check("grants-failed", "fail",
                            f"{len(failed)} grant(s) whose revocation failed: "
                            + ", ".join(g.id for g in failed),
                            "agentauth revoke --all (retries them)"))  # fmt: skip
    if not expired and not failed:
        checks.append(Check("grants", "ok", f"{len(active)} active grant(s), none expired"))
    return checks


def _servers(root: Path) -> list[Check]:
    """Database servers the policy names that let anyone in without a password.

    The provider modules own the probes (a login attempt that sends no password);
    a server that does not answer is skipped here (provision reports it).
    """
    from importlib import import_module

    from agentauth.config.policy import load_policy
    from agentauth.service.sourceenv import load_source_env

    probes = {
        "postgres": "agentauth.providers.postgres.trust",
        "redis": "agentauth.providers.redis",
    }
    try:
        policy = load_policy(root / POLICY_FILE)
        if not any(e.provider in probes for e in policy.credentials):
            return []
        env = load_source_env(root, policy)
    except (AgentAuthError, OSError):
        return []
    checks: list[Check] = []
    for entry in policy.credentials:
        value = env.get(entry.variable)
        if entry.provider not in probes or value is None:
            continue
        found = import_module(probes[entry.provider]).doctor_check(value)
        if found is not None:
            status, summary, fix = found
            checks.append(Check(f"server-auth-{entry.variable}", status,
                                f"{entry.variable}: {summary}", fix))  # fmt: skip
    return checks


def diagnose(start: Path, *, now: datetime | None = None) -> DoctorReport:
    """Run every check for the project at (or above) ``start``."""
    root = find_root(start)
    engine = credentials.Judge()
    checks: list[Check] = []
    if os.environ.get(MARKER):
        inside = f"running inside `agentauth run` for agent {os.environ[MARKER]!r}"
        checks.append(Check("session", "info", inside))
    checks.append(_keyring())
    policy_check, output, _agent = _policy(root)
    checks.append(policy_check)
    checks.append(_env_ai(root, output))
    checks.extend(_env_files(root, engine))
    checks.extend(_tools(root, engine))
    checks.extend(_grants(root, now or datetime.now(UTC)))
    checks.extend(_servers(root))
    return DoctorReport(root, tuple(checks))
