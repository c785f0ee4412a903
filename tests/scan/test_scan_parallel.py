"""The multiprocessing path gives exactly the in-process result; random trees never crash it."""

from __future__ import annotations

import os
import random
import string
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentauth.service import scan
from agentauth.service.scan import AuditOptions, audit

Write = Callable[[Path, str, str | bytes], Path]


def _generate_tree(root: Path, key_factory: Callable[[], Any], write: Write, files: int) -> int:
    """Write ``files`` source files, some holding credentials; return how many were planted."""
    rng = random.Random(1234)
    planted = 0
    for i in range(files):
        lines = [
            "".join(rng.choices(string.ascii_letters + " =:_-.,()", k=rng.randint(0, 90)))
            for _ in range(rng.randint(1, 60))
        ]
        if i % 7 == 0:
            k = key_factory()
            pos = rng.randrange(len(lines))
            lines.insert(pos, f'STRIPE_SECRET_KEY = "{k.stripe}"')
            lines.insert(rng.randrange(len(lines)), f"token: {k.github}")
            planted += 2
        ext = rng.choice([".py", ".js", ".yaml", ".md", ".go"])
        write(
            root, f"pkg{i % 13}/mod{i}{ext}", "\r\n".join(lines) if i % 5 == 0 else "\n".join(lines)
        )
    return planted


def _signature(findings: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    return [(f, f.secret.reveal()) for f in findings]


def test_pool_matches_in_process(
    project: Path, key_factory: Callable[[], Any], write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    planted = _generate_tree(project, key_factory, write, files=320)
    calls: list[int] = []
    real_pool = scan._scan_pool

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[2])
        return real_pool(*args, **kwargs)

    monkeypatch.setattr(scan, "_scan_pool", spy)
    single = audit(AuditOptions(root=project, jobs=1))
    assert calls == []
    pooled = audit(AuditOptions(root=project, jobs=2))
    assert calls == [2]
    assert len(single.findings) == planted
    assert [(f.file, f.line, f.column) for f in pooled.findings] == [
        (f.file, f.line, f.column) for f in single.findings
    ]
    assert _signature(pooled.findings) == _signature(single.findings)
    assert (pooled.files_scanned, pooled.bytes_scanned) == (
        single.files_scanned,
        single.bytes_scanned,
    )


def test_pool_reports_skips_and_progress(
    project: Path, key_factory: Callable[[], Any], write: Write
) -> None:
    _generate_tree(project, key_factory, write, files=250)
    write(project, "zz/binary.dat", b"\0" * 10)
    advanced: list[str] = []

    class Progress:
        def start(self, total_files: int) -> None:
            advanced.append(f"start {total_files}")

        def advance(self, path: str, nbytes: int) -> None:
            advanced.append(path)

        def finish(self) -> None:
            advanced.append("finish")

    report = audit(AuditOptions(root=project, jobs=2), Progress())
    assert advanced[0] == "start 251" and advanced[-1] == "finish"
    assert len(advanced) == 253
    assert [s.path for s in report.skipped] == ["zz/binary.dat"]
    assert report.files_scanned == 250


_NAMES = st.sampled_from(
    [
        ".env",
        ".env.local",
        "a.py",
        "b.json",
        "node_modules",
        ".mcp.json",
        "c.txt",
        "sub",
        ".vscode",
        "mcp.json",
        "docker-compose.yml",
        "x.png",
        "package-lock.json",
        ".git",
    ]
)
_CONTENT = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300),
    st.sampled_from(
        [
            '{"mcpServers": {"a": {"env": {"K": "${V}"}}}}',
            "services:\n  a:\n    env_file: .env\n",
            "\ufeffK=v\r\n",
            "[",
            '{"servers": 1}',
        ]
    ),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    tree=st.lists(st.tuples(st.lists(_NAMES, min_size=1, max_size=3), _CONTENT), max_size=12),
    loop=st.booleans(),
)
def test_random_trees_never_crash(
    tmp_path: Path, tree: list[tuple[list[str], Any]], loop: bool
) -> None:
    root = Path(tempfile.mkdtemp(dir=tmp_path))
    for parts, content in tree:
        path = root.joinpath(*parts)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8", errors="surrogatepass")
        except (OSError, UnicodeEncodeError):
            continue  # a name already used as a folder (or a file): skip that entry
    if loop:
        os.symlink(root, root / "loop")
    report = audit(AuditOptions(root=root, include_environ=True, environ={"A": "b"}))
    assert all(isinstance(s.reason, str) for s in report.skipped)
    assert not any("internal error" in s.reason for s in report.skipped)
    assert report.files_scanned <= len(tree)
