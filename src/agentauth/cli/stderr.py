"""The one writer of agentauth's own lines on stderr, and ``run``'s observer.

Typer-free and import-light: ``agentauth run`` and the Claude Code hook start
through :mod:`agentauth.launch` without loading typer or rich, and the typer
commands call the same functions, so a warning is the same bytes whichever door
the command came in by. Lines are written whole and never wrapped: a URL, SQL
statement or shell command in a message must stay copyable at any width.

Colour is applied only to the label (``error:``), only on a terminal, and never
with ``--no-color``, ``NO_COLOR`` or ``TERM=dumb``; ``run``'s observer lines carry no
colour at all (they interleave with the agent's own screen), so they are
byte-identical with and without ``--no-color``.
"""

from __future__ import annotations

import os
import sys

_state = {"no_color": False}

PREFIX = "agentauth: "
"""Every line ``run`` adds to the agent's stderr starts with this, so it can be told apart."""


def configure(*, no_color: bool) -> None:
    """Remember ``--no-color`` for the lines written after this call."""
    _state["no_color"] = no_color


def color() -> bool:
    """True when stderr is a terminal and nothing asked for plain text."""
    if _state["no_color"] or os.environ.get("NO_COLOR") or os.environ.get("AGENTAUTH_NO_COLOR"):
        return False
    if os.environ.get("TERM") == "dumb":
        return False
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def line(text: str, *, label: str = "", style: str = "1;31") -> None:
    """Write one line (``label`` painted with the ANSI ``style`` when colour is on)."""
    if label and color():
        label = f"\x1b[{style}m{label}\x1b[0m"
    sys.stderr.write(f"{label}{text}\n")
    sys.stderr.flush()


class StderrObserver:
    """``run``'s observer: warnings always, the banner unless quiet, details with ``-v``."""

    def warn(self, message: str) -> None:
        """Print a warning line."""
        line(f"{PREFIX}warning: {message}")

    def note(self, message: str) -> None:
        """Print an informational line (the banner: what the agent got)."""
        line(f"{PREFIX}{message}")

    def verbose(self, message: str) -> None:
        """Print a detail line."""
        line(f"{PREFIX}{message}")
