"""Ask each finding's provider, read-only, what the credential can really do (``audit --verify``).

Offline classification guesses from the shape of a value; verification asks the
system that owns it. It is opt-in because it sends the credential over the network.
A provider that is missing, unsupported or unreachable gives an ``unknown``
verification, never an error that stops the audit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

from agentauth.config import envfile
from agentauth.engine import sources
from agentauth.errors import AgentAuthError
from agentauth.model import Environment, Finding, Origin, Secret, Severity, Skip, Verification
from agentauth.redact import Scrubber
from agentauth.service.verifytext import one_line

MAX_PARALLEL = 8


def verify_findings(
    findings: Sequence[Finding],
    selection: sources.Selection,
    environ: Mapping[str, str],
    max_file_bytes: int = sources.DEFAULT_MAX_FILE_BYTES,
    *,
    timeout: float = 10.0,
) -> list[Finding]:
    """Return ``findings`` with a Verification attached to each one a provider knows.

    A proven severity (``Verification.severity``) replaces the offline one, except for
    ``dev`` credentials: a laptop database that turns out to be a superuser is still a
    laptop database, so its severity stays low and only the summary tells.
    """
    from agentauth.providers import PROVIDERS

    related = _related(findings, selection, environ, max_file_bytes)
    todo = [i for i, f in enumerate(findings) if f.provider in PROVIDERS]
    result = list(findings)
    if not todo:
        return result

    def run(index: int) -> Verification:
        finding = findings[index]
        context_values = related.get(_key(finding), {})
        return verify_one(finding, context_values, environ, timeout)

    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL, len(todo))) as pool:
        for index, verification in zip(todo, pool.map(run, todo), strict=True):
            finding = findings[index]
            result[index] = dataclasses.replace(
                finding,
                verification=verification,
                severity=_verified_severity(finding, verification),
            )
    return result


def _verified_severity(finding: Finding, verification: Verification) -> Severity:
    if finding.environment is Environment.DEV or verification.severity is None:
        return finding.severity
    return verification.severity


def verify_one(
    finding: Finding, related: Mapping[str, Secret], environ: Mapping[str, str], timeout: float
) -> Verification:
    """Verify one finding; every failure becomes an ``unknown`` verification with a reason."""
    from agentauth.providers import base, get

    scrub = Scrubber([finding.secret, *related.values()])
    try:
        provider = get(finding.provider)
        ctx = base.VerifyContext(related=related, environ=environ, timeout=timeout)
        answer = provider.verify(finding, ctx)
        return dataclasses.replace(answer, summary=one_line(answer.summary))
    except AgentAuthError as exc:
        return Verification("unknown", one_line(scrub(str(exc))) or type(exc).__name__)
    except ImportError:
        return Verification("unknown", f"the {finding.provider} provider is not available")
    except NotImplementedError:
        return Verification("unknown", f"verification is not supported for {finding.provider}")
    except Exception as exc:  # NOTE: a provider bug must not stop the audit or leak a value
        return Verification(
            "unknown", f"verification failed: internal error ({type(exc).__name__})"
        )


def _key(finding: Finding) -> str:
    return ENVIRON_KEY if finding.origin is Origin.ENVIRON else finding.file


ENVIRON_KEY = "\0environ"


def _related(
    findings: Sequence[Finding],
    selection: sources.Selection,
    environ: Mapping[str, str],
    max_file_bytes: int,
) -> dict[str, dict[str, Secret]]:
    """Other variables beside each finding: its env file's entries, its file's findings."""
    related: dict[str, dict[str, Secret]] = {}
    by_rel = {s.rel: s for s in selection.files}
    for finding in findings:
        key = _key(finding)
        if key in related:
            continue
        values: dict[str, Secret] = {}
        if finding.origin is Origin.ENVIRON:
            values = {k: Secret(v) for k, v in environ.items() if v}
        elif key in by_rel and by_rel[key].env:
            text = sources.read(by_rel[key], max_file_bytes)
            if not isinstance(text, Skip):
                entries = envfile.values(envfile.parse(text))
                values = {k: Secret(v) for k, v in entries.items()}
        related[key] = values
    for finding in findings:
        if finding.variable:
            related[_key(finding)].setdefault(finding.variable, finding.secret)
    return related
