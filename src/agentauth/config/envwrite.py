"""The writer of ``.env.ai``: atomic, mode 0600, git-ignored, and never over a tracked file.

Values are quoted so that python-dotenv (which ``agentauth run`` and most tools use)
reads back exactly what was written; :func:`format_line` is shared with the
``--dry-run`` diff so the preview and the file agree.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from agentauth import fsutil, gitcmd
from agentauth.config import gitignore
from agentauth.errors import ConfigError
from agentauth.model import Secret

_BARE = re.compile(r"^[A-Za-z0-9_./:@%+,=-]*$")
ENV_AI_MARKER = "written by agentauth"
"""Every ``.env.ai`` header holds this phrase; a file without it is not ours to overwrite."""
_SOURCE_NAMES = frozenset(
    {".env", ".envrc", ".env.local", ".env.development", ".env.development.local",
     ".env.production", ".env.production.local", ".env.test", ".env.test.local", ".flaskenv",
     ".dev.vars"}
)  # fmt: skip
"""Env files the audit and the agent tools read as the developer's own source."""
_HEADER_PROBE_BYTES = 4096


def quote_value(value: str) -> str:
    """Quote ``value`` for an env file so python-dotenv reads it back unchanged.

    Plain values stay bare; anything else goes in single quotes (no interpolation in
    python-dotenv), with its two escapes ``\\\\`` and ``\\'`` when needed.
    """
    if value and _BARE.fullmatch(value) and "${" not in value:
        return value
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def format_line(name: str, value: str | Secret) -> str:
    """Return one ``NAME=value`` line (the value revealed: this is the file's content)."""
    plain = value.reveal() if isinstance(value, Secret) else value
    return f"{name}={quote_value(plain)}"


def git_tracks(path: Path, project_root: Path) -> bool:
    """True when git tracks ``path``; False outside a repository or without git."""
    code = gitcmd.returncode(project_root, "ls-files", "--error-unmatch", "--", str(path.resolve()))
    return code == 0


def _gitignore_covers(name: str, project_root: Path) -> bool:
    """Whether git would ignore ``name``: git's answer, or outside a repository git's rules."""
    code = gitcmd.returncode(project_root, "check-ignore", "-q", "--no-index", "--", name)
    if code in (0, 1):
        return code == 0
    # NOTE: outside a repository (or without git): every .gitignore, `!` rules included.
    return gitignore.ignored(name, project_root)


def ensure_gitignored(path: Path, project_root: Path) -> bool:
    """Add ``path`` to the project's ``.gitignore`` unless already ignored; True if added.

    NOTE: a line in the root ``.gitignore`` is not enough when a deeper ``.gitignore`` holds
    ``!.env.ai``: git lets the deeper file win. So the result is confirmed with
    ``git check-ignore``, and the entry goes into the file's own folder when it must.
    """
    try:
        relative = path.resolve().relative_to(project_root.resolve()).as_posix()
    except ValueError:
        return False
    if _gitignore_covers(relative, project_root):
        return False
    _append_ignore(project_root / ".gitignore", f"/{relative}")
    if _gitignore_covers(relative, project_root):
        return True
    folder = path.resolve().parent
    if folder != project_root.resolve():
        _append_ignore(folder / ".gitignore", f"/{path.name}")
        if _gitignore_covers(relative, project_root):
            return True
    raise ConfigError(
        f"{relative} is still not ignored by git after adding it to .gitignore "
        f"(a `!` rule un-ignores it; see `git check-ignore -v --no-index {relative}`)"
    )


def _append_ignore(gitignore: Path, line: str) -> None:
    try:
        existing = gitignore.read_text(encoding="utf-8") if gitignore.exists() else ""
        prefix = "" if not existing or existing.endswith("\n") else "\n"
        with gitignore.open("a", encoding="utf-8") as handle:
            handle.write(f"{prefix}# scoped agent credentials (agentauth)\n{line}\n")
    except OSError as exc:
        raise ConfigError(
            f"cannot add {line} to {gitignore}: {exc.strerror}; add it by hand"
        ) from None


def _has_marker(path: Path) -> bool:
    head = fsutil.read_head(path, _HEADER_PROBE_BYTES)
    return head is not None and ENV_AI_MARKER.encode() in head


def check_output(path: Path, project_root: Path, *, source: Path | None = None) -> Path:
    """Return the resolved output path, or raise ConfigError when writing it could destroy data.

    Why resolved paths: ``output: ./.env`` or a symlink names the source without
    spelling it the same way, and a policy arriving in a pull request may point
    ``output`` anywhere. Refused: the source itself, anything under ``.git/`` or
    outside the project, a file the developer or the agent tools use as a source
    env file, and an existing file that does not carry agentauth's header.
    """
    root = project_root.resolve()
    target = path.resolve()
    shown = path.name
    if source is not None and target == source.resolve():
        raise ConfigError(
            f"output {shown} is the source env file; the source is never modified. "
            "Set output: .env.ai in the policy"
        )
    try:
        relative = target.relative_to(root)
    except ValueError:
        raise ConfigError(
            f"output {path} resolves to {target}, outside the project {root}; "
            "set output: .env.ai in the policy"
        ) from None
    if ".git" in relative.parts:
        raise ConfigError(
            f"output {relative.as_posix()} is inside .git/; writing it would damage the "
            "repository. Set output: .env.ai in the policy"
        )
    if target.name in _SOURCE_NAMES:
        raise ConfigError(
            f"output {relative.as_posix()} is an env file the developer's tools read as a "
            "source; set output: .env.ai in the policy"
        )
    if target.exists() and not (target.is_file() and _has_marker(target)):
        raise ConfigError(
            f"output {relative.as_posix()} exists and was not written by agentauth; "
            "refusing to overwrite it. Move it aside or choose another output in the policy"
        )
    return target


def render(values: Sequence[tuple[str, str | Secret]], header: str) -> str:
    """Return the full text of an env file: the header as comments, then one line per value."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    if lines:
        lines.append("")
    lines.extend(format_line(name, value) for name, value in values)
    return "\n".join(lines) + "\n"


def refuse_tracked(path: Path, project_root: Path) -> None:
    """Raise ConfigError when git tracks ``path`` (checked by provision before anything exists)."""
    if git_tracks(path, project_root):
        raise ConfigError(
            f"git tracks {path.name}; it would commit the agent's credentials. "
            f"Run `git rm --cached {path.name}` and commit, then provision again"
        )


def write_env_ai(
    path: Path,
    values: Sequence[tuple[str, str | Secret]],
    header: str,
    *,
    project_root: Path,
    source: Path | None = None,
) -> None:
    """Write ``path`` atomically with mode 0600 and git-ignore it; refuse if git tracks it.

    Why refuse rather than warn: a tracked ``.env.ai`` would put the agent's
    credentials in the next commit, which is exactly the leak this tool prevents.
    :func:`check_output` runs first: the writer itself refuses a destructive target.
    """
    if ENV_AI_MARKER not in header:
        header = f"This file was {ENV_AI_MARKER}.\n{header}"
    refuse_tracked(path, project_root)
    check_output(path, project_root, source=source)
    text = render(values, header)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fsutil.write_atomic(path, text, mode=fsutil.SECRET_MODE)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}; check the directory") from None
    ensure_gitignored(path, project_root)
