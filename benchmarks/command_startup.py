"""Start-up cost of the commands a user types most: ``--help``, ``audit``, ``run -- true``.

Usage: python benchmarks/command_startup.py [-n 15] [--against SRC]

Reports the median CPU time (user+system of the child) and wall time of each
command, beside ``python -c pass`` (the interpreter's own floor) in the same run.
Targets (issue 14): ``agentauth --help`` < 150 ms, ``audit`` of examples/demo-app
< 250 ms, ``run -- true`` < 100 ms over ``true``. On a shared, loaded machine trust the CPU
figures and the ratios, not the wall clock. ``--against SRC`` runs every command a
second time with ``PYTHONPATH=SRC`` (for example an exported ``main`` tree) and
prints both, interleaved run by run so that load affects both alike.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
DEMO = HERE / "examples" / "demo-app"
POLICY = "version: 1\nagent: claude-code\ncredentials:\n  DATABASE_URL:\n    provider: postgres\n"


def _once(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)  # fmt: skip
    wall = (time.perf_counter() - start) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
    return wall, cpu


def main() -> None:
    """Print the medians of each command (and of the --against tree)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=15)
    parser.add_argument("--against", help="a src/ directory to compare with (PYTHONPATH)")
    args = parser.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "project"
        project.mkdir()
        (project / "agentauth.yaml").write_text(POLICY, encoding="utf-8")
        (project / ".env.ai").write_text("DATABASE_URL=postgresql://a:b@127.0.0.1/app\n",
                                         encoding="utf-8")  # fmt: skip
        base = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTAUTH_", "PYTHON"))}
        base["AGENTAUTH_HOME"] = str(Path(tmp) / "state")
        base["NO_COLOR"] = "1"
        cases = [
            ("python -c pass", [py, "-c", "pass"], project),
            ("agentauth --help", [py, "-m", "agentauth", "--help"], project),
            ("agentauth audit demo-app", [py, "-m", "agentauth", "audit", str(DEMO)], project),
            ("agentauth run -- true", [py, "-m", "agentauth", "run", "-q", "--", "true"], project),
        ]
        trees = {"this tree": base}
        if args.against:
            trees[f"PYTHONPATH={args.against}"] = {**base, "PYTHONPATH": args.against}
        results: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for env in trees.values():  # warm caches (the run cache, the page cache)
            for _label, cmd, cwd in cases:
                _once(cmd, cwd, env)
        for _ in range(args.n):
            for tree, env in trees.items():
                for label, cmd, cwd in cases:
                    results.setdefault((tree, label), []).append(_once(cmd, cwd, env))
    print(f"N={args.n}  (median wall / median CPU, ms)")
    for (tree, label), samples in results.items():
        wall = statistics.median(s[0] for s in samples)
        cpu = statistics.median(s[1] for s in samples)
        print(f"{tree:<28} {label:<28} wall {wall:7.1f}   cpu {cpu:7.1f}")


if __name__ == "__main__":
    main()
