"""agentauth's own ``.env.ai`` is recognised in git history as it is in the tree.

A committed ``.env.ai`` holds the agent's scoped credentials: ``audit --history`` reports
them low, without capabilities, never failing CI, like the tree scan does, whether the
header is in the commit that added the value or only in an earlier one.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support.gitrepo import git as _git

from agentauth.config.envwrite import ENV_AI_MARKER, render
from agentauth.engine import history
from agentauth.engine.classify import classify
from agentauth.engine.detect import detect_text
from agentauth.engine.rules import Catalog
from agentauth.engine.rules.samples import expand
from agentauth.model import Severity


def _history(root: Path, catalog: Catalog, **kw: str) -> dict[str, tuple[Severity, bool]]:
    """variable -> (severity, ci_fail) of each finding in history, judged as the audit does."""
    out = {}
    for located in history.scan(root, lambda t: detect_text(t, catalog), **kw):
        finding = classify(
            located.candidate, file=located.path, catalog=catalog, own_output=located.own_output
        )
        if finding is not None:
            out[str(finding.variable)] = (finding.severity, finding.ci_fail)
    return out


def test_a_committed_env_ai_is_agentauths_output_in_history(
    tmp_path: Path, catalog: Catalog
) -> None:
    url = expand("postgres://agent_ro:@@b62:24@@@db.prod.acme-corp.io:5432/shop", "url")
    token = expand("ghs_@@gh@@", "token")
    header = f"This file was {ENV_AI_MARKER}.\nagent: claude-code\nrevoke with: agentauth revoke"
    _git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / ".env.ai").write_text(render([("DATABASE_URL", url)], header))
    _git(tmp_path, "add", "-f", ".env.ai")
    _git(tmp_path, "commit", "-q", "-m", "oops: the agent's env")
    first = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout.strip()
    (tmp_path / ".env.ai").write_text(
        render([("DATABASE_URL", url), ("GITHUB_TOKEN", token)], header)
    )
    _git(tmp_path, "commit", "-q", "-am", "a token too")
    (tmp_path / "deploy.py").write_text(f'TOKEN = "{token}"\n')
    _git(tmp_path, "rm", "-q", ".env.ai")
    _git(tmp_path, "add", "deploy.py")
    _git(tmp_path, "commit", "-q", "-m", "gone; the token is pasted elsewhere")

    found = _history(tmp_path, catalog)
    assert found["DATABASE_URL"] == (Severity.LOW, False)
    assert found["GITHUB_TOKEN"] == (Severity.LOW, False)  # header only in the earlier commit
    assert found["TOKEN"][1] is True  # the same value in a file agentauth did not write

    since = _history(tmp_path, catalog, since=first)
    assert since["TOKEN"][1] is True
    # the creation commit is before REF and the file is gone from the tree: not recognised
    assert since["GITHUB_TOKEN"][1] is True


def test_env_ai_in_the_tree_answers_for_a_range(tmp_path: Path, catalog: Catalog) -> None:
    token = expand("ghs_@@gh@@", "token")
    header = f"This file was {ENV_AI_MARKER}.\nagent: claude-code"
    _git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / ".env.ai").write_text(render([("A", "1")], header))
    _git(tmp_path, "add", "-f", ".env.ai")
    _git(tmp_path, "commit", "-q", "-m", "start")
    (tmp_path / ".env.ai").write_text(render([("A", "1"), ("GITHUB_TOKEN", token)], header))
    _git(tmp_path, "commit", "-q", "-am", "token")
    assert _history(tmp_path, catalog, since="HEAD~1")["GITHUB_TOKEN"] == (Severity.LOW, False)
