"""The one atomic writer and the one safe reader: modes, FIFOs, devices, size caps."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from agentauth import fsutil
from agentauth.config import envfile
from agentauth.config.policy import load_policy
from agentauth.engine.baseline import load_baseline, write_baseline
from agentauth.errors import ConfigError, StateError
from agentauth.model import ScanReport


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_write_atomic_sets_the_mode_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "f"
    fsutil.write_atomic(target, "one\r\n", mode=0o600)
    assert _mode(target) == 0o600
    assert target.read_bytes() == b"one\r\n"
    fsutil.write_atomic(target, b"two", mode=0o644)
    assert _mode(target) == 0o644
    assert target.read_bytes() == b"two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]


def test_write_atomic_failure_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "f"
    target.write_text("old")
    (tmp_path / "sub").mkdir()
    with pytest.raises(OSError):
        fsutil.write_atomic(tmp_path / "sub", "x")  # replacing a directory fails
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f", "sub"]


def test_baseline_is_world_readable_for_committing(tmp_path: Path) -> None:
    path = tmp_path / ".agentauth-baseline.json"
    write_baseline(ScanReport(root=".", findings=(), files_scanned=0), path)
    assert _mode(path) == 0o644


def _fifo(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    os.mkfifo(path)
    return path


def _no_hang(call: object) -> BaseException | None:
    """Run ``call`` in a thread; fail the test if it blocks (a FIFO read would)."""
    box: list[BaseException | None] = [None]

    def target() -> None:
        try:
            call()  # type: ignore[operator]
        except BaseException as exc:
            box[0] = exc

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(10)
    assert not worker.is_alive(), "the read blocked"
    return box[0]


@pytest.mark.parametrize("what", ["env", "policy", "baseline"])
def test_fifo_is_refused_not_waited_on(tmp_path: Path, what: str) -> None:
    fifo = _fifo(tmp_path, "x")
    readers = {
        "env": lambda: envfile.read_text(fifo),
        "policy": lambda: load_policy(fifo),
        "baseline": lambda: load_baseline(fifo),
    }
    error = _no_hang(readers[what])
    assert isinstance(error, ConfigError)
    assert "FIFO" in str(error)


def test_symlink_to_dev_zero_is_refused(tmp_path: Path) -> None:
    link = tmp_path / ".env"
    os.symlink("/dev/zero", link)
    with pytest.raises(ConfigError, match="a device"):
        envfile.read_text(link)
    with pytest.raises(ConfigError, match="a device"):
        load_baseline(link)


def test_size_cap(tmp_path: Path) -> None:
    big = tmp_path / "big"
    big.write_bytes(b"A=1\n" * 10)
    with pytest.raises(StateError, match="more than the 8"):
        fsutil.read_bytes(big, max_bytes=8, error=StateError, what="ledger")
    assert fsutil.read_bytes(big, max_bytes=40) == b"A=1\n" * 10


def test_missing_file_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        fsutil.read_bytes(tmp_path / "nope")


def test_fsutil_is_the_only_module_that_renames_a_file_into_place() -> None:
    """One atomic writer: a second one drifts (fsync, mode, temporary names) from the first."""
    import re

    src = Path(fsutil.__file__).resolve().parent
    renames = re.compile(r"\bos\.(replace|rename)\(|\.(replace|rename)\((tmp|temp)")
    others = [
        str(path.relative_to(src))
        for path in sorted(src.rglob("*.py"))
        if path.name != "fsutil.py" and renames.search(path.read_text(encoding="utf-8"))
    ]
    assert others == []


def test_read_head_probes_regular_files_only(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"# agentauth header\nA=1\n")
    os.mkfifo(tmp_path / "fifo")
    assert fsutil.read_head(tmp_path / "f", 8) == b"# agenta"
    assert fsutil.read_head(tmp_path / "fifo", 8) is None
    assert fsutil.read_head(tmp_path / "missing", 8) is None
    assert fsutil.read_head(tmp_path, 8) is None


def test_the_probes_and_readers_of_this_change_refuse_a_fifo(tmp_path: Path) -> None:
    """.env.ai, an agent's config and the header probes: a FIFO is refused, never waited on."""
    from agentauth.agents.files import read_optional
    from agentauth.config.envwrite import _has_marker
    from agentauth.engine.history import _tree_header
    from agentauth.service.runenv import read_env_ai

    fifo = tmp_path / ".env.ai"
    os.mkfifo(fifo)
    outcome: list[object] = []

    def probe() -> None:
        outcome.extend([_has_marker(fifo), _tree_header(fifo)])
        for read in (read_env_ai, lambda p: read_optional(p, ".env.ai")):
            try:
                outcome.append(read(fifo))
            except ConfigError as exc:
                outcome.append(str(exc))

    worker = threading.Thread(target=probe, daemon=True)
    worker.start()
    worker.join(10)
    assert len(outcome) == 4, "a reader hung on a FIFO"
    assert outcome[:2] == [False, False]
    assert all(isinstance(o, str) and "FIFO" in o.upper() for o in outcome[2:]), outcome
