"""How much `agentauth run -- true` adds over running `true` directly (median of N runs).

Usage: python benchmarks/run_overhead.py [-n 30]

Runs in a throwaway project (an agentauth.yaml, a .env.ai, a ledger with one
grant that does not mint) so that the measured path is the everyday one: policy
summary from the cache, .env.ai read, environment scrubbed, audit log written,
child spawned and waited for. The first run (which fills the cache) is not counted.
Reports wall-clock and CPU medians; on a loaded machine trust the CPU figure.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

POLICY = """version: 1
agent: claude-code
source: .env
output: .env.ai
credentials:
  DATABASE_URL:
    provider: postgres
    access: read-only
"""


def _agentauth() -> list[str]:
    script = Path(sys.executable).with_name("agentauth")
    if script.exists():
        return [str(script)]
    found = shutil.which("agentauth")
    return [found] if found else [sys.executable, "-m", "agentauth"]


def measure(cmd: list[str], n: int, cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Return (median wall ms, median CPU ms) of ``n`` runs of ``cmd``."""
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(n):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, env=env, check=True, stdin=subprocess.DEVNULL)
        wall.append((time.perf_counter() - start) * 1000)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    """Print the median overhead of `agentauth run -- true`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        root.mkdir()
        (root / "agentauth.yaml").write_text(POLICY, encoding="utf-8")
        (root / ".env.ai").write_text(
            "DATABASE_URL=postgresql://agent:pw@127.0.0.1:5432/app\n", encoding="utf-8"
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTAUTH_")}
        env["AGENTAUTH_HOME"] = str(Path(tmp) / "state")
        agentauth = [*_agentauth(), "run", "--", "true"]
        subprocess.run(agentauth, cwd=root, env=env, check=True)  # fills the cache
        true_wall, true_cpu = measure(["true"], args.n, root, env)
        run_wall, run_cpu = measure(agentauth, args.n, root, env)
    print(f"N={args.n}")
    print(f"true                    wall {true_wall:7.1f} ms   cpu {true_cpu:7.1f} ms")
    print(f"agentauth run -- true   wall {run_wall:7.1f} ms   cpu {run_cpu:7.1f} ms")
    print(f"overhead (median)       wall {run_wall - true_wall:7.1f} ms   "
          f"cpu {run_cpu - true_cpu:7.1f} ms   (target < 100 ms)")  # fmt: skip


if __name__ == "__main__":
    main()
