"""What every agent tool plugin is: a description (:class:`AgentInfo`) and a settings writer.

A plugin module (``agents/claude.py``, ``cursor.py``, ``codex.py``) exposes
``plan(root, options) -> FileChange | None``: the tool's settings file as ``guard``
should leave it, computed from the file as it is, or None when nothing is missing.
Running ``guard`` twice therefore changes nothing the second time, and
``doctor``'s "guarded" is the same computation (``plan(...) is None``).
"""

from __future__ import annotations

from typing import NamedTuple


class AgentInfo(NamedTuple):
    """An agent tool: how to recognise it, what it reads, where its plugin code lives."""

    name: str
    """The name ``guard --tool`` takes."""
    label: str
    binaries: tuple[str, ...]
    """Executable names: ``run`` recognises the tool it starts by these."""
    project_signs: tuple[str, ...]
    """Files or folders in a project that show the tool is used there."""
    user_signs: tuple[str, ...]
    """Files or folders under HOME that show the tool is installed."""
    api_keys: tuple[str, ...]
    """The tool's own API-key variables (``run`` says how to pass them when dropped)."""
    module: str
    """The plugin module with ``plan`` (imported only by ``guard``)."""
