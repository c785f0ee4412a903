"""`agentauth guard`: valid, idempotent settings per tool; MCP secrets move to the keyring."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from tests.support.cli import PRINT_ENV, Runner, cli_env
from tests.support.testkeyring import keyring_entries

from agentauth.agents import claude_hook as guardhook
from agentauth.service import guard

GITHUB = "ghp_" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2"


def _tools(project: Path) -> None:
    (project / ".claude").mkdir()
    (project / ".claude" / "settings.json").write_text(
        json.dumps({"model": "opus", "permissions": {"allow": ["Bash(npm test)"],
                    "deny": ["Read(./secrets/**)"]}, "env": {"FOO": "1"}}, indent=4),
        encoding="utf-8",
    )  # fmt: skip
    (project / ".cursor").mkdir()
    (project / ".cursorignore").write_text("node_modules/\n.env\n", encoding="utf-8")
    (project / ".codex").mkdir()
    (project / ".codex" / "config.toml").write_text(
        '# my codex settings\nmodel = "o4"\n\n[shell_environment_policy]\ninherit = "all"\n',
        encoding="utf-8",
    )


def test_guard_writes_valid_settings_and_is_idempotent(cli: Runner, project: Path) -> None:
    _tools(project)
    first = cli("guard", "--tool", "all", "--yes", cwd=project)
    assert first.returncode == 0, first.stderr
    assert "+++ b/.claude/settings.json" in first.stdout

    settings = json.loads((project / ".claude" / "settings.json").read_text())
    assert settings["model"] == "opus" and settings["env"] == {"FOO": "1"}
    assert list(settings)[:3] == ["model", "permissions", "env"]  # order kept, new keys after
    deny = settings["permissions"]["deny"]
    assert deny[0] == "Read(./secrets/**)"
    wanted = ("Read(./.env)", "Read(./.env.*)", "Read(./**/.env)", "Read(~/.aws/**)",
              "Read(~/.ssh/**)", "Read(~/.config/gcloud/**)", "Bash(cat .env*)")  # fmt: skip
    for rule in wanted:
        assert rule in deny
    assert settings["permissions"]["allow"] == ["Bash(npm test)"]
    hooks = settings["hooks"]["PreToolUse"]
    script = Path(sys.executable).with_name("agentauth")
    hook = {"type": "command", "command": f"{script} guard-hook || exit 2"}
    assert hooks == [{"matcher": "Bash|Read|Grep|Glob", "hooks": [hook]}]
    assert "~/.aws" in settings["sandbox"]["filesystem"]["denyRead"]

    ignore = (project / ".cursorignore").read_text().splitlines()
    assert ignore[:2] == ["node_modules/", ".env"]
    assert ignore.count(".env") == 1 and ".env.*" in ignore and "!.env.example" in ignore

    codex_text = (project / ".codex" / "config.toml").read_text()
    assert codex_text.startswith('# my codex settings\nmodel = "o4"')
    policy = tomllib.loads(codex_text)["shell_environment_policy"]
    assert policy["inherit"] == "core"
    assert policy["ignore_default_excludes"] is False
    assert "AWS_*" in policy["exclude"]

    before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    second = cli("guard", "--tool", "all", "--yes", cwd=project)
    assert second.returncode == 0, second.stderr
    assert "Nothing to change" in second.stderr
    assert second.stdout == ""
    assert {p: p.read_bytes() for p in project.rglob("*") if p.is_file()} == before


def test_dry_run_changes_nothing_and_detects_tools(cli: Runner, project: Path) -> None:
    (project / ".claude").mkdir()
    result = cli("guard", "--dry-run", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "+++ b/.claude/settings.json" in result.stdout
    assert not (project / ".claude" / "settings.json").exists()


def test_guard_without_yes_and_without_terminal_refuses(cli: Runner, project: Path) -> None:
    result = cli("guard", "--tool", "claude", cwd=project, input="")
    assert result.returncode == 2
    assert not (project / ".claude" / "settings.json").exists()


def test_invalid_settings_json_is_reported_not_overwritten(cli: Runner, project: Path) -> None:
    (project / ".claude").mkdir()
    broken = '{"permissions": {"deny": [}\n'
    (project / ".claude" / "settings.json").write_text(broken, encoding="utf-8")
    result = cli("guard", "--tool", "claude", "--yes", cwd=project)
    assert result.returncode == 2
    assert ".claude/settings.json:1" in result.stderr
    assert (project / ".claude" / "settings.json").read_text() == broken


def test_mcp_literal_secret_moves_to_the_keyring_and_the_wrapper_works(
    cli: Runner, project: Path, test_keyring: Path
) -> None:
    mcp = {
        "mcpServers": {
            "github": {
                "command": sys.executable,
                "args": ["-c", PRINT_ENV],
                "env": {"GITHUB_TOKEN": GITHUB, "LOG_LEVEL": "debug"},
            },
            "docs": {"command": "docs-server", "env": {"API_KEY": "${DOCS_KEY}"}},
        }
    }
    (project / ".mcp.json").write_text(json.dumps(mcp, indent=2), encoding="utf-8")
    result = cli("guard", "--tool", "claude", "--yes", cwd=project)
    assert result.returncode == 0, result.stderr
    assert GITHUB not in result.stdout + result.stderr
    assert "ghp_…" in result.stdout  # the diff shows it masked

    rewritten = json.loads((project / ".mcp.json").read_text())
    assert GITHUB not in (project / ".mcp.json").read_text()
    server = rewritten["mcpServers"]["github"]
    assert server["command"] == str(Path(sys.executable).with_name("agentauth"))
    args = server["args"]
    assert args[:4] == ["run", "--agent", "github", "--allow-nested"]
    assert args[args.index("--") + 1 :] == [sys.executable, "-c", PRINT_ENV]
    assert server["env"] == {"LOG_LEVEL": "debug"}
    assert rewritten["mcpServers"]["docs"] == mcp["mcpServers"]["docs"]  # no literal: untouched
    assert list(keyring_entries(test_keyring).values()) == [GITHUB]

    # Start the server the way the MCP client would: its command, its args, its env.
    started = subprocess.run(
        [server["command"], *args], cwd=project,
        env=cli_env({**server["env"], "AGENTAUTH_AGENT": "claude-code"}),
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    env = json.loads(started.stdout)
    assert env["GITHUB_TOKEN"] == GITHUB
    assert env["LOG_LEVEL"] == "debug"
    assert env["AGENTAUTH_AGENT"] == "github"

    again = cli("guard", "--tool", "claude", "--yes", cwd=project)
    assert "Nothing to change" in again.stderr


def test_mcp_secrets_stay_when_no_secure_keyring(cli: Runner, project: Path) -> None:
    mcp = {"mcpServers": {"gh": {"command": "gh-mcp", "env": {"GITHUB_TOKEN": GITHUB}}}}
    (project / ".mcp.json").write_text(json.dumps(mcp), encoding="utf-8")
    result = cli("guard", "--tool", "claude", "--yes", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "no secure keyring" in result.stderr
    assert json.loads((project / ".mcp.json").read_text()) == mcp
    assert GITHUB not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("event", "blocked"),
    [
        ({"tool_name": "Bash", "tool_input": {"command": "cat .env"}}, True),
        ({"tool_name": "Bash", "tool_input": {"command": "grep KEY ./.env.local | head"}}, True),
        ({"tool_name": "Bash", "tool_input": {"command": "less ~/.aws/credentials"}}, True),
        ({"tool_name": "Bash", "tool_input": {"command": "cat /proc/$PPID/environ"}}, True),
        ({"tool_name": "Bash", "tool_input": {"command": "keyring get agentauth x"}}, True),
        ({"tool_name": "Bash", "tool_input": {"command": "agentauth run --human -- env"}}, True),
        ({"tool_name": "Read", "tool_input": {"file_path": "/home/u/app/.env.production"}}, True),
        ({"tool_name": "Grep", "tool_input": {"pattern": "KEY", "path": ".env"}}, True),
        ({"tool_name": "Bash", "tool_input": {"command": "cat .env.example"}}, False),
        ({"tool_name": "Bash", "tool_input": {"command": 'grep -r "process.env" src/'}}, False),
        ({"tool_name": "Bash", "tool_input": {"command": "npm test && ls -la"}}, False),
        ({"tool_name": "Read", "tool_input": {"file_path": "/home/u/app/src/env.ts"}}, False),
        ({"tool_name": "Grep", "tool_input": {"pattern": "\\.env", "path": "src"}}, False),
    ],
)
def test_hook_decisions(event: dict[str, object], blocked: bool) -> None:
    assert (guardhook.check(event) is not None) is blocked


def test_guard_hook_process_contract(cli: Runner, project: Path) -> None:
    block = cli("guard-hook", cwd=project, input=json.dumps(
        {"hook_event_name": "PreToolUse", "tool_name": "Bash",
         "tool_input": {"command": "cat .env"}}))  # fmt: skip
    assert block.returncode == 2
    assert "agentauth guard" in block.stderr and ".env" in block.stderr
    allow = cli("guard-hook", cwd=project, input=json.dumps(
        {"tool_name": "Bash", "tool_input": {"command": "ls"}}))  # fmt: skip
    assert (allow.returncode, allow.stderr) == (0, "")
    # Fails closed: input that is not an event blocks (it used to let the call through).
    for garbage in ("not json", "[1, 2]", "{}", ""):
        result = cli("guard-hook", cwd=project, input=garbage)
        assert result.returncode == 2, garbage
        assert "failing closed" in result.stderr


def test_guard_hook_typer_command_is_the_same_hook(project: Path) -> None:
    import subprocess
    import sys

    from tests.support.cli import cli_env

    code = "import sys; from agentauth.cli.app import main; sys.exit(main())"
    event = {"tool_name": "Bash", "tool_input": {"command": "cat .env"}}
    for text in ("not json", json.dumps(event)):
        runs = [
            subprocess.run(
                [*entry, "guard-hook"],
                input=text,
                cwd=project,
                env=cli_env(),
                capture_output=True,
                text=True,
                check=False,
            )
            for entry in ([sys.executable, "-m", "agentauth"], [sys.executable, "-c", code])
        ]
        fast, full = runs
        assert (fast.returncode, fast.stderr) == (full.returncode, full.stderr)
        assert fast.returncode == 2


def test_guarded_reports_each_tool(project: Path) -> None:
    _tools(project)
    assert not guard.guarded(project, "claude")
    plan = guard.plan(project, ["claude", "cursor", "codex"], mcp=False)
    guard.apply(plan)
    assert all(guard.guarded(project, t) for t in ("claude", "cursor", "codex"))


def _hook(project: Path) -> str:
    settings = json.loads((project / ".claude" / "settings.json").read_text())
    (command,) = [h["command"] for g in settings["hooks"]["PreToolUse"] for h in g["hooks"]]
    return str(command)


def test_the_hook_resolves_without_path_and_fails_closed(cli: Runner, project: Path) -> None:
    (project / ".claude").mkdir()
    assert cli("guard", "--tool", "claude", "--yes", cwd=project).returncode == 0
    command = _hook(project)
    event = json.dumps({"tool_name": "Bash", "tool_input": {"command": "cat .env"}})
    # Claude Code runs the hook through a shell whose PATH need not hold the virtualenv.
    bare = {"PATH": "/usr/bin:/bin", "HOME": str(project)}
    ran = subprocess.run(["/bin/sh", "-c", command], input=event, env=bare, cwd=project,
                         capture_output=True, text=True, check=False)  # fmt: skip
    assert ran.returncode == 2 and "agentauth guard" in ran.stderr
    # An installation that moved away blocks instead of allowing (exit 127 would allow).
    moved = command.replace(str(Path(sys.executable).parent), "/nonexistent/bin")
    gone = subprocess.run(["/bin/sh", "-c", moved], input=event, env=bare, cwd=project,
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert gone.returncode == 2


def test_a_bare_or_stale_hook_is_replaced(cli: Runner, project: Path) -> None:
    (project / ".claude").mkdir()
    stale = {"hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [
        {"type": "command", "command": "agentauth guard-hook"}]}]}}  # fmt: skip
    (project / ".claude" / "settings.json").write_text(json.dumps(stale), encoding="utf-8")
    assert not guard.guarded(project, "claude")
    assert cli("guard", "--tool", "claude", "--yes", cwd=project).returncode == 0
    settings = json.loads((project / ".claude" / "settings.json").read_text())
    hooks = [h for g in settings["hooks"]["PreToolUse"] for h in g["hooks"]]
    assert len(hooks) == 1 and hooks[0]["command"].endswith("agentauth guard-hook || exit 2")
    assert hooks[0]["command"].startswith("/")


def test_doctor_runs_the_hook_to_prove_it_blocks(cli: Runner, project: Path) -> None:
    (project / ".claude").mkdir()
    assert cli("guard", "--tool", "claude", "--yes", cwd=project).returncode == 0
    good = cli("doctor", "--format", "json", cwd=project)
    checks = {c["id"]: c for c in json.loads(good.stdout)["checks"]}
    assert checks["tool:claude"]["status"] == "ok", checks["tool:claude"]
    assert "hook blocks" in checks["tool:claude"]["summary"]
    path = project / ".claude" / "settings.json"
    path.write_text(path.read_text().replace(_hook(project), "agentauth-missing guard-hook"))
    bad = cli("doctor", "--format", "json", cwd=project)
    assert bad.returncode == 1
    checks = {c["id"]: c for c in json.loads(bad.stdout)["checks"]}
    assert checks["tool:claude:hook"]["status"] == "fail"
    assert "instead of blocking" in checks["tool:claude:hook"]["summary"]


def test_mcp_wrapper_is_absolute_and_doctor_proves_it_starts(cli: Runner, project: Path) -> None:
    """A bare `agentauth` wrapper (older guard) is rewritten; doctor starts each one."""
    bare = {"mcpServers": {"gh": {"command": "agentauth", "args": [
        "run", "--agent", "gh", "--allow-nested", "--", "gh-mcp"]}}}  # fmt: skip
    path = project / ".mcp.json"
    path.write_text(json.dumps(bare), encoding="utf-8")
    stale = cli("doctor", "--format", "json", cwd=project)
    checks = {c["id"]: c for c in json.loads(stale.stdout)["checks"]}
    assert checks["mcp-wrappers"]["status"] == "fail", checks
    assert "bare 'agentauth'" in checks["mcp-wrappers"]["summary"]

    assert cli("guard", "--tool", "claude", "--yes", cwd=project).returncode == 0
    server = json.loads(path.read_text())["mcpServers"]["gh"]
    assert server["command"] == str(Path(sys.executable).with_name("agentauth"))
    assert server["args"] == ["run", "--agent", "gh", "--allow-nested", "--", "gh-mcp"]
    good = cli("doctor", "--format", "json", cwd=project)
    checks = {c["id"]: c for c in json.loads(good.stdout)["checks"]}
    assert checks["mcp-wrappers"]["status"] == "ok", checks["mcp-wrappers"]

    server["command"] = str(project / "gone" / "agentauth")  # a moved virtualenv
    path.write_text(json.dumps({"mcpServers": {"gh": server}}), encoding="utf-8")
    moved = cli("doctor", "--format", "json", cwd=project)
    checks = {c["id"]: c for c in json.loads(moved.stdout)["checks"]}
    assert checks["mcp-wrappers"]["status"] == "fail"
    assert "cannot start" in checks["mcp-wrappers"]["summary"]


def test_registry_plugins_plan_and_are_idempotent(project: Path) -> None:
    from agentauth.agents.registry import AGENTS, plugin

    for name, info in AGENTS.items():
        assert info.name == name and info.binaries and info.module.endswith(name)
        change = plugin(name).plan(project)
        assert change is not None and change.tool == name
        change.path.parent.mkdir(parents=True, exist_ok=True)
        change.path.write_text(change.new, encoding="utf-8")
        assert plugin(name).plan(project) is None
        assert guard.guarded(project, name)


def test_one_list_of_mcp_config_locations() -> None:
    from agentauth.config.mcpfiles import MCP_FILES, REWRITABLE
    from agentauth.engine import mcpconfig

    assert tuple(f.path for f in MCP_FILES) == mcpconfig.CONFIG_PATHS
    assert {f.path for f in REWRITABLE} == {".mcp.json", ".cursor/mcp.json", ".vscode/mcp.json"}
    for config in MCP_FILES:
        assert mcpconfig.client_for(config.path) == (config.client, config.format, config.servers)


@pytest.mark.parametrize(
    "command",
    [
        "grep -r API_KEY .",
        "rg -uu KEY",
        "python -c \"print(open('.e'+'nv').read())\"",
        "cat $(printf '.%s' env)",
    ],
)
def test_the_reads_docs_say_the_hook_cannot_see_are_really_not_blocked(command: str) -> None:
    """docs/guard.md lists them as blind spots: the doc must stay true (issue 14, guard)."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "guard.md").read_text(encoding="utf-8")
    assert f"`{command}`" in doc
    assert guardhook.check({"tool_name": "Bash", "tool_input": {"command": command}}) is None


def test_the_hook_command_is_one_line_in_a_narrow_pipe(cli: Runner, project: Path) -> None:
    """Issue 14: stderr was hard-wrapped at 80 columns, breaking the hook's shell command."""
    (project / ".claude").mkdir()
    result = cli("guard", "--tool", "claude", "--dry-run", cwd=project, env={"COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    command = f"`{Path(sys.executable).with_name('agentauth')} guard-hook || exit 2`"
    hook = [line for line in result.stderr.splitlines() if "hooks.PreToolUse" in line]
    assert hook and command in hook[0] and hook[0].endswith("commands"), result.stderr
