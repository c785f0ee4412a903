"""Renderers of a scan report: a table for humans, JSON and SARIF for machines.

Every renderer reads only masked fields of a finding (``redacted``, ``fingerprint``); none of
them ever calls :meth:`~agentauth.model.Secret.reveal`.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import assert_never

from agentauth.model import ScanReport
from agentauth.report.rulemeta import RuleInfo

__all__ = ["Format", "RuleInfo", "render"]


class Format(enum.Enum):
    """The output formats of ``audit`` and ``check`` (``--format``)."""

    TABLE = "table"
    JSON = "json"
    SARIF = "sarif"


def render(
    report: ScanReport,
    fmt: Format,
    *,
    rules: Sequence[RuleInfo] | None = None,
    uri_prefix: str = "",
    verbose: bool = False,
    width: int = 120,
) -> str:
    """Return ``report`` rendered as ``fmt``.

    ``rules`` is the rule catalog for SARIF's ``tool.driver.rules`` (loaded from
    :mod:`agentauth.engine.rules` when omitted); ``uri_prefix`` turns root-relative paths into
    repository-relative SARIF URIs. ``verbose`` and ``width`` shape the plain-text table;
    the CLI prints the table through :func:`agentauth.report.table.print_report` instead,
    to keep colour on a terminal.
    """
    match fmt:
        case Format.TABLE:
            from agentauth.report import table

            return table.render_text(report, verbose=verbose, width=width)
        case Format.JSON:
            from agentauth.report import json as json_report

            return json_report.render(report)
        case Format.SARIF:
            from agentauth.report import sarif

            return sarif.render(report, rules=rules, uri_prefix=uri_prefix)
        case _:
            assert_never(fmt)
