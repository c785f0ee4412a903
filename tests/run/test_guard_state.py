"""The guard keeps the agent out of agentauth's state folder (the file keyring's secrets.json).

Acceptance found ``cat ~/.local/state/agentauth/secrets.json``, ``cat $AGENTAUTH_HOME/...``
and a ``Read`` of the file allowed by the hook, and ``guard`` denying only the default folder.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from tests.support.cli import Runner

from agentauth.agents import claude_hook
from agentauth.state import paths


def _hook(cli: Runner, cwd: Path, tool: str, env: dict[str, str] | None = None,
          **tool_input: str) -> tuple[int, str]:  # fmt: skip
    event = {"hook_event_name": "PreToolUse", "tool_name": tool, "tool_input": tool_input,
             "cwd": str(cwd)}  # fmt: skip
    result = cli("guard-hook", cwd=cwd, input=json.dumps(event), env=env)
    return result.returncode, result.stderr


@pytest.mark.parametrize(
    "command",
    [
        "cat ~/.local/state/agentauth/secrets.json",
        "cat $HOME/.local/state/agentauth/secrets.json",
        "cat $AGENTAUTH_HOME/secrets.json",
        'cat "${AGENTAUTH_HOME}/secrets.json"',
        "ls -la $AGENTAUTH_HOME",
        "cd ~ && jq . .local/state/agentauth/secrets.json",
        "cat {custom}/secrets.json",
        "cp {custom}/signing.key /tmp/k",
        "tar c {custom}",
    ],
)
def test_bash_reads_of_the_state_folder_are_blocked(
    cli: Runner, project: Path, tmp_path: Path, command: str
) -> None:
    custom = tmp_path / "elsewhere-state"
    code, stderr = _hook(cli, project, "Bash", {"AGENTAUTH_HOME": str(custom)},
                         command=command.replace("{custom}", str(custom)))  # fmt: skip
    assert code == 2, command
    assert "agentauth guard" in stderr and "state folder" in stderr


def test_state_folder_under_home_is_blocked_by_its_tilde_form(cli: Runner, project: Path) -> None:
    home = Path(os.environ["HOME"])
    env = {"AGENTAUTH_HOME": str(home / "aa-state")}
    assert _hook(cli, project, "Bash", env, command="cat ~/aa-state/secrets.json")[0] == 2
    assert _hook(cli, project, "Bash", env, command="cat ~/aa-stateful/notes")[0] == 0


@pytest.mark.parametrize(
    ("tool", "key", "value"),
    [
        ("Read", "file_path", "{custom}/secrets.json"),
        ("Read", "file_path", "~/.local/state/agentauth/secrets.json"),
        ("Read", "file_path", "{home}/.local/state/agentauth/secrets.json"),
        ("Grep", "path", "{custom}"),
        ("Glob", "pattern", "{custom}/**/*.json"),
        ("Glob", "path", "{home}/.local/state/agentauth"),
        ("Read", "file_path", "link-to-secrets"),  # a symlink in the project
    ],
)
def test_file_tools_on_the_state_folder_are_blocked(
    cli: Runner, project: Path, tmp_path: Path, tool: str, key: str, value: str
) -> None:
    custom = tmp_path / "elsewhere-state"
    custom.mkdir()
    (custom / "secrets.json").write_text("{}", encoding="utf-8")
    (project / "link-to-secrets").symlink_to(custom / "secrets.json")
    filled = value.format(custom=custom, home=os.environ["HOME"])
    code, stderr = _hook(cli, project, tool, {"AGENTAUTH_HOME": str(custom)}, **{key: filled})
    assert code == 2, (tool, filled, stderr)
    assert "state folder" in stderr


@pytest.mark.parametrize(
    ("tool", "tool_input"),
    [
        ("Bash", {"command": "cat README.md && ls src"}),
        ("Bash", {"command": "cat {custom}-notes/readme"}),
        ("Read", {"file_path": "{project}/src/app.py"}),
        ("Grep", {"pattern": "AGENTAUTH_HOME", "path": "src"}),
        ("Glob", {"pattern": "**/*.py"}),
    ],
)
def test_ordinary_calls_still_pass(
    cli: Runner, project: Path, tmp_path: Path, tool: str, tool_input: dict[str, str]
) -> None:
    custom = tmp_path / "elsewhere-state"
    filled = {k: v.format(custom=custom, project=project) for k, v in tool_input.items()}
    assert _hook(cli, project, tool, {"AGENTAUTH_HOME": str(custom)}, **filled) == (0, "")


def test_a_state_folder_holding_the_project_guards_only_its_secrets(
    cli: Runner, project: Path
) -> None:
    """AGENTAUTH_HOME at an ancestor of the project must not block the agent's own files."""
    env = {"AGENTAUTH_HOME": str(project.parent)}
    assert _hook(cli, project, "Read", env, file_path=str(project / "main.py")) == (0, "")
    blocked = _hook(cli, project, "Read", env, file_path=str(project.parent / "secrets.json"))
    assert blocked[0] == 2
    assert _hook(cli, project, "Bash", env, command=f"cat {project.parent}/signing.key")[0] == 2


@pytest.mark.parametrize(
    "env",
    [{}, {"AGENTAUTH_HOME": "/srv/aa"}, {"XDG_STATE_HOME": "/var/xdg"},
     {"AGENTAUTH_HOME": "~/aa", "XDG_STATE_HOME": "/var/xdg"}],
)  # fmt: skip
def test_the_hook_knows_where_paths_home_puts_the_state(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: dict[str, str]
) -> None:
    """The hook mirrors state.paths.home() without importing it: the two must not drift."""
    monkeypatch.delenv("AGENTAUTH_HOME", raising=False)
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert str(paths.home().expanduser()) in claude_hook.state_dirs(os.environ, str(tmp_path))


def _deny(project: Path) -> list[str]:
    settings = json.loads((project / ".claude" / "settings.json").read_text())
    return list(settings["permissions"]["deny"])


def test_guard_denies_the_state_folder_in_use(cli: Runner, project: Path, tmp_path: Path) -> None:
    (project / ".claude").mkdir()
    custom = tmp_path / "srv-state"
    assert cli("guard", "--tool", "claude", "--yes", cwd=project,
               env={"AGENTAUTH_HOME": str(custom)}).returncode == 0  # fmt: skip
    deny = _deny(project)
    assert f"Read(/{custom}/**)" in deny  # `//` is Claude Code's filesystem root
    assert "Read(~/.local/state/agentauth/**)" in deny

    home = Path(os.environ["HOME"])
    result = cli("guard", "--tool", "claude", "--yes", cwd=project,
                 env={"AGENTAUTH_HOME": str(home / "my-state")})  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Read(~/my-state/**)" in _deny(project)
