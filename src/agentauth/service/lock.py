"""``agentauth lock``/``unlock``: move the developer's secrets between ``.env`` and the keyring.

``lock`` is the one place where agentauth rewrites the developer's source env file,
because the user asked for exactly that. Each secret value is replaced by a
reference, ``agentauth-keyring:<project slug>/<VAR>``, that ``run --human`` and
``provision`` resolve. The order of operations is the safety argument: every value
is stored *and read back* from the keyring before the file is touched; the new text
is parsed again and compared with the old, entry by entry, before it replaces the
file atomically; untouched lines are copied byte for byte (comments, ``export``,
quoting, CRLF, a BOM). There is no plaintext backup, and no fallback to a plaintext
keyring backend: without a secure backend it stops and explains the options.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from agentauth import fsutil
from agentauth.config import envfile, references
from agentauth.config.references import KEYRING_PREFIX, keyring_entry
from agentauth.engine import credentials
from agentauth.errors import ConfigError
from agentauth.model import Secret
from agentauth.redact import mask
from agentauth.state import paths
from agentauth.state.secretstore import SecretStore, require_secure

_BOM = "\ufeff"


@dataclass(frozen=True)
class LockItem:
    """One variable ``lock`` moves to the keyring (or ``unlock`` brings back)."""

    variable: str
    lines: tuple[int, ...]
    """Every line that assigns the variable (all are rewritten; the last one is stored)."""
    keyring_name: str
    preview: str
    """The old value masked (lock) or the reference (unlock): safe to print."""
    secret: Secret = field(repr=False, compare=False)


@dataclass(frozen=True)
class LockPlan:
    """What ``lock`` or ``unlock`` will do to one env file; built without changing anything."""

    path: Path
    items: tuple[LockItem, ...]
    old_text: str = field(repr=False)
    new_text: str = field(repr=False)
    kept: tuple[str, ...] = ()
    """Variables left as they are (not credentials, or already references)."""
    notes: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """True when there is nothing to change."""
        return not self.items


def project_slug(project_root: Path) -> str:
    """Return the keyring namespace of a project: its folder name plus a hash of its path."""
    return paths.project_dir(project_root).name


def keyring_name(project_root: Path, variable: str) -> str:
    """Return ``<project slug>/<VAR>``, the keyring entry of one locked variable."""
    return f"{project_slug(project_root)}/{variable}"


def require_secure_backend() -> None:
    """Raise ConfigError when the backend would store nothing or plaintext (the CLI says how)."""
    require_secure()


# --------------------------------------------------------------------------- text surgery


def _value_span(original: str, key: str) -> tuple[int, int, str] | None:
    """Return (start, end, quote) of the value text inside one binding's original text."""
    head = re.match(r"^[ \t]*(?:export[ \t]+)?" + re.escape(key) + r"[ \t]*[=:][ \t]*", original)
    if head is None:
        return None
    start = head.end()
    quote = original[start : start + 1]
    if quote in ("'", '"', "`"):
        i = start + 1
        while i < len(original):
            char = original[i]
            if char == "\\" and quote != "`":
                i += 2
                continue
            if char == quote:
                return start, i + 1, quote
            i += 1
        return None
    line_end = original.find("\n", start)
    first = original[start:] if line_end < 0 else original[start:line_end]
    first = first.rstrip("\r")
    comment = re.search(r"[ \t]+#", first)
    value = first[: comment.start()] if comment else first.rstrip(" \t")
    return start, start + len(value), ""


def _replace_value(original: str, key: str, new_value: str) -> str:
    span = _value_span(original, key)
    if span is None:
        raise ConfigError(f"cannot rewrite the line of {key}; edit it by hand")
    start, end, quote = span
    if quote == "`":
        quote = '"'
    return original[:start] + f"{quote}{new_value}{quote}" + original[end:]


