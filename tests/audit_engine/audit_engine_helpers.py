"""Helpers of the audit engine tests; run as a script to regenerate docs/rules.md's rule table."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from agentauth.engine.rules import Catalog, Rule, load_catalog
from agentauth.model import Finding

Findings = Callable[..., list[Finding]]

_CATALOG = load_catalog()
ALL_RULES: dict[str, list[tuple[Rule, int]]] = {
    "positives": [(r, i) for r in _CATALOG.rules for i in range(len(r.positives))],
    "negatives": [(r, i) for r in _CATALOG.rules for i in range(len(r.negatives))],
}
"""(rule, example index) pairs for parametrized tests."""

DOC = Path(__file__).parents[2] / "docs" / "rules.md"
BEGIN = "<!-- rules-table:begin (generated: python tests/audit_engine/audit_engine_helpers.py) -->"
END = "<!-- rules-table:end -->"


def example_id(value: object) -> str:
    """Readable parametrize ids: the rule id, then the example index."""
    return value.id if isinstance(value, Rule) else str(value)


def render_rules_doc(catalog: Catalog) -> str:
    """Return the Markdown table of every rule, between the generated-block markers."""
    lines = [
        BEGIN,
        "",
        f"{len(catalog.rules)} rules, {len({r.provider for r in catalog.rules})} providers. "
        "The provider links to the format's documentation.",
        "",
        "| id | provider | kind | severity when live | capabilities | keywords "
        "| `--verify` could check |",
        "|---|---|---|---|---|---|---|",
    ]
    for rule in catalog.rules:
        caps = ", ".join(rule.capabilities) or "-"
        severity = "info (publishable)" if not rule.secret else rule.severity.value
        keywords = ", ".join(f"`{k}`" for k in rule.keywords[:6])
        if len(rule.keywords) > 6:
            keywords += ", ..."
        provider = f"[{rule.provider}]({rule.reference})" if rule.reference else rule.provider
        verify = (rule.verify or "-").replace("|", "\\|")
        lines.append(
            f"| `{rule.id}` | {provider} | {rule.kind} | {severity} | {caps} | {keywords} "
            f"| {verify} |"
        )
    lines += ["", END]
    return "\n".join(lines)


def regenerate(path: Path = DOC) -> None:
    """Replace the generated block of ``path`` with the current catalog's table."""
    text = path.read_text(encoding="utf-8")
    start, end = text.index(BEGIN), text.index(END) + len(END)
    path.write_text(text[:start] + render_rules_doc(load_catalog()) + text[end:], encoding="utf-8")


if __name__ == "__main__":
    regenerate(Path(sys.argv[1]) if len(sys.argv) > 1 else DOC)
    print(f"regenerated {DOC}")
