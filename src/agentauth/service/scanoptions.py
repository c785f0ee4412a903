"""What an audit is asked to do (its options) and the engine it runs, apart from the use case.

NOTE: its own module so that the scan's helpers (configs, history) can name these types
without importing the use case that imports them (no import cycle).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from agentauth.engine.sources import DEFAULT_MAX_FILE_BYTES

if TYPE_CHECKING:
    from agentauth.engine.rules import Catalog


@dataclass(frozen=True)
class AuditOptions:
    """What to audit and how; built by the CLI from its flags."""

    root: Path
    paths: tuple[Path, ...] = ()
    """Explicit files or folders (pre-commit passes them); relative ones are under ``root``."""
    include_environ: bool = False
    environ: Mapping[str, str] | None = None
    """The environment to audit with ``include_environ``; None means ``os.environ``."""
    git_tracked_only: bool = False
    staged_only: bool = False
    exclude_dirs: tuple[str, ...] = ()
    """Folder names or globs added to the defaults; ``!name`` removes a default."""
    default_excludes: bool = True
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    baseline: Path | None = None
    honour_ignore_comments: bool = True
    verify: bool = False
    jobs: int = 0
    """Worker processes; 0 means one per CPU, 1 forces in-process scanning."""
    history: bool = False
    """Also read every commit reachable (``git log -p --all``): what an agent can dig up."""
    since: str | None = None
    """With ``history``: only the commits after this revision (``REF..HEAD``)."""
    commit_range: str | None = None
    """Read only the commits of this range (``BASE..HEAD``) instead of the files."""


@dataclass(frozen=True)
class Engine:
    """The detector and classifier bound to one catalog."""

    catalog: Catalog
    honour_ignore_comments: bool
    max_file_bytes: int
