"""Findings from outside the files: the process environment and the MCP/agent configs.

Split from :mod:`agentauth.service.scan` (the file pipeline): environment values are
named and masked; an MCP config's literal values become findings located in its text,
and ``${VAR}`` references add "received by server X" to the findings of ``VAR``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from agentauth.engine import mcpconfig, sources
from agentauth.model import Finding, Origin, Skip

if TYPE_CHECKING:
    from agentauth.service.scanoptions import Engine

ENVIRON_FILE = "<environ>"


def _ignored(lines: list[str], line: int) -> bool:
    """True when an inline ignore comment covers ``line`` (same rules as the detector)."""
    from agentauth.engine.ignorecomments import IGNORE_MARKERS, IGNORE_NEXT_LINE_MARKERS

    if not 0 < line <= len(lines):
        return False
    here = lines[line - 1].encode("utf-8", "surrogatepass")
    before = lines[line - 2].encode("utf-8", "surrogatepass") if line > 1 else b""
    return any(m in here for m in IGNORE_MARKERS) or any(
        m in before for m in IGNORE_NEXT_LINE_MARKERS
    )


def environ_findings(environ: Mapping[str, str], engine: Engine) -> list[Finding]:
    """Findings for credentials in the process environment: names shown, values masked."""
    from agentauth.engine.classify import classify
    from agentauth.engine.detect import detect_value

    found = []
    for name in sorted(environ):
        value = environ[name]
        if not value:
            continue
        for candidate in detect_value(name, value, engine.catalog):
            finding = classify(
                candidate, file=ENVIRON_FILE, catalog=engine.catalog, origin=Origin.ENVIRON
            )
            if finding is not None:
                found.append(dataclasses.replace(finding, variable=finding.variable or name))
    return found


def mcp_findings_of(
    selection: sources.Selection, engine: Engine, findings: list[Finding], notes: list[str]
) -> tuple[list[Finding], list[tuple[str, str, int]]]:
    """Parse agent configs: literal credentials become MCP findings, references add context.

    ``findings`` is updated in place with context naming the servers that receive a variable.
    """
    receivers: dict[str, list[str]] = {}
    env_files: dict[str, list[str]] = {}
    found: list[Finding] = []
    hidden: list[tuple[str, str, int]] = []
    for source in selection.files:
        if mcpconfig.client_for(source.rel) is None:
            continue
        text = sources.read(source, engine.max_file_bytes)
        if isinstance(text, Skip):
            continue
        config = mcpconfig.parse(source.rel, text)
        if config is None:
            continue
        if config.error:
            notes.append(f"{config.path}: {config.error}")
            continue
        lines = text.split("\n")
        for server in config.servers:
            where = f"{server.label} ({config.path})"
            if server.references:
                notes.append(
                    f"{where} receives {', '.join(server.references)} from the environment"
                )
            for ref in server.references:
                receivers.setdefault(ref, []).append(where)
            if server.env_file:
                env_files.setdefault(server.env_file, []).append(where)
            for finding, line in _mcp_literals(server, config.path, text, engine):
                if engine.honour_ignore_comments and _ignored(lines, line):
                    hidden.append((finding.fingerprint, finding.file, finding.line))
                else:
                    found.append(finding)
    for index, finding in enumerate(findings):
        extra = receivers.get(finding.variable or "", []) + env_files.get(finding.file, [])
        if extra:
            context = "received by " + "; ".join(dict.fromkeys(extra))
            if finding.context:
                context = f"{finding.context}; {context}"
            findings[index] = dataclasses.replace(finding, context=context)
    return found, hidden


def _mcp_literals(
    server: mcpconfig.McpServer, rel: str, text: str, engine: Engine
) -> Iterator[tuple[Finding, int]]:
    """Run the detector over each literal value a server is given; locate it in the text."""
    from agentauth.engine.classify import classify
    from agentauth.engine.detect import detect_value

    for value in server.values:
        if value.value is None:
            continue
        for candidate in detect_value(value.name, value.value.reveal(), engine.catalog):
            finding = classify(candidate, file=rel, catalog=engine.catalog, origin=Origin.MCP)
            if finding is None:
                continue
            line, column = _locate(text, candidate.secret.reveal(), value.offset, server.offset)
            yield (
                dataclasses.replace(
                    finding,
                    line=line or value.line or server.line,
                    column=column or value.column,
                    variable=finding.variable or value.name or None,
                    origin=Origin.MCP,
                    context=server.label,
                ),
                line or value.line,
            )


def _locate(text: str, needle: str, *starts: int) -> tuple[int, int]:
    """Return the 1-based line and column of ``needle`` at or after the first usable start."""
    for start in (*starts, 0):
        if start < 0:
            continue
        offset = text.find(needle, start)
        if offset >= 0:
            line_start = text.rfind("\n", 0, offset) + 1
            return text.count("\n", 0, offset) + 1, offset - line_start + 1
    return 0, 0