def _check_rewrite(old_text: str, new_text: str, changed: dict[str, str], path: Path) -> None:
    """Refuse a rewrite that changes anything but the intended values."""
    old = [e for e in envfile.parse(old_text) if e.key is not None]
    new = [e for e in envfile.parse(new_text) if e.key is not None]
    if [e.key for e in old] != [e.key for e in new]:
        raise ConfigError(f"rewriting {path} would change its variables; nothing was changed")
    for before, after in zip(old, new, strict=True):
        assert before.key is not None
        if before.key in changed:
            expected = changed[before.key]
            got = after.raw_value if after.raw_value is not None else after.value
            if got != expected and after.value != expected:
                raise ConfigError(
                    f"rewriting {path} would not set {before.key} as intended; nothing was changed"
                )
        elif before.value != after.value:
            raise ConfigError(f"rewriting {path} would change {before.key}; nothing was changed")


def _write_atomic(path: Path, text: str) -> None:
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        mode = 0o600
    try:
        fsutil.write_atomic(path, text, mode=mode)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}; it was not changed") from None


def _refuse_links(path: Path) -> None:
    """Refuse a symlinked or hard-linked env file: rewriting it would leave the secrets behind.

    Replacing a symlink writes a new regular file and leaves the plaintext in the
    target; a hard link keeps the old content under its other name.
    """
    if path.is_symlink():
        raise ConfigError(
            f"{path} is a symlink to {path.resolve()}; the secrets live in the target. "
            f"Run `agentauth lock --file {path.resolve()}` to rewrite the target itself"
        )
    try:
        links = path.stat().st_nlink
    except OSError:
        return
    if links > 1:
        raise ConfigError(
            f"{path} has {links} hard links; the other names would keep the plaintext. "
            "Remove the other links (find . -samefile FILE), then lock again"
        )


def _read(path: Path) -> tuple[str, str]:
    _refuse_links(path)
    text = envfile.read_text(path)
    bom = _BOM if text.startswith(_BOM) else ""
    return bom, text[len(bom) :]


# --------------------------------------------------------------------------- lock


def plan_lock(
    project_root: Path,
    path: Path,
    *,
    only: Sequence[str] = (),
    engine: credentials.Judge | None = None,
) -> LockPlan:
    """Decide which values of ``path`` are secrets and build the rewritten text.

    A value is locked when the audit engine or the name/shape heuristics call it a
    credential (any environment: a test key is still the developer's key); ``only``
    restricts to the named variables. References and empty values are kept.
    """
    engine = engine or credentials.Judge()
    bom, text = _read(path)
    entries = envfile.parse(text)
    wanted = set(only)
    last: dict[str, envfile.EnvEntry] = {}
    lines: dict[str, list[int]] = {}
    kept: list[str] = []
    for entry in entries:
        if entry.key is None or entry.value is None:
            continue
        raw = entry.raw_value if entry.raw_value is not None else entry.value
        if references.is_reference(raw) or not entry.value.strip():
            kept.append(entry.key)
            continue
        if wanted and entry.key not in wanted:
            kept.append(entry.key)
            continue
        secret = wanted or engine.is_credential(entry.key, entry.value, file=path.name)
        if not secret:
            kept.append(entry.key)
            continue
        last[entry.key] = entry
        lines.setdefault(entry.key, []).append(entry.line)
    missing = sorted(wanted - set(last) - set(kept))
    if missing:
        raise ConfigError(f"{path.name} does not assign {', '.join(missing)}; check the names")
    items: list[LockItem] = []
    pieces: list[str] = []
    changed: dict[str, str] = {}
    for entry in entries:
        if entry.key is not None and entry.key in last:
            name = keyring_name(project_root, entry.key)
            reference = KEYRING_PREFIX + name
            pieces.append(_replace_value(entry.original, entry.key, reference))
            changed[entry.key] = reference
        else:
            pieces.append(entry.original)
    for key, entry in last.items():
        assert entry.value is not None
        items.append(
            LockItem(
                key,
                tuple(lines[key]),
                keyring_name(project_root, key),
                mask(entry.value),
                Secret(entry.value),
            )
        )
    new_text = "".join(pieces)
    if items:
        _check_rewrite(text, new_text, changed, path)
    notes: list[str] = []
    from agentauth.config.envwrite import git_tracks

    if items and git_tracks(path, project_root):
        notes.append(
            f"git tracks {path.name}: its history still holds these values; rotate them "
            "(and stop tracking the file)"
        )
    return LockPlan(path, tuple(items), bom + text, bom + new_text, tuple(kept), tuple(notes))


