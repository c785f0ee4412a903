"""How much of the table report to print: a type of its own, free of rich.

Why apart from :mod:`agentauth.report.table`: ``audit --format json`` and ``check`` build
these options on every run, and importing the table module costs rich's import (about
30 ms of a run); only a run that draws a table should pay it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Options:
    """How much of the report to print.

    ``quiet`` keeps only the findings; ``verbose`` lists skipped files; ``has_policy``
    (an agentauth.yaml exists) changes the suggested next step; ``next_step`` replaces it;
    ``show_info`` lists the ``info`` findings, which are otherwise one count line.
    """

    verbose: bool = False
    quiet: bool = False
    has_policy: bool = False
    next_step: str | None = None
    show_info: bool = False
    """List ``info`` findings (publishable keys, bad checksums) instead of counting them."""
