"""What every agent tool plugin is: a description (:class:`AgentInfo`) and a settings writer.

A plugin module (``agents/claude.py``, ``cursor.py``, ``codex.py``) exposes
``plan(root, options) -> FileChange | None``: the tool's settings file as ``guard``
should leave it, computed from the file as it is, or None when nothing is missing.
Running ``guard`` twice therefore changes nothing the second time, and
``doctor``'s "guarded" is the same computation (``plan(...) is None``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Protocol

if TYPE_CHECKING:
    from agentauth.agents.files import FileChange


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
    hook: bool = False
    """True when guard installs agentauth's hook in the tool (``doctor`` runs it once)."""


class HookPlugin(Protocol):
    """A tool into which guard installs agentauth's hook (``AgentInfo.hook``)."""

    def probe_hooks(self, root: Path) -> tuple[int, list[str]]:
        """Run the installed hooks once: (how many ran, what did not block)."""
        ...


class ToolPlugin(Protocol):
    """The code side of an agent tool: what ``guard`` writes for it."""

    def plan(self, root: Path, *, local: bool = False, sandbox: bool = False) -> FileChange | None:
        """The tool's settings file as guard should leave it, or None when nothing is missing."""
        ...

    def notes(self, *, sandbox: bool) -> tuple[str, ...]:
        """What the user should know about this tool's guard (shown by ``guard``)."""
        ...
