"""No secret value detected by the engine reaches a repr, a report, stdout or stderr."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.support.cli import run_cli

from agentauth.engine.classify import classify
from agentauth.engine.detect import detect_text
from agentauth.engine.rules import Catalog
from agentauth.engine.rules.samples import expand


def _corpus(catalog: Catalog) -> dict[str, str]:
    """One file per rule holding its expanded positive examples."""
    return {
        f"{rule.id}.env" if rule.scope == "line" else f"{rule.id}.txt": "\n".join(
            expand(example, f"{rule.id}:{i}") for i, example in enumerate(rule.positives)
        )
        + "\n"
        for rule in catalog.rules
    }


def _secrets(catalog: Catalog, files: dict[str, str]) -> set[str]:
    values = set()
    for name, text in files.items():
        for candidate in detect_text(text, catalog):
            if classify(candidate, file=name, catalog=catalog) is not None:
                values.add(candidate.secret.reveal())
    return values


def test_reprs_and_strs_hold_no_secret(catalog: Catalog) -> None:
    files = _corpus(catalog)
    for name, text in files.items():
        for candidate in detect_text(text, catalog):
            value = candidate.secret.reveal()
            finding = classify(candidate, file=name, catalog=catalog)
            shown = [repr(candidate), str(candidate)]
            if finding is not None:
                shown += [repr(finding), str(finding), finding.redacted, finding.why]
                shown += [str(v) for v in finding.extra.values()]
            for text_shown in shown:
                assert value not in text_shown, f"{candidate.rule_id} leaks in a repr"


@pytest.mark.parametrize("fmt", ["table", "json", "sarif"])
def test_cli_audit_output_holds_no_secret(catalog: Catalog, tmp_path: Path, fmt: str) -> None:
    files = _corpus(catalog)
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    secrets = _secrets(catalog, files)
    assert len(secrets) >= len(catalog.rules)
    done = run_cli(
        "audit", str(tmp_path), "--format", fmt, cwd=tmp_path, env={"COLUMNS": "300"},
        full_env=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    output = done.stdout + done.stderr
    leaked = sorted(v[:10] + "…" for v in secrets if v in output)
    assert leaked == [], f"secret values leaked (prefixes only): {leaked}"
    if fmt == "json":
        rule_ids = {f["rule_id"] for f in json.loads(done.stdout)["findings"]}
        assert rule_ids == {r.id for r in catalog.rules}