def render_diff(plan: LockPlan, *, unlock: bool = False) -> list[str]:
    """Return the diff of a lock/unlock plan, one line per change, values masked."""
    out = [f"--- {plan.path.name}", f"+++ {plan.path.name}"]
    for item in plan.items:
        where = ",".join(str(n) for n in item.lines)
        reference = KEYRING_PREFIX + item.keyring_name
        if unlock:
            out.append(f"-{where}: {item.variable}={reference}")
            out.append(f"+{where}: {item.variable}={item.preview}  (value from the keyring)")
        else:
            out.append(f"-{where}: {item.variable}={item.preview}")
            out.append(f"+{where}: {item.variable}={reference}")
    return out


def apply_lock(plan: LockPlan, store: SecretStore, *, project_root: Path) -> list[str]:
    """Store every value, read each back, then rewrite the file; return the variables locked.

    If any value cannot be stored or does not read back identical, the file is not
    touched and entries this call created are deleted again.
    """
    if plan.empty:
        return []
    created: list[str] = []
    try:
        for item in plan.items:
            previous = store.get(item.keyring_name)
            store.set(item.keyring_name, item.secret)
            if previous is None:
                created.append(item.keyring_name)
            back = store.get(item.keyring_name)
            if back is None or back.reveal() != item.secret.reveal():
                raise ConfigError(
                    f"the keyring did not return {item.variable} as stored; "
                    f"{plan.path.name} was not changed"
                )
        if envfile.read_text(plan.path) != plan.old_text:
            raise ConfigError(f"{plan.path.name} changed while locking; run `agentauth lock` again")
        _write_atomic(plan.path, plan.new_text)
    except BaseException:
        for name in created:
            # NOTE: best effort; the file is unchanged anyway.
            with contextlib.suppress(Exception):
                store.delete(name)
        raise
    from agentauth.state import auditlog

    variables = [item.variable for item in plan.items]
    auditlog.append(
        project_root, "lock", agent="human", file=plan.path.name, variables=variables, action="lock"
    )
    return variables


# --------------------------------------------------------------------------- unlock


def plan_unlock(
    project_root: Path, path: Path, store: SecretStore, *, only: Sequence[str] = ()
) -> LockPlan:
    """Build the text with every ``agentauth-keyring:`` reference replaced by its value."""
    from agentauth.config.envwrite import quote_value

    bom, text = _read(path)
    entries = envfile.parse(text)
    wanted = set(only)
    pieces: list[str] = []
    items: dict[str, LockItem] = {}
    lines: dict[str, list[int]] = {}
    changed: dict[str, str] = {}
    kept: list[str] = []
    for entry in entries:
        raw = entry.raw_value if entry.raw_value is not None else entry.value
        name = keyring_entry(raw) if raw is not None else None
        if entry.key is None or name is None or (wanted and entry.key not in wanted):
            if entry.key is not None:
                kept.append(entry.key)
            pieces.append(entry.original)
            continue
        secret = references.resolve(raw or "", f"{path.name}:{entry.line}", store)
        span = _value_span(entry.original, entry.key)
        if span is None:
            raise ConfigError(f"cannot rewrite the line of {entry.key}; edit it by hand")
        start, end, _quote = span
        pieces.append(entry.original[:start] + quote_value(secret.reveal()) + entry.original[end:])
        changed[entry.key] = secret.reveal()
        lines.setdefault(entry.key, []).append(entry.line)
        items[entry.key] = LockItem(
            entry.key, tuple(lines[entry.key]), name, mask(secret.reveal()), secret
        )
    new_text = "".join(pieces)
    if items:
        _check_rewrite(text, new_text, changed, path)
    return LockPlan(path, tuple(items.values()), bom + text, bom + new_text, tuple(kept))


def apply_unlock(
    plan: LockPlan, store: SecretStore, *, project_root: Path, forget: bool = True
) -> list[str]:
    """Write the values back into the file, then (``forget``) delete them from the keyring."""
    if plan.empty:
        return []
    _write_atomic(plan.path, plan.new_text)
    if forget:
        for item in plan.items:
            store.delete(item.keyring_name)
    from agentauth.state import auditlog

    variables = [item.variable for item in plan.items]
    auditlog.append(
        project_root,
        "lock",
        agent="human",
        file=plan.path.name,
        variables=variables,
        action="unlock",
    )
    return variables
