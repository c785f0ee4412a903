"""The process supervisor of ``agentauth run``: spawn, relay signals, pass the exit code through.

Kept apart from the environment logic in :mod:`agentauth.service.run` because it is the
one piece that touches signals and processes; like ``run`` it imports nothing heavy.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Mapping, Sequence

FORWARDED = (
    signal.SIGTERM,
    signal.SIGHUP,
    signal.SIGQUIT,
    signal.SIGUSR1,
    signal.SIGUSR2,
    signal.SIGWINCH,
)
"""Signals relayed to the child as they arrive (SIGINT is handled on its own)."""


class InterruptPolicy:
    """What to do with a SIGINT: the dotenvx rule, with a window for "pressed twice".

    On a terminal the first Ctrl-C already reached the child (the terminal signals the
    whole foreground process group), so it is left to the child's own handling: agent
    TUIs use Ctrl-C to cancel a step. A second Ctrl-C within ``window`` seconds
    escalates to SIGTERM, a third to SIGKILL. Without a terminal, SIGINT came from a
    ``kill`` aimed at us alone, so it is forwarded.
    """

    def __init__(
        self, interactive: bool, window: float = 2.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """Configure for a terminal (``interactive``) or not."""
        self.interactive = interactive
        self.window = window
        self._clock = clock
        self._presses: list[float] = []

    def on_sigint(self) -> int | None:
        """Return the signal to send to the child, or None to leave it alone."""
        if not self.interactive:
            return signal.SIGINT
        now = self._clock()
        self._presses = [t for t in self._presses if now - t <= self.window] + [now]
        count = len(self._presses)
        if count == 1:
            return None
        if count == 2:
            return signal.SIGTERM
        return signal.SIGKILL


def which(command: str, path: str | None) -> str | None:
    """Return the executable ``command`` resolves to on ``path`` (like ``shutil.which``)."""
    if "/" in command:
        return command if os.access(command, os.X_OK) and not os.path.isdir(command) else None
    for directory in (path or os.defpath).split(os.pathsep):
        candidate = os.path.join(directory or ".", command)
        if os.access(candidate, os.X_OK) and not os.path.isdir(candidate):
            return candidate
    return None


def exit_code(status: int) -> int:
    """Map a wait status to a shell exit code: the child's code, or 128+N for signal N."""
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


class Supervisor:
    """Spawns the child, relays signals, waits, and returns the shell-style exit code.

    A supervisor rather than ``exec``: the run's end and exit code go to the audit
    log, which needs a process left to write them.
    """

    def __init__(self, interrupt: InterruptPolicy) -> None:
        """Use ``interrupt`` to decide about SIGINT."""
        self._interrupt = interrupt
        self.pid: int | None = None
        self._pending: list[int] = []
        self._previous: dict[int, object] = {}

    def _relay(self, signum: int, _frame: object) -> None:
        target = signum
        if signum == signal.SIGINT:
            decided = self._interrupt.on_sigint()
            if decided is None:
                return
            target = decided
        if self.pid is None:
            self._pending.append(target)
            return
        try:  # noqa: SIM105 - contextlib costs start-up time
            os.kill(self.pid, target)
        except ProcessLookupError:
            pass

    def _install(self) -> None:
        for signum in (*FORWARDED, signal.SIGINT):
            self._previous[signum] = signal.signal(signum, self._relay)

    def _restore(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
        self._previous.clear()

    def run(self, executable: str, argv: Sequence[str], env: Mapping[str, str]) -> int:
        """Run the child to completion and return its exit code (128+N when killed by N)."""
        self._install()
        try:
            # NOTE: handlers are installed before the spawn so that no signal is lost in
            # between; the child gets default dispositions (Python ignores SIGPIPE).
            defaults = (*FORWARDED, signal.SIGINT, signal.SIGPIPE, signal.SIGXFSZ)
            self.pid = os.posix_spawn(executable, list(argv), dict(env), setsigdef=defaults)
            for target in self._pending:
                os.kill(self.pid, target)
            self._pending.clear()
            _, status = os.waitpid(self.pid, 0)
            return exit_code(status)
        finally:
            self._restore()
