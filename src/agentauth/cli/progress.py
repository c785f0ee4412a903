"""The progress bar of a big ``audit``: on stderr, only on an interactive terminal.

rich is imported only when a bar is drawn, so the fast path of ``check`` never loads it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentauth.cli import console

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

PROGRESS_MIN_FILES = 2000
"""Below this many files the scan is over before a progress bar would be readable."""


class ProgressBar:
    """The :class:`agentauth.service.scan.ScanProgress` observer: a bar on stderr for big scans."""

    def __init__(self, console_: Console, min_files: int = PROGRESS_MIN_FILES) -> None:
        self._console = console_
        self._min_files = min_files
        self._progress: Progress | None = None
        self._task: Any = None

    def start(self, total_files: int) -> None:
        """Show a transient bar when the scan is big enough to be worth watching."""
        if total_files < self._min_files:
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self._progress = Progress(
            TextColumn("scanning"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self._console,
            transient=True,
        )
        self._progress.start()
        self._task = self._progress.add_task("scan", total=total_files)

    def advance(self, path: str, nbytes: int) -> None:
        """Count one file done."""
        if self._progress is not None:
            self._progress.advance(self._task)

    def finish(self) -> None:
        """Remove the bar."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def progress_bar(quiet: bool) -> ProgressBar | None:
    """A bar for an interactive terminal, else None (pipes, CI, ``--quiet``)."""
    if quiet or not console.is_interactive():
        return None  # NOTE: before creating the console: that imports rich
    err = console.err_console()
    return ProgressBar(err) if err.is_terminal else None
