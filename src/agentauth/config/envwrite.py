"""The writer of ``.env.ai``: atomic, mode 0600, git-ignored, and never over a tracked file.

Values are quoted so that python-dotenv (which ``agentauth run`` and most tools use)
reads back exactly what was written; :func:`format_line` is shared with the
``--dry-run`` diff so the preview and the file agree.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from agentauth.errors import ConfigError
from agentauth.model import Secret

_BARE = re.compile(r"^[A-Za-z0-9_./:@%+,=-]*$")


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
    try:
        result = subprocess.run(
            ["git", "ls-files", "--error-unmatch", "--", str(path.resolve())],
            cwd=project_root,
            capture_output=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return result.returncode == 0


def _gitignore_covers(name: str, project_root: Path) -> bool:
    try:
        result = subprocess.run(
            ["git", "check-ignore", "-q", "--no-index", "--", name],
            cwd=project_root,
            capture_output=True,
            timeout=20,
            check=False,
        )
        if result.returncode in (0, 1):
            return result.returncode == 0
    except (OSError, subprocess.SubprocessError):
        pass
    gitignore = project_root / ".gitignore"
    try:
        lines = gitignore.read_text(encoding="utf-8").splitlines()
    except OSError:
        return False
    return any(line.strip() in (name, "/" + name) for line in lines)


def ensure_gitignored(path: Path, project_root: Path) -> bool:
    """Add ``path`` to the project's ``.gitignore`` unless already ignored; True if added."""
    try:
        relative = path.resolve().relative_to(project_root.resolve()).as_posix()
    except ValueError:
        return False
    if _gitignore_covers(relative, project_root):
        return False
    gitignore = project_root / ".gitignore"
    try:
        existing = gitignore.read_text(encoding="utf-8") if gitignore.exists() else ""
        prefix = "" if not existing or existing.endswith("\n") else "\n"
        with gitignore.open("a", encoding="utf-8") as handle:
            handle.write(f"{prefix}# scoped agent credentials (agentauth)\n/{relative}\n")
    except OSError as exc:
        raise ConfigError(
            f"cannot add {relative} to {gitignore}: {exc.strerror}; add it by hand"
        ) from None
    return True


def render(values: Sequence[tuple[str, str | Secret]], header: str) -> str:
    """Return the full text of an env file: the header as comments, then one line per value."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    if lines:
        lines.append("")
    lines.extend(format_line(name, value) for name, value in values)
    return "\n".join(lines) + "\n"


def write_env_ai(
    path: Path,
    values: Sequence[tuple[str, str | Secret]],
    header: str,
    *,
    project_root: Path,
) -> None:
    """Write ``path`` atomically with mode 0600 and git-ignore it; refuse if git tracks it.

    Why refuse rather than warn: a tracked ``.env.ai`` would put the agent's
    credentials in the next commit, which is exactly the leak this tool prevents.
    """
    if git_tracks(path, project_root):
        raise ConfigError(
            f"git tracks {path.name}; it would commit the agent's credentials. "
            f"Run `git rm --cached {path.name}` and commit, then provision again"
        )
    text = render(values, header)
    directory = path.parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=directory)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}; check the directory") from None
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        os.chmod(path, 0o600)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise ConfigError(f"cannot write {path}: {exc.strerror}; check the directory") from None
    ensure_gitignored(path, project_root)
