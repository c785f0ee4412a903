"""Process wall time of ``agentauth check --staged`` on a 10-line staged change, and ``--help``.

Why a separate benchmark: the target (under 200 ms, process start included) is dominated
by imports and loading the rule catalog, not by scanning. Each command runs several
times and the medians of wall and CPU time (on a loaded machine trust the CPU figure) are
reported, once with the parsed-catalog cache and once with
``AGENTAUTH_NO_CACHE=1``, in the same run so the ratio holds on a loaded machine.
Run: ``python benchmarks/startup.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path


def _repo(root: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)

    git("init", "-q")
    git("config", "user.email", "bench@example.invalid")
    git("config", "user.name", "bench")
    (root / "app.py").write_text("".join(f"value_{i} = {i}\n" for i in range(10)))
    git("add", "app.py")


def _median(cmd: list[str], cwd: Path, env: dict[str, str], repeat: int) -> tuple[float, float]:
    """Median wall time and median CPU time (user + system of the child), in seconds."""
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, env=env, check=False, capture_output=True)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    """Print the median wall time of each command, with and without the catalog cache."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    exe = shutil.which("agentauth")
    if exe is None:
        raise SystemExit("agentauth is not on PATH (pip install -e .)")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _repo(root)
        base = {**os.environ, "XDG_CACHE_HOME": str(root / ".bench-cache")}
        nocache = {**base, "AGENTAUTH_NO_CACHE": "1"}
        subprocess.run([exe, "check", "--staged"], cwd=root, env=base, capture_output=True)
        print(f"load average: {os.getloadavg()[0]:.1f}")
        commands = (("check --staged", [exe, "check", "--staged"]), ("--help", [exe, "--help"]))
        for label, cmd in commands:
            (warm, warm_cpu), (cold, cold_cpu) = (
                _median(cmd, root, env, args.repeat) for env in (base, nocache)
            )
            print(
                f"{label:16} {warm * 1000:5.0f} ms wall, {warm_cpu * 1000:4.0f} ms CPU (cache)"
                f"   {cold * 1000:5.0f} ms wall, {cold_cpu * 1000:4.0f} ms CPU (no cache)"
            )


if __name__ == "__main__":
    main()
