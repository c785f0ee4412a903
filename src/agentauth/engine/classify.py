"""Turn a detector candidate into a classified finding: environment, severity, ci_fail, why, fix.

Order of decisions: documentation examples and placeholders are dropped (None); the
rule's classifier refines provider, environment and capabilities from the value itself
(key prefix, checksum, URL host, JWT claims); an environment still unknown is taken
from the file name (``.env.production``, ``.env.test``...) and the variable name
(``PROD_``, ``TEST_``); then severity and ``ci_fail`` follow from environment and
capabilities.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re

from agentauth.config.envwrite import ENV_AI_MARKER
from agentauth.engine.rules import CRITICAL_CAPABILITIES, Catalog, Rule
from agentauth.engine.rules.classifiers import (
    CLASSIFIERS,
    OWN_PLACEHOLDER_CHECK,
    SHORTER_THAN_ISSUED,
    Assessment,
    is_test_path,
)
from agentauth.engine.rules.placeholders import is_placeholder
from agentauth.marker import is_phantom
from agentauth.model import Candidate, Environment, Finding, Origin, RuleId, Severity
from agentauth.redact import fingerprint, mask

_LIVE_FILE = re.compile(r"(?:^|[._-])(?:prod|production|live)(?:[._-]|$)", re.IGNORECASE)
_TEST_FILE = re.compile(r"(?:^|[._-])(?:test|testing|ci)(?:[._-]|$)", re.IGNORECASE)
_DEV_FILE = re.compile(
    r"(?:^|[._-])(?:dev|development|example|sample|template|dist|defaults?)(?:[._-]|$)"
    r"|^(?:docker-)?compose[\w.-]*\.ya?ml$",
    re.IGNORECASE,
)
_TEMPLATE_FILE = re.compile(r"[._-](?:example|sample|template|dist|defaults?)$", re.IGNORECASE)
_DOC_FILE = re.compile(r"\.(?:md|markdown|mdx|rst|adoc|asciidoc)$", re.IGNORECASE)
_LIVE_VARIABLE = re.compile(r"(?:^|_)(?:PROD|PRODUCTION|LIVE)(?:_|$)", re.IGNORECASE)
_TEST_VARIABLE = re.compile(r"(?:^|_)(?:TEST|TESTING|SANDBOX)(?:_|$)", re.IGNORECASE)
_DEV_VARIABLE = re.compile(r"(?:^|_)(?:DEV|LOCAL|DEVELOPMENT)(?:_|$)", re.IGNORECASE)


def classify(
    candidate: Candidate,
    *,
    file: str,
    catalog: Catalog,
    origin: Origin = Origin.FILE,
    own_output: bool = False,
) -> Finding | None:
    """Classify one candidate; None means a placeholder or documentation example (dropped).

    ``file`` is relative to the scan root (its name matters: ``.env.example`` is
    documentation, ``.env.production`` is live); for other origins it is a label
    such as ``<environ>`` and only the variable name is used as a hint.
    ``own_output`` says the file is one agentauth wrote (``.env.ai``, see
    :func:`is_agentauth_output`): its credentials are the agent's scoped ones.
    """
    rule = catalog.get(candidate.rule_id)
    value = candidate.secret.reveal()
    if value in catalog.documentation_examples or is_phantom(value):
        return None  # a phantom (agentauth.marker) is a worthless per-run stand-in
    typed_runs = not loaded_configuration(file, origin)
    if rule.classifier not in OWN_PLACEHOLDER_CHECK and is_placeholder(
        _unfixed(value, rule), typed_runs=typed_runs
    ):
        return None
    assessment = Assessment.from_rule(rule)
    if rule.classifier is not None:
        refined = CLASSIFIERS[rule.classifier](value, candidate, rule, assessment)
        if refined is None:
            return None
        assessment = refined
    if typed_runs and assessment.extra.get(SHORTER_THAN_ISSUED) == "true":
        return None  # in source or docs a key shorter than any issued is a stand-in
    if _template_default(assessment, file, origin):
        return None
    assessment = _apply_hints(assessment, file, candidate.variable, origin, rule.provider)
    if own_output:
        assessment = _own_output(assessment)
    elif _test_fixture(assessment, file, origin):
        assessment = dataclasses.replace(
            assessment,
            final_severity=Severity.INFO,
            ci_fail=False,
            why=f"{assessment.why.rstrip('.')} In a test fixture: a test credential where tests "
            "keep them.",
        )
    severity, ci_fail = _severity(assessment)
    return Finding(
        rule_id=RuleId(rule.id),
        provider=assessment.provider,
        kind=assessment.kind,
        file=file,
        line=candidate.line,
        column=candidate.column,
        variable=candidate.variable,
        environment=assessment.environment,
        severity=severity,
        ci_fail=ci_fail,
        capabilities=assessment.capabilities,
        redacted=assessment.redacted or mask(value),
        fingerprint=fingerprint(rule.id, value),
        why=assessment.why,
        fix=assessment.fix,
        secret=candidate.secret,
        origin=origin,
        extra={**candidate.extra, **assessment.extra},
    )


def is_agentauth_output(text: str | bytes) -> bool:
    """True when ``text`` (or its UTF-8 bytes) is a file agentauth wrote (``.env.ai``): its
    header says so."""
    if isinstance(text, bytes):
        return ENV_AI_MARKER.encode() in text[:4096]
    return ENV_AI_MARKER in text[:4096]


def loaded_configuration(file: str, origin: Origin = Origin.FILE) -> bool:
    """True for values an application loads as they are: env files, the environment, MCP env.

    There a made-up looking value (``sk_live_51HxYzAbCdEf...``) is still what the
    program sends to the provider, so alphabet runs do not make it a placeholder;
    templates (``.env.example``) are documentation and keep the full placeholder check.
    """
    if origin is not Origin.FILE:
        return True
    name = posixpath.basename(file.replace("\\", "/"))
    if _TEMPLATE_FILE.search(name):
        return False
    return name.startswith(".env") or name.endswith((".env", ".envrc")) or name == ".dev.vars"


def _test_fixture(a: Assessment, file: str, origin: Origin) -> bool:
    """A test-mode or test-hinted credential inside a test folder is a fixture, not a risk."""
    return a.environment is Environment.TEST and origin is Origin.FILE and is_test_path(file)


def _own_output(a: Assessment) -> Assessment:
    return dataclasses.replace(
        a,
        final_severity=Severity.LOW,
        ci_fail=False,
        capabilities=(),
        why="Credential agentauth wrote for the agent (.env.ai, from agentauth.yaml): scoped by "
        "the policy or passed through on purpose, and revocable.",
        fix="Nothing to do here; agentauth status lists it, agentauth revoke removes it. Keep "
        "the file out of git.",
    )


def _unfixed(value: str, rule: Rule) -> str:
    """The value without the literal parts of its format (they are not a placeholder's run)."""
    for part in rule.fixed:
        value = value.replace(part, "")
    return value


def _template_default(a: Assessment, file: str, origin: Origin) -> bool:
    """A local URL with a default password in ``.env.example`` or a README documents the
    format only (``mysql://root:secret@db:3306/app`` in ``docs/install.md``)."""
    if origin is not Origin.FILE or a.environment is not Environment.DEV:
        return False
    name = posixpath.basename(file.replace("\\", "/"))
    documentation = bool(_TEMPLATE_FILE.search(name) or _DOC_FILE.search(name))
    return a.extra.get("weak_password") == "true" and documentation


def environment_hint(file: str, variable: str | None) -> Environment:
    """Return the environment a file or variable name implies (UNKNOWN when it says nothing)."""
    name = posixpath.basename(file.replace("\\", "/"))
    if name.startswith(".env") or name.endswith(".env") or "compose" in name:
        if _LIVE_FILE.search(name):
            return Environment.LIVE
        if _TEST_FILE.search(name):
            return Environment.TEST
        if _DEV_FILE.search(name):
            return Environment.DEV
    if variable:
        if _LIVE_VARIABLE.search(variable):
            return Environment.LIVE
        if _TEST_VARIABLE.search(variable):
            return Environment.TEST
        if _DEV_VARIABLE.search(variable):
            return Environment.DEV
    return Environment.UNKNOWN


def _apply_hints(
    a: Assessment, file: str, variable: str | None, origin: Origin, provider: str
) -> Assessment:
    if a.environment is not Environment.UNKNOWN or not a.hints:
        return a
    hint = environment_hint(file if origin is Origin.FILE else "", variable)
    generic_in_tests = provider == "generic" and origin is Origin.FILE and is_test_path(file)
    if hint is Environment.UNKNOWN and generic_in_tests:
        hint = Environment.TEST
    if hint is Environment.UNKNOWN:
        return a
    if hint in (Environment.TEST, Environment.DEV):
        where = "test" if hint is Environment.TEST else "development"
        return dataclasses.replace(
            a,
            environment=hint,
            capabilities=(),
            why=f"{a.why.rstrip('.')} (in a {where} file or variable: likely not production).",
        )
    return dataclasses.replace(a, environment=hint)


def _severity(a: Assessment) -> tuple[Severity, bool]:
    """Severity and ci_fail from environment and capabilities (unless a classifier fixed them)."""
    if a.final_severity is not None:
        severity = a.final_severity
        ci_fail = a.secret and severity.rank >= Severity.MEDIUM.rank
        if a.environment in (Environment.TEST, Environment.DEV):
            ci_fail = False
    elif not a.secret:
        severity, ci_fail = Severity.INFO, False
    elif a.environment in (Environment.TEST, Environment.DEV):
        severity, ci_fail = Severity.LOW, False
    elif a.environment is Environment.LIVE:
        critical = bool(CRITICAL_CAPABILITIES.intersection(a.capabilities))
        severity = Severity.CRITICAL if critical else a.severity
        ci_fail = True
    else:
        severity = a.severity if a.severity.rank <= Severity.HIGH.rank else Severity.HIGH
        ci_fail = severity.rank >= Severity.MEDIUM.rank
    if a.ci_fail is not None:
        ci_fail = a.ci_fail
    return severity, ci_fail
