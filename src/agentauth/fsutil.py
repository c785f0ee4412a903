"""The one atomic writer and the one safe reader of the files agentauth keeps or is given.

Why one of each: a half-written ledger orphans every grant, a baseline meant to be
committed must not be 0600, and a ``.env`` that is a FIFO or a symlink to
``/dev/zero`` must not hang agentauth or exhaust its memory. Every file agentauth
opens besides the audit's own scan (which has its own file-kind checks) goes through
:func:`read_bytes`; every file it writes goes through :func:`write_atomic`.

Import-light on purpose (``os`` and ``stat`` only): ``run`` uses it on its start-up path.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from agentauth.errors import AgentAuthError, ConfigError

SECRET_MODE = 0o600
"""Files that hold or describe secrets: ``.env.ai``, the ledger, the run cache."""
SHARED_MODE = 0o644
"""Files meant to be committed or read by others: the baseline, the policy."""
DEFAULT_MAX_BYTES = 16 * 1024 * 1024
"""No policy, env file, ledger or baseline agentauth reads is anywhere near this."""


def write_atomic(
    path: Path,
    data: str | bytes,
    *,
    mode: int = SECRET_MODE,
    durable: bool = True,
) -> None:
    """Replace ``path`` with ``data`` atomically: a reader sees the old file or the new one.

    The temporary file is created next to ``path`` with ``mode`` already set (never
    briefly world-readable), written, fsynced, renamed over ``path``, and then the
    directory is fsynced so the rename survives a crash. ``durable=False`` skips both
    fsyncs for caches whose loss only costs speed. ``str`` data is written as UTF-8
    without newline translation. Raises OSError; callers say what failed in their terms.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    directory = path.parent
    tmp = directory / f".{path.name}.{os.getpid()}-{os.urandom(4).hex()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, mode)
    try:
        try:
            os.fchmod(fd, mode)
            view = memoryview(payload)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:  # noqa: SIM105 - contextlib costs start-up time
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if durable:
        _fsync_directory(directory)


def _fsync_directory(directory: Path) -> None:
    try:
        dfd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


def read_at_most(path: str | Path, limit: int, size_hint: int) -> bytes:
    """Return the first ``limit + 1`` bytes of ``path`` at most (more than ``limit``: too big).

    For the audit's hot path, which has listed the file as regular and knows its size
    (``size_hint``): one non-blocking open (a FIFO swapped in meanwhile cannot hang it)
    and, for a file that did not grow, one read of exactly its size. Raises OSError.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        return _read_fd(fd, limit, size_hint)
    finally:
        os.close(fd)


def _read_fd(fd: int, limit: int, size_hint: int) -> bytes:
    """Read up to ``limit + 1`` bytes; the first read asks for ``size_hint + 1``.

    Why the hint: a read asking for the whole cap (megabytes) allocates it for every
    small file; asking for the size plus one byte reads a file in one call and still
    sees one that grew.
    """
    want = min(max(size_hint, 0), limit) + 1
    data = os.read(fd, want)
    if len(data) < want or len(data) > limit:
        return data
    chunks = [data]
    total = len(data)
    while total <= limit:
        chunk = os.read(fd, min(1 << 20, limit + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def read_bytes(
    path: Path,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    error: type[AgentAuthError] = ConfigError,
    what: str = "file",
) -> bytes:
    """Return the bytes of a regular file of at most ``max_bytes``; raise ``error`` otherwise.

    Opened non-blocking so a FIFO cannot hang the open, then checked with ``fstat``
    on the descriptor (no race with a swapped path): FIFOs, devices (``/dev/zero``
    through a symlink), sockets and directories are refused with a message naming
    the path. A missing file raises FileNotFoundError unchanged, since most callers
    treat "absent" as a state of their own.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise
    except IsADirectoryError:
        raise error(f"{path} is a directory, not a {what}; name the file") from None
    except OSError as exc:
        raise error(f"cannot read {path}: {exc.strerror}; check the {what}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = _kind(info.st_mode)
            raise error(f"{path} is {kind}, not a regular {what}; refusing to read it")
        if info.st_size > max_bytes:
            raise error(
                f"{path} is {info.st_size} bytes, more than the {max_bytes} a {what} may be; "
                "check that it is the right file"
            )
        data = _read_fd(fd, max_bytes, info.st_size)
        if len(data) > max_bytes:
            raise error(f"{path} grew past {max_bytes} bytes while being read; refusing it")
        return data
    except OSError as exc:
        raise error(f"cannot read {path}: {exc.strerror}; check the {what}") from None
    finally:
        os.close(fd)


def read_text(
    path: Path,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    error: type[AgentAuthError] = ConfigError,
    what: str = "file",
) -> str:
    """Return a regular file decoded as strict UTF-8; ``error`` on bytes that are not UTF-8."""
    data = read_bytes(path, max_bytes=max_bytes, error=error, what=what)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{path} is not UTF-8 text (byte {exc.start}); check the {what}") from None


def read_head(path: Path, size: int) -> bytes | None:
    """Return the first ``size`` bytes of a regular file, or None for anything else.

    For probes ("does this file start with agentauth's header?"): the same non-blocking
    open and ``fstat`` as :func:`read_bytes`, so a FIFO or device is never waited on or
    read, and a missing or unreadable file is simply not the one looked for.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return os.read(fd, size)
    except OSError:
        return None
    finally:
        os.close(fd)


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "not a regular file"
