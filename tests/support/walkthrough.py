"""Run a docs/walkthrough-*.md word for word: its ``sh`` blocks, in order, as one bash script.

One home for what every walkthrough test needs: the blocks, the environment (the test's
throwaway HOME, the fail keyring, this interpreter's ``agentauth`` first on PATH) and a run
that cannot leak what the script started in the background (a demo server): the script gets
its own process group, killed when it ends or times out, and its output goes to files so a
background child holding stdout cannot keep the test waiting.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"


def sh_blocks(doc: Path) -> list[str]:
    """The doc's ```sh blocks, in order (``text``/``console`` blocks are output, not run)."""
    return re.findall(r"```sh\n(.*?)```", doc.read_text(encoding="utf-8"), re.S)


def walkthrough_env(**extra: str) -> dict[str, str]:
    """A minimal environment: the test's HOME and keyring backend (set by tests/conftest.py)."""
    env = {
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "HOME": os.environ["HOME"],
        "PYTHON_KEYRING_BACKEND": os.environ["PYTHON_KEYRING_BACKEND"],
        "LANG": "C.UTF-8",
        "NO_COLOR": "1",
        "COLUMNS": "200",
    }
    env.update(extra)
    return env


@dataclass(frozen=True)
class Walk:
    returncode: int
    stdout: str
    stderr: str

    @property
    def out(self) -> str:
        return self.stdout + self.stderr


def run_script(script: str, cwd: Path, env: dict[str, str], logs: Path, timeout: float) -> Walk:
    """Run ``script`` with bash in ``cwd``; kill its whole process group afterwards."""
    logs.mkdir(parents=True, exist_ok=True)
    with (logs / "stdout").open("w+") as out, (logs / "stderr").open("w+") as err:
        child = subprocess.Popen(
            ["bash", "-c", script], cwd=cwd, env=env, stdout=out, stderr=err,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        try:
            returncode = child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            returncode = -1
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
            child.wait()
        out.seek(0)
        err.seek(0)
        return Walk(returncode, out.read(), err.read())
