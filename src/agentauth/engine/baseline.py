"""Read and write the audit baseline: fingerprints of accepted findings, never their values.

A baseline lets a team adopt ``agentauth check`` on a repository that already holds
known, accepted credentials: findings whose fingerprint is listed are counted as
suppressed instead of reported. The file is JSON, sorted and stable so that it diffs
well in review; a fingerprint is a keyed hash (see :func:`agentauth.redact.fingerprint`),
so the file is safe to commit.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from agentauth.errors import ConfigError
from agentauth.model import Fingerprint, ScanReport

SCHEMA_VERSION = 1
_REMEDY = "regenerate it with `agentauth audit --write-baseline FILE`"


def write_baseline(report: ScanReport, path: Path) -> int:
    """Write the fingerprints of every finding in ``report`` to ``path``; return how many.

    The write is atomic (temporary file + rename), so a crash never leaves half a baseline.
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
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    except OSError as exc:
        raise ConfigError(
            f"cannot write baseline {path}: {exc.strerror}; check the folder"
        ) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ConfigError(f"cannot write baseline {path}: {exc.strerror}; check the path") from None
    return len(ordered)


def load_baseline(path: Path) -> frozenset[Fingerprint]:
    """Return the fingerprints listed in the baseline at ``path``.

    Raises ConfigError when the file is missing, unreadable, not JSON, or not a
    baseline of a schema version this agentauth understands.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"baseline {path} does not exist; {_REMEDY}") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise ConfigError(f"cannot read baseline {path}: {reason}; {_REMEDY}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"baseline {path} is not valid JSON (line {exc.lineno}: {exc.msg}); {_REMEDY}"
        ) from None
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
