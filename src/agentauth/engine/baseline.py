"""Read and write the audit baseline: fingerprints of accepted findings, never their values.

A baseline lets a team adopt ``agentauth check`` on a repository that already holds
known, accepted credentials: findings whose fingerprint is listed are counted as
suppressed instead of reported. The file is JSON, sorted and stable so that it diffs
well in review; a fingerprint is a keyed hash (see :func:`agentauth.redact.fingerprint`),
so the file is safe to commit.
"""

from __future__ import annotations

import json
from pathlib import Path

from agentauth import fsutil
from agentauth.errors import ConfigError
from agentauth.model import Fingerprint, ScanReport

SCHEMA_VERSION = 1
_MAX_BYTES = 64 * 1024 * 1024
"""About half a million fingerprints; ``--baseline /dev/zero`` must not grow without end."""
_REMEDY = "regenerate it with `agentauth audit --write-baseline FILE`"


def write_baseline(report: ScanReport, path: Path) -> int:
    """Write the fingerprints of every finding in ``report`` to ``path``; return how many.

    The write is atomic (:func:`agentauth.fsutil.write_atomic`), so a crash never
    leaves half a baseline; mode 0644 because the file is meant to be committed.
    """
    entries = {
        (f.file, f.rule_id, f.fingerprint): {
            "fingerprint": f.fingerprint,
            "rule_id": f.rule_id,
            "file": f.file,
        }
        for f in report.findings
    }
    ordered = [entries[key] for key in sorted(entries)]
    document = {"schema_version": SCHEMA_VERSION, "fingerprints": ordered}
    text = json.dumps(document, indent=2, sort_keys=True) + "\n"
    try:
        # NOTE: 0644, not 0600: the baseline holds only keyed hashes and is meant to be committed.
        fsutil.write_atomic(path, text, mode=fsutil.SHARED_MODE)
    except OSError as exc:
        raise ConfigError(f"cannot write baseline {path}: {exc.strerror}; check the path") from None
    return len(ordered)


def load_baseline(path: Path) -> frozenset[Fingerprint]:
    """Return the fingerprints listed in the baseline at ``path``.

    Raises ConfigError when the file is missing, unreadable, not JSON, or not a
    baseline of a schema version this agentauth understands.
    """
    try:
        text = fsutil.read_text(path, max_bytes=_MAX_BYTES, what="baseline")
    except FileNotFoundError:
        raise ConfigError(f"baseline {path} does not exist; {_REMEDY}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"baseline {path} is not valid JSON (line {exc.lineno}: {exc.msg}); {_REMEDY}"
        ) from None
    except RecursionError:
        raise ConfigError(f"baseline {path} is nested too deeply to be one; {_REMEDY}") from None
    if not isinstance(document, dict) or "fingerprints" not in document:
        raise ConfigError(f"{path} is not an agentauth baseline (no 'fingerprints'); {_REMEDY}")
    version = document.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ConfigError(
            f"baseline {path} has schema_version {version!r}, expected {SCHEMA_VERSION}; {_REMEDY}"
        )
    items = document["fingerprints"]
    if not isinstance(items, list):
        raise ConfigError(f"baseline {path}: 'fingerprints' must be a list; {_REMEDY}")
    found: set[Fingerprint] = set()
    for index, item in enumerate(items):
        value = item.get("fingerprint") if isinstance(item, dict) else item
        if not isinstance(value, str) or not value:
            raise ConfigError(
                f"baseline {path}: fingerprints[{index}] has no 'fingerprint' string; {_REMEDY}"
            )
        found.add(Fingerprint(value))
    return frozenset(found)
