"""Whether the project's ``.gitignore`` files ignore a path, without git (outside a repository).

Inside a repository ``git check-ignore`` answers; outside one (a project not yet
``git init``-ed, or no git installed) this reads every ``.gitignore`` from the project
root down to the file's folder with git's rules: the last matching pattern wins,
deeper files win over shallower ones, ``!`` re-includes, a pattern with an inner
``/`` is anchored to its file's folder, a trailing ``/`` matches folders only, ``**``
crosses folders, and nothing under an ignored folder can be re-included. So an
``.env.ai`` that a nested ``!.env.ai`` un-ignores is not called ignored (issue 15).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from agentauth import fsutil
from agentauth.errors import ConfigError

__all__ = ["ignored"]


@lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str]:
    """One gitignore glob (no ``!``, no trailing ``/``) as a regex over a relative path."""
    anchored = "/" in pattern
    body = pattern.lstrip("/")
    out = []
    i = 0
    while i < len(body):
        if body.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif body.startswith("/**", i) and i + 3 == len(body):
            out.append("/.*")
            i += 3
        elif body.startswith("**", i):
            out.append(".*")
            i += 2
        elif body[i] == "*":
            out.append("[^/]*")
            i += 1
        elif body[i] == "?":
            out.append("[^/]")
            i += 1
        elif body[i] == "[" and (end := body.find("]", i + 2)) != -1:
            inner = body[i + 1 : end]
            if inner.startswith("!"):
                inner = "^" + inner[1:]
            out.append(f"[{inner.replace(chr(92), chr(92) * 2)}]")
            i = end + 1
        elif body[i] == "\\" and i + 1 < len(body):
            out.append(re.escape(body[i + 1]))
            i += 2
        else:
            out.append(re.escape(body[i]))
            i += 1
    prefix = "" if anchored else "(?:.*/)?"
    return re.compile(prefix + "".join(out))


def _rules(folder: Path) -> list[tuple[str, bool, bool]]:
    """(pattern, negated, folders only) of ``folder/.gitignore``, in file order."""
    path = folder / ".gitignore"
    if not path.exists():
        return []
    try:  # NOTE: a FIFO or /dev/zero named .gitignore must not hang or exhaust memory
        text = fsutil.read_text(path, what=".gitignore")
    except ConfigError:
        return []
    rules = []
    for raw in text.splitlines():
        line = raw.rstrip("\r")
        stripped = line.rstrip(" ")
        if line.endswith("\\ ") and not stripped.endswith("\\\\"):
            stripped += " "
        if not stripped or stripped.startswith("#"):
            continue
        negated = stripped.startswith("!")
        if negated or stripped.startswith(("\\!", "\\#")):
            stripped = stripped[1:]
        folders_only = stripped.endswith("/")
        if folders_only:
            stripped = stripped.rstrip("/")
        if stripped:
            rules.append((stripped, negated, folders_only))
    return rules


def _decide(root: Path, parts: list[str], is_folder: bool) -> bool:
    """The verdict of the last matching rule of every ``.gitignore`` above ``parts``."""
    verdict = False
    for depth in range(len(parts)):
        folder = root.joinpath(*parts[:depth])
        relative = "/".join(parts[depth:])
        for pattern, negated, folders_only in _rules(folder):
            if folders_only and not is_folder:
                continue
            if _compile(pattern).fullmatch(relative):
                verdict = not negated
    return verdict


def ignored(relative: str, root: Path) -> bool:
    """True when the ``.gitignore`` files under ``root`` ignore ``relative`` (a file path).

    A folder on the way that is ignored makes the file ignored whatever deeper rules say
    (git does not descend into it).
    """
    parts = [p for p in relative.strip("/").split("/") if p]
    for end in range(1, len(parts)):
        if _decide(root, parts[:end], is_folder=True):
            return True
    return bool(parts) and _decide(root, parts, is_folder=False)
