"""Fixtures of the audit engine tests: the built-in catalog and a classify-everything helper."""

from __future__ import annotations

import pytest
from tests.audit_engine.audit_engine_helpers import Findings

from agentauth.engine.classify import classify
from agentauth.engine.detect import detect_text
from agentauth.engine.rules import Catalog, load_catalog
from agentauth.model import Finding


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    """The built-in rule catalog."""
    return load_catalog()


@pytest.fixture
def findings(catalog: Catalog) -> Findings:
    """Detect and classify ``text`` as if read from ``file``; placeholders are dropped."""

    def run(text: str, file: str = ".env") -> list[Finding]:
        out = []
        for candidate in detect_text(text, catalog, path=file):
            finding = classify(candidate, file=file, catalog=catalog)
            if finding is not None:
                out.append(finding)
        return out

    return run
