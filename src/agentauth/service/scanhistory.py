"""History findings of an audit: credentials in the lines past commits added.

:mod:`agentauth.engine.history` yields located candidates; here they are classified,
kept once per (value, file) at the commit that first added them, told whether the value
is still in the tree, and merged with the findings of the files (a value found in both
is one finding, which names the commit that introduced it).
"""

from __future__ import annotations

import dataclasses
import os
import stat
from collections.abc import Sequence
from typing import TYPE_CHECKING

from agentauth.fsutil import read_at_most
from agentauth.model import Candidate, Finding

if TYPE_CHECKING:
    from agentauth.engine.rules import Catalog
    from agentauth.service.scanoptions import AuditOptions

_MAX_TREE_FILE = 16 * 1024 * 1024


def history_findings(
    options: AuditOptions, catalog: Catalog, tree: Sequence[Finding]
) -> list[Finding]:
    """Return ``tree`` annotated with the commits that introduced its values, plus the
    findings that exist only in history (``in_tree`` false: deleted, yet readable)."""
    from agentauth.engine import history
    from agentauth.engine.classify import classify
    from agentauth.engine.detect import scan_text

    def detect(text: bytes) -> list[Candidate]:
        scanned = scan_text(text, catalog, honour_ignore_comments=options.honour_ignore_comments)
        return list(scanned.candidates)

    tree_keys = {(f.fingerprint, f.file) for f in tree}
    tree_prints = {f.fingerprint for f in tree}
    introduced: dict[tuple[str, str], Finding] = {}
    for located in history.scan(
        options.root, detect, since=options.since, commit_range=options.commit_range
    ):
        finding = classify(
            located.candidate, file=located.path, catalog=catalog, own_output=located.own_output
        )
        if finding is None:
            continue
        key = (finding.fingerprint, located.path)
        if key in introduced:
            continue  # NOTE: oldest commit first: the first one seen introduced the value
        in_tree = finding.fingerprint in tree_prints or _in_file(
            options, located.path, finding.secret.reveal()
        )
        introduced[key] = dataclasses.replace(
            finding,
            line=located.line,
            context=_context(located.commit, in_tree),
            extra={
                **finding.extra,
                "commit": located.commit.sha,
                "commit_date": located.commit.date,
                "in_tree": "true" if in_tree else "false",
            },
        )
    merged: list[Finding] = []
    for finding in tree:
        past = introduced.get((finding.fingerprint, finding.file))
        if past is not None:
            finding = dataclasses.replace(
                finding,
                extra={**finding.extra, **{k: past.extra[k] for k in _FIELDS}, "in_tree": "true"},
            )
        merged.append(finding)
    merged += [f for key, f in introduced.items() if key not in tree_keys]
    return merged


_FIELDS = ("commit", "commit_date")


def _context(commit: object, in_tree: bool) -> str:
    sha = getattr(commit, "sha", "")[:12]
    date = getattr(commit, "date", "")[:10]
    state = "still in the tree" if in_tree else "no longer in the tree, still in history"
    return f"added in commit {sha} ({date}); {state}"


def _in_file(options: AuditOptions, rel: str, value: str) -> bool:
    """True when the file at ``rel`` in the work tree still holds ``value``."""
    path = os.path.join(options.root, rel)
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_size > _MAX_TREE_FILE:
            return False
        data = read_at_most(path, _MAX_TREE_FILE, st.st_size)  # NOTE: not a 16 MiB buffer
    except OSError:
        return False
    return value.encode("utf-8", "surrogatepass") in data
