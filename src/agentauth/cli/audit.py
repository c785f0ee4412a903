"""The ``audit`` and ``check`` commands (owned by the audit work)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the commands of this module to ``app``."""
