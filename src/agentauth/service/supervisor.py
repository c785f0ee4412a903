"""The process supervisor of ``agentauth run``: spawn, relay signals, pass the exit code through.

Kept apart from the environment logic in :mod:`agentauth.service.run` because it is the
one piece that touches signals and processes; like ``run`` it imports nothing heavy.
"""

from __future__ import annotations

import errno
import os
import signal
import sys
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


NOT_EXECUTABLE = 126
NOT_FOUND = 127
"""The shell's codes for a command that exists but cannot run, and one that does not exist."""


class SpawnError(OSError):
    """The command could not be started; ``code`` is the shell's exit code (126 or 127)."""

    def __init__(self, command: str, code: int, reason: str) -> None:
        """Keep the command, the exit code and the reason for the message."""
        super().__init__(reason)
        self.command = command
        self.code = code
        self.reason = reason


def which(command: str, path: str | None) -> str | None:
    """Return the executable ``command`` resolves to on ``path`` (like ``shutil.which``)."""
    if "/" in command:
        return command if os.access(command, os.X_OK) and not os.path.isdir(command) else None
    for directory in (path or os.defpath).split(os.pathsep):
        candidate = os.path.join(directory or ".", command)
        if os.access(candidate, os.X_OK) and not os.path.isdir(candidate):
            return candidate
    return None


def resolve(command: str, path: str | None) -> str:
    """Return the executable for ``command`` or raise SpawnError with the shell's code.

    As in sh: a name found nowhere is 127; a file that exists but is not executable
    (or is a directory) is 126.
    """
    found = which(command, path)
    if found is not None:
        return found
    candidates = [command] if "/" in command else [
        os.path.join(d or ".", command) for d in (path or os.defpath).split(os.pathsep)
    ]  # fmt: skip
    for candidate in candidates:
        if os.path.isdir(candidate) and "/" in command:
            raise SpawnError(command, NOT_EXECUTABLE, "is a directory")
        if os.path.isfile(candidate):
            raise SpawnError(command, NOT_EXECUTABLE, "permission denied (not executable)")
    raise SpawnError(command, NOT_FOUND, "command not found")


def _spawn_code(exc: OSError) -> int:
    return NOT_FOUND if exc.errno == errno.ENOENT else NOT_EXECUTABLE


def seal_inherited_fds() -> None:
    """Mark every descriptor >= 3 close-on-exec, so the child inherits only stdin/out/err.

    Python opens its own files close-on-exec; what is left are descriptors *our*
    parent passed down (a shell's ``3< .env``, an editor's pipe), which must not
    reach the agent.
    """
    try:
        fds = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        fds = list(range(3, 256))
    for fd in fds:
        if fd < 3:
            continue
        try:  # noqa: SIM105 - contextlib costs start-up time
            os.set_inheritable(fd, False)
        except OSError:
            pass


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
        """Run the child to completion and return its exit code (128+N when killed by N).

        Raises SpawnError when the command cannot be started.
        """
        seal_inherited_fds()
        self._install()
        try:
            # NOTE: handlers are installed before the spawn so that no signal is lost in
            # between; the child gets default dispositions (Python ignores SIGPIPE).
            defaults = (*FORWARDED, signal.SIGINT, signal.SIGPIPE, signal.SIGXFSZ)
            setpriv = _setpriv()
            if setpriv is not None:
                # NOTE: setpriv sets PR_SET_PDEATHSIG and execs the command: the child's
                # life is tied to ours at posix_spawn's speed (a fork costs ~6 ms more).
                wrapped = [setpriv, "--pdeathsig", "KILL", "--", executable, *argv[1:]]
                try:
                    self.pid = os.posix_spawn(setpriv, wrapped, dict(env), setsigdef=defaults)
                except OSError as exc:
                    raise SpawnError(argv[0], _spawn_code(exc), exc.strerror or "") from None
            elif sys.platform.startswith("linux"):
                self.pid = _fork_exec(executable, argv, env, defaults)
            else:
                try:
                    self.pid = os.posix_spawn(executable, list(argv), dict(env),
                                              setsigdef=defaults)  # fmt: skip
                except OSError as exc:
                    raise SpawnError(argv[0], _spawn_code(exc), exc.strerror or "") from None
            for target in self._pending:
                os.kill(self.pid, target)
            self._pending.clear()
            _, status = os.waitpid(self.pid, 0)
            return exit_code(status)
        finally:
            self._restore()


_PR_SET_PDEATHSIG = 1
_SETPRIV_PATHS = ("/usr/bin/setpriv", "/bin/setpriv")
_state: dict[str, object] = {}


def _setpriv() -> str | None:
    """Return util-linux's ``setpriv`` (a fixed system path, never PATH), or None."""
    if "setpriv" not in _state:
        found = None
        if sys.platform.startswith("linux"):
            found = next((p for p in _SETPRIV_PATHS if os.access(p, os.X_OK)), None)
        _state["setpriv"] = found
    return _state["setpriv"]  # type: ignore[return-value]


def _fork_exec(
    executable: str, argv: Sequence[str], env: Mapping[str, str], defaults: Sequence[int]
) -> int:
    """Fork, tie the child's life to ours (``PR_SET_PDEATHSIG``), exec; return the pid.

    Why not posix_spawn here: the death signal must be set in the child between fork
    and exec. Without it a ``kill -9`` of the supervisor would leave the agent running
    with its credentials and nobody to log the end of the run. An exec failure travels
    back through a close-on-exec pipe as its errno, as in :mod:`subprocess`.
    """
    parent = os.getpid()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child; its outcome is asserted by the tests
        code = 127
        try:
            os.close(read_end)
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            if os.getppid() != parent:
                os._exit(code)  # the supervisor died before the prctl took effect
            for signum in defaults:
                signal.signal(signum, signal.SIG_DFL)
            os.execve(executable, list(argv), dict(env))  # noqa: S606 - no shell, by design
        except OSError as exc:
            try:  # noqa: SIM105 - the child must not import contextlib
                os.write(write_end, str(exc.errno or 0).encode())
            except OSError:
                pass
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        failure = pipe.read()
    if failure:
        os.waitpid(pid, 0)
        number = int(failure or b"0")
        error = OSError(number, os.strerror(number))
        raise SpawnError(argv[0], _spawn_code(error), error.strerror or "")
    return pid
