"""Cursor: ``.cursorignore`` keeps the env files out of its index and its agent's reads."""

from __future__ import annotations

from pathlib import Path

from agentauth.agents.files import FileChange, read_optional

LINES = (".env", ".env.*", "!.env.example", "!.env.sample", ".envrc")
HEADER = "# agentauth guard: the developer's credentials stay out of Cursor's reach"


def plan(root: Path, *, local: bool = False, sandbox: bool = False) -> FileChange | None:
    """Compute ``.cursorignore`` with the env-file lines appended (existing lines untouched)."""
    relative = ".cursorignore"
    path = root / relative
    old = read_optional(path, relative)
    present = {line.strip() for line in (old or "").splitlines()}
    missing = [line for line in LINES if line not in present]
    if not missing:
        return None
    text = old or ""
    if text and not text.endswith("\n"):
        text += "\n"
    if text:
        text += "\n"
    new = text + "\n".join([HEADER, *missing]) + "\n"
    return FileChange(path, relative, "cursor", old, new, (f"ignore {', '.join(missing)}",))


def notes(*, sandbox: bool) -> tuple[str, ...]:
    """What the user should know about Cursor's guard."""
    return ()
