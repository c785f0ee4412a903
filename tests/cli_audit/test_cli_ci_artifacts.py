"""The shipped CI integrations work as written: the pre-commit hook and the composite Action."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from tests.cli_audit.cli_audit_helpers import AGENTAUTH, REPO, git

from agentauth.engine.rules.samples import expand

SARIF_SCHEMA = json.loads((REPO / "tests" / "report" / "sarif-schema-2.1.0.json").read_text())
HOOKS = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
ACTION = yaml.safe_load((REPO / "action.yml").read_text())
LIVE_KEY = "sk_live_51Q8rVb2NxT4mKpZ7wYcLd3HsJf9GtAe6Uk1"


def _env() -> dict[str, str]:
    return {**os.environ, "PATH": f"{AGENTAUTH.parent}{os.pathsep}{os.environ['PATH']}"}


def _run_hook(hook: dict[str, Any], repo: Path, files: list[str]) -> int:
    """Run a hook the way pre-commit does: entry + args + filenames, in the repository root."""
    command = [*shlex.split(hook["entry"]), *hook.get("args", [])]
    if hook.get("pass_filenames", True):
        command += files
    env = {**_env(), "PRE_COMMIT": "1"}
    return subprocess.run(command, cwd=repo, env=env, capture_output=True, check=False).returncode


def _staged(repo: Path) -> list[str]:
    return git(repo, "diff", "--cached", "--name-only", "--diff-filter=ACMR").split()


def test_hook_definition() -> None:
    (hook,) = HOOKS
    assert hook["id"] == "agentauth-check"
    assert hook["language"] == "python"
    assert {"id", "name", "entry", "language"} <= set(hook)
    assert hook["entry"].split()[:2] == ["agentauth", "check"]
    assert hook["pass_filenames"] is True


def test_hook_blocks_a_commit_with_a_live_key(demo_repo: Path) -> None:
    (hook,) = HOOKS
    assert _run_hook(hook, demo_repo, _staged(demo_repo)) == 1


def test_hook_passes_a_clean_commit(clean_repo: Path) -> None:
    (hook,) = HOOKS
    assert _run_hook(hook, clean_repo, _staged(clean_repo)) == 0


def test_hook_checks_only_the_files_passed(clean_repo: Path) -> None:
    (hook,) = HOOKS
    git(clean_repo, "commit", "-q", "-m", "init")
    (clean_repo / "leak.py").write_text(f'KEY = "{LIVE_KEY}"\n')
    git(clean_repo, "add", "leak.py")
    assert _run_hook(hook, clean_repo, ["leak.py"]) == 1
    # `pre-commit run --all-files` passes every tracked file, unchanged ones included
    all_files = git(clean_repo, "ls-files").split()
    assert _run_hook(hook, clean_repo, all_files) == 1
    assert _run_hook(hook, clean_repo, ["app.py"]) == 0


def test_action_metadata() -> None:
    assert ACTION["name"] and ACTION["description"]
    assert {"path", "fail-on", "sarif-file", "version"} <= set(ACTION["inputs"])
    steps = ACTION["runs"]["steps"]
    assert ACTION["runs"]["using"] == "composite"
    uses = [s["uses"] for s in steps if "uses" in s]
    assert any(u.startswith("actions/setup-python@") for u in uses)
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    for step in steps:
        if "run" in step:
            assert step.get("shell") == "bash", step["name"]
            # inputs reach scripts through env, never interpolated into the script text
            assert "${{" not in step["run"], step["name"]


def _step(name: str) -> dict[str, Any]:
    (step,) = [s for s in ACTION["runs"]["steps"] if s.get("name") == name]
    return step


def _run_action_step(
    name: str,
    repo: Path,
    inputs: dict[str, str],
    tmp_path: Path,
    github: dict[str, str] | None = None,
) -> dict[str, str]:
    """Execute a composite step's script in bash with the env GitHub would give it.

    ``github`` gives values of ``${{ github.X }}`` expressions; the others are empty, as
    on GitHub when the event has no such field (a push has no pull_request).
    """
    step = _step(name)
    output_file = tmp_path / "github_output"
    output_file.write_text("")
    env = {**_env(), "GITHUB_OUTPUT": str(output_file), "GITHUB_WORKSPACE": str(repo)}
    for key, template in step.get("env", {}).items():
        value = str(template)
        for input_name, input_value in inputs.items():
            value = value.replace("${{ inputs." + input_name + " }}", input_value)
        for expression, expression_value in (github or {}).items():
            value = value.replace("${{ github." + expression + " }}", expression_value)
        env[key] = re.sub(r"\$\{\{[^}]*\}\}", "", value)
    done = subprocess.run(
        ["bash", "-e", "-c", step["run"]], cwd=repo, env=env, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    outputs = dict(
        line.split("=", 1) for line in output_file.read_text().splitlines() if "=" in line
    )
    outputs["log"] = done.stdout + done.stderr
    return outputs


DEFAULTS = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}


def test_action_reports_and_fails_on_the_demo(demo_repo: Path, tmp_path: Path) -> None:
    outputs = _run_action_step("Run agentauth", demo_repo, DEFAULTS, tmp_path)
    assert outputs["exit-code"] == "1"
    sarif = Path(outputs["sarif-file"])
    assert sarif == demo_repo / "agentauth.sarif"
    jsonschema.Draft7Validator(SARIF_SCHEMA).validate(json.loads(sarif.read_text()))
    assert ".mcp.json" in outputs["log"]  # the human report is in the job log
    final = _step("Fail on findings")
    failed = subprocess.run(
        ["bash", "-c", final["run"]], env={**_env(), "CHECK_EXIT_CODE": "1"},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert failed.returncode == 1
    assert "::error" in failed.stdout


def test_action_passes_on_the_clean_app(clean_repo: Path, tmp_path: Path) -> None:
    outputs = _run_action_step("Run agentauth", clean_repo, DEFAULTS, tmp_path)
    assert outputs["exit-code"] == "0"
    final = _step("Fail on findings")
    passed = subprocess.run(
        ["bash", "-c", final["run"]], env={**_env(), "CHECK_EXIT_CODE": "0"}, check=False
    )
    assert passed.returncode == 0


def test_action_fail_on_severity_and_no_sarif(demo_repo: Path, tmp_path: Path) -> None:
    inputs = {**DEFAULTS, "fail-on": "never", "sarif-file": ""}
    outputs = _run_action_step("Run agentauth", demo_repo, inputs, tmp_path)
    assert outputs["exit-code"] == "0"
    assert outputs["sarif-file"] == ""
    inputs = {**DEFAULTS, "fail-on": "critical", "sarif-file": ""}
    assert _run_action_step("Run agentauth", demo_repo, inputs, tmp_path)["exit-code"] == "1"


def test_action_input_is_not_executed(demo_repo: Path, tmp_path: Path) -> None:
    """A hostile input stays data: it reaches agentauth as an argument, not as shell code."""
    marker = tmp_path / "pwned"
    inputs = {**DEFAULTS, "fail-on": f"high; touch {marker}", "sarif-file": ""}
    outputs = _run_action_step("Run agentauth", demo_repo, inputs, tmp_path)
    assert outputs["exit-code"] == "2"  # a usage error, not a command
    assert not marker.exists()


def test_action_checks_the_pull_requests_commits(clean_repo: Path, tmp_path: Path) -> None:
    """A key added and removed inside the pull request fails the job, though the tree is clean."""

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
            cwd=clean_repo, capture_output=True, text=True, check=True,
        )  # fmt: skip
        return done.stdout.strip()

    git("commit", "-q", "-m", "start")  # the fixture only stages the app
    base = git("rev-parse", "HEAD")
    # NOTE: a random body: a typed one ("Zq3" * 9) is a placeholder outside loaded config
    (clean_repo / "leak.py").write_text(expand('KEY = "sk_live_@@b62:28@@"\n', "pull-request"))
    git("add", "leak.py")
    git("commit", "-q", "-m", "add")
    git("rm", "-q", "leak.py")
    git("commit", "-q", "-m", "remove")
    head = git("rev-parse", "HEAD")
    pull = {"event.pull_request.base.sha": base, "event.pull_request.head.sha": head}
    outputs = _run_action_step("Run agentauth", clean_repo, DEFAULTS, tmp_path, github=pull)
    assert outputs["exit-code"] == "1"
    assert _run_action_step("Run agentauth", clean_repo, DEFAULTS, tmp_path)["exit-code"] == "0"
