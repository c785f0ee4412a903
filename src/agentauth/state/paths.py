"""Where agentauth keeps its state: ``AGENTAUTH_HOME``, else the XDG state directory."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path


def home() -> Path:
    """Return the state directory (not created here)."""
    explicit = os.environ.get("AGENTAUTH_HOME")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_STATE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "state"
    return base / "agentauth"


def project_dir(project_root: Path) -> Path:
    """Return the per-project state directory: a readable slug plus a hash of the path."""
    resolved = project_root.resolve()
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", resolved.name).strip("-") or "root"
    digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:12]
    return home() / "projects" / f"{slug}-{digest}"
