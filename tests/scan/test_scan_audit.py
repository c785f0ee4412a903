"""The audit pipeline end to end: selection, detection, suppression, environ, MCP, report."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agentauth.engine import sources
from agentauth.engine.baseline import load_baseline, write_baseline
from agentauth.errors import ConfigError
from agentauth.model import Finding, Origin, ScanReport
from agentauth.service.scan import AuditOptions, audit

Write = Callable[[Path, str, str | bytes], Path]


def _by_rule(report: ScanReport) -> dict[str, list[Finding]]:
    found: dict[str, list[Finding]] = {}
    for f in report.findings:
        found.setdefault(f.rule_id, []).append(f)
    return found


def _where(report: ScanReport) -> set[tuple[str, int, int]]:
    return {(f.file, f.line, f.column) for f in report.findings}


def _no_secret_anywhere(report: ScanReport, values: tuple[str, ...]) -> None:
    text = repr(report) + json.dumps(
        [{k: str(v) for k, v in vars(f).items() if k != "secret"} for f in report.findings]
    )
    for value in values:
        assert value not in text


def test_env_file_findings_with_lines_columns_and_order(
    project: Path,
    keys: Any,
    write: Write,
    git: Callable[..., None],
    capsys: pytest.CaptureFixture[str],
) -> None:
    git(project, "init", "-q")
    write(project, ".gitignore", ".env\n")
    write(
        project,
        ".env",
        f"# local settings\nSTRIPE_SECRET_KEY={keys.stripe}\nDEBUG=1\nGITHUB_TOKEN={keys.github}\n",
    )
    report = audit(AuditOptions(root=project))
    assert {(f.file, f.line, f.column, f.variable) for f in report.findings} == {
        (".env", 2, 19, "STRIPE_SECRET_KEY"),
        (".env", 4, 14, "GITHUB_TOKEN"),
    }
    ranks = [f.severity.rank for f in report.findings]
    assert ranks == sorted(ranks, reverse=True)
    assert report.files_scanned == 2 and report.bytes_scanned > 0
    assert all(f.origin is Origin.FILE for f in report.findings)
    _no_secret_anywhere(report, keys.all())
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""  # the service never prints


def test_dependency_folders_are_not_scanned(project: Path, keys: Any, write: Write) -> None:
    write(project, "node_modules/lib/config.js", f'const k = "{keys.stripe}";\n')
    write(project, "app/config.js", f'const k = "{keys.stripe}";\n')
    report = audit(AuditOptions(root=project))
    assert {f.file for f in report.findings} == {"app/config.js"}
    everything = audit(AuditOptions(root=project, default_excludes=False))
    assert {f.file for f in everything.findings} == {"app/config.js", "node_modules/lib/config.js"}
    custom = audit(AuditOptions(root=project, exclude_dirs=("app",)))
    assert custom.findings == ()


def test_crlf_bom_and_latin1_keep_line_numbers(project: Path, keys: Any, write: Write) -> None:
    write(project, ".env", f"\ufeffA=1\r\nB=2\r\nSTRIPE_KEY={keys.stripe}\r\n".encode())
    write(project, "legacy.py", b"# caf\xe9 \xff\n\nKEY = '" + keys.github.encode() + b"'\n")
    report = audit(AuditOptions(root=project))
    assert _where(report) == {(".env", 3, 12), ("legacy.py", 3, 8)}
    (stripe,) = _by_rule(report)["stripe-secret-key"]
    assert stripe.secret.reveal() == keys.stripe  # no \r glued to the value


def test_skips_are_reported_not_raised(project: Path, keys: Any, write: Write) -> None:
    import os

    write(project, "data.bin.txt", b"\0\0" + keys.stripe.encode())
    write(project, "big.json", "x" * 3000)
    os.mkfifo(project / "fifo")
    (project / "loop").symlink_to(project)
    report = audit(AuditOptions(root=project, max_file_bytes=2000))
    reasons = {s.path: s.reason for s in report.skipped}
    assert set(reasons) == {"data.bin.txt", "big.json", "fifo", "loop"}
    assert report.findings == ()
    assert report.files_scanned == 0


def test_inline_ignore_comment_suppresses_and_counts(
    project: Path, keys: Any, key_factory: Callable[[], Any], write: Write
) -> None:
    other = key_factory()
    write(
        project,
        "settings.py",
        f'A = "{keys.stripe}"  # agentauth:ignore\n'
        f'B = "{other.stripe}"  # pragma: allowlist secret\n'
        f'C = "{keys.github}"\n',
    )
    report = audit(AuditOptions(root=project))
    assert [f.line for f in report.findings] == [3]
    assert report.suppressed == 2
    loud = audit(AuditOptions(root=project, honour_ignore_comments=False))
    assert len(loud.findings) == 3 and loud.suppressed == 0


def test_baseline_round_trip_and_suppression(
    project: Path, tmp_path: Path, keys: Any, key_factory: Callable[[], Any], write: Write
) -> None:
    write(project, ".env", f"STRIPE_SECRET_KEY={keys.stripe}\nGITHUB_TOKEN={keys.github}\n")
    first = audit(AuditOptions(root=project))
    baseline = tmp_path / "baseline.json"
    assert write_baseline(first, baseline) == 2
    document = json.loads(baseline.read_text())
    assert document["schema_version"] == 1
    assert {e["rule_id"] for e in document["fingerprints"]} == {
        "stripe-secret-key",
        "github-pat-classic",
    }
    for value in keys.all():
        assert value not in baseline.read_text()
    assert load_baseline(baseline) == {f.fingerprint for f in first.findings}
    # stable: writing again gives the same bytes
    again = tmp_path / "again.json"
    write_baseline(audit(AuditOptions(root=project)), again)
    assert again.read_text() == baseline.read_text()

    accepted = audit(AuditOptions(root=project, baseline=baseline))
    assert accepted.findings == () and accepted.suppressed == 2
    # a moved line keeps its fingerprint; a new credential is reported
    new = key_factory()
    write(project, ".env", f"\n\nGITHUB_TOKEN={keys.github}\nSTRIPE_SECRET_KEY={new.stripe}\n")
    later = audit(AuditOptions(root=project, baseline=baseline))
    assert [f.secret.reveal() for f in later.findings] == [new.stripe]
    assert later.suppressed == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        ("{not json", "not valid JSON"),
        ('{"schema_version": 2, "fingerprints": []}', "schema_version 2"),
        ('{"schema_version": 1}', "not an agentauth baseline"),
        ('{"schema_version": 1, "fingerprints": [{"file": "x"}]}', "fingerprints\\[0\\]"),
        ('{"schema_version": 1, "fingerprints": {}}', "must be a list"),
    ],
)
def test_bad_baseline_is_a_config_error(
    project: Path, tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "baseline.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError, match=message) as err:
        audit(AuditOptions(root=project, baseline=path))
    assert str(err.value).endswith("`agentauth audit --write-baseline FILE`")


def test_duplicates_on_one_line_are_reported_once(project: Path, keys: Any, write: Write) -> None:
    write(project, "a.sh", f"X={keys.stripe} Y={keys.stripe}\nZ={keys.stripe}\n")
    report = audit(AuditOptions(root=project))
    assert sorted(f.line for f in report.findings) == [1, 2]


def test_environ_shows_names_only(project: Path, keys: Any) -> None:
    environ = {"STRIPE_API_KEY": keys.stripe, "PATH": "/usr/bin", "EMPTY": "", "HOME": "/root"}
    report = audit(AuditOptions(root=project, include_environ=True, environ=environ))
    (finding,) = report.findings
    assert (finding.file, finding.variable, finding.origin) == (
        "<environ>",
        "STRIPE_API_KEY",
        Origin.ENVIRON,
    )
    assert (finding.line, finding.column) == (0, 0)
    _no_secret_anywhere(report, (keys.stripe,))
    assert audit(AuditOptions(root=project, environ=environ)).findings == ()


def test_mcp_literal_and_reference(project: Path, keys: Any, write: Write) -> None:
    write(project, ".env", f"STRIPE_SECRET_KEY={keys.stripe}\nUNUSED=1\n")
    mcp = {
        "mcpServers": {
            "github": {
                "command": "npx",
                "args": ["-y", "@modelcontextprotocol/server-github"],
                "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": keys.github},
            },
            "stripe": {
                "command": "npx",
                "args": ["-y", "@stripe/mcp", "--tools=all"],
                "env": {"STRIPE_SECRET_KEY": "${STRIPE_SECRET_KEY}"},
            },
        }
    }
    text = json.dumps(mcp, indent=2)
    write(project, ".mcp.json", text)
    report = audit(AuditOptions(root=project))
    by_file = {f.file: f for f in report.findings}
    assert set(by_file) == {".env", ".mcp.json"}
    literal = by_file[".mcp.json"]
    assert literal.origin is Origin.MCP
    assert literal.context == "mcp server: github"
    assert literal.variable == "GITHUB_PERSONAL_ACCESS_TOKEN"
    line = text.split("\n")[literal.line - 1]
    assert line[literal.column - 1 :].startswith(keys.github)
    assert by_file[".env"].context == "received by mcp server: stripe (.mcp.json)"
    assert any("receives STRIPE_SECRET_KEY" in n for n in report.notes)
    assert len(report.findings) == 2  # the literal is not also reported as a plain file finding


@pytest.mark.parametrize(
    ("rel", "template"),
    [
        (".cursor/mcp.json", '{{"mcpServers": {{"s": {{"env": {{"API_TOKEN": "{v}"}}}}}}}}'),
        (
            ".vscode/mcp.json",
            '{{\n  // c\n  "servers": {{"s": {{"headers": {{"X": "{v}"}},}}}}\n}}',
        ),
        (".claude/settings.json", '{{"env": {{"STRIPE_KEY": "{v}"}}}}'),
        (".codex/config.toml", '[mcp_servers.s]\ncommand = "x"\nenv = {{ "K" = "{v}" }}\n'),
        ("claude_desktop_config.json", '{{"mcpServers": {{"s": {{"args": ["--key", "{v}"]}}}}}}'),
        (
            ".windsurf/mcp_config.json",
            '{{"mcpServers": {{"s": {{"serverUrl": "https://x/?k={v}"}}}}}}',
        ),
    ],
)
def test_each_mcp_format_with_a_literal_credential(
    project: Path, keys: Any, write: Write, rel: str, template: str
) -> None:
    write(project, rel, template.format(v=keys.stripe))
    report = audit(AuditOptions(root=project))
    (finding,) = report.findings
    assert finding.file == rel and finding.origin is Origin.MCP
    assert finding.context in {"mcp server: s", "claude code settings env (every session)"}
    assert finding.line >= 1 and finding.column >= 1


def test_malformed_mcp_config_is_a_note(project: Path, keys: Any, write: Write) -> None:
    write(project, ".mcp.json", '{"mcpServers": {"a": {"env": {"K": "' + keys.stripe + '"}}')
    report = audit(AuditOptions(root=project))
    assert any(n.startswith(".mcp.json: invalid JSON") for n in report.notes)
    (finding,) = report.findings  # the raw text is still scanned
    assert finding.origin is Origin.FILE


def test_mcp_env_file_and_ignore_comment(project: Path, keys: Any, write: Write) -> None:
    write(project, ".env", f"GITHUB_TOKEN={keys.github}\n")
    write(
        project,
        ".vscode/mcp.json",
        '{"servers": {"gh": {"envFile": "${workspaceFolder}/.env",\n'
        f'  "env": {{"K": "{keys.stripe}"}} // agentauth:ignore\n}}}}}}\n',
    )
    report = audit(AuditOptions(root=project))
    (finding,) = report.findings
    assert finding.file == ".env"
    assert finding.context == "received by mcp server: gh (.vscode/mcp.json)"
    assert report.suppressed == 1


class _Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    def start(self, total_files: int) -> None:
        self.events.append(("start", total_files))

    def advance(self, path: str, nbytes: int) -> None:
        self.events.append(("advance", (path, nbytes)))

    def finish(self) -> None:
        self.events.append(("finish", None))


def test_progress_events(project: Path, write: Write) -> None:
    write(project, "a.py", "x = 1\n")
    write(project, "b/c.py", "yy\n")
    recorder = _Recorder()
    audit(AuditOptions(root=project), recorder)
    assert recorder.events[0] == ("start", 2)
    assert sorted(e[1] for e in recorder.events[1:-1]) == [("a.py", 6), ("b/c.py", 3)]
    assert recorder.events[-1] == ("finish", None)


def test_staged_mode_scans_staged_content(
    project: Path, keys: Any, key_factory: Callable[[], Any], write: Write, git: Callable[..., None]
) -> None:
    git(project, "init", "-q")
    staged = key_factory()
    write(project, "config.py", f'KEY = "{staged.stripe}"\n')
    git(project, "add", "config.py")
    write(project, "config.py", f'\n\nKEY = "{keys.stripe}"\n')  # working tree differs
    write(project, "notes.py", f'KEY = "{keys.github}"\n')  # untracked
    report = audit(AuditOptions(root=project, staged_only=True))
    assert [(f.file, f.line, f.secret.reveal()) for f in report.findings] == [
        ("config.py", 1, staged.stripe)
    ]
    tracked = audit(AuditOptions(root=project, git_tracked_only=True))
    assert [(f.file, f.line) for f in tracked.findings] == [("config.py", 3)]


def test_missing_root_is_a_config_error(project: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        audit(AuditOptions(root=project / "nope"))


def test_relative_root_and_unreadable_file(
    project: Path, keys: Any, write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project, "sub/.env", f"STRIPE_SECRET_KEY={keys.stripe}\n")
    write(project, "locked.py", f'K = "{keys.github}"\n')

    read_at_most = sources.read_at_most

    def deny(path: str, *args: Any) -> bytes:
        if str(path).endswith("locked.py"):
            raise PermissionError(13, "Permission denied")
        return read_at_most(path, *args)

    # NOTE: tests run as root, where chmod 000 does not stop a read; fail the open instead.
    monkeypatch.setattr(sources, "read_at_most", deny)
    monkeypatch.chdir(project)
    report = audit(AuditOptions(root=Path(".")))
    assert [(f.file, f.line) for f in report.findings] == [("sub/.env", 1)]
    assert [(s.path, s.reason) for s in report.skipped] == [
        ("locked.py", "unreadable: Permission denied")
    ]
    assert report.root == "."


def test_next_line_marker_and_placeholders_under_markers(
    project: Path, keys: Any, write: Write
) -> None:
    write(
        project,
        "conf.yaml",
        "# agentauth:ignore-next-line\n"
        f"stripe_key: {keys.stripe}\n"
        "example: sk_live_xxxxxxxxxxxxxxxxxxxxxxxxxxxx  # agentauth:ignore\n"
        f"github: {keys.github}\n",
    )
    report = audit(AuditOptions(root=project))
    assert [(f.line, f.rule_id) for f in report.findings] == [(4, "github-pat-classic")]
    assert report.suppressed == 1  # the placeholder was never a finding: nothing to count


def test_multiline_private_key_in_a_gitignored_pem(project: Path, write: Write) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    write(project, ".gitignore", "*.pem\n")
    write(project, "deploy/key.pem", "\n\n" + pem)
    (finding,) = audit(AuditOptions(root=project)).findings
    assert (finding.file, finding.line, finding.column) == ("deploy/key.pem", 3, 1)
    assert finding.secret.reveal().strip() == pem.strip()


def test_agentauths_own_env_ai_is_not_the_developers_admin_keys(
    project: Path, keys: Any, write: Write
) -> None:
    """After provision, .env.ai (its header says agentauth wrote it) is not advice to provision."""
    from agentauth.config.envwrite import ENV_AI_MARKER

    header = f"# This file was {ENV_AI_MARKER}.\n"
    write(project, ".env.ai", f"{header}STRIPE_SECRET_KEY={keys.stripe}\n")
    write(project, ".env", f"STRIPE_SECRET_KEY={keys.stripe}\n")
    found = {f.file: f for f in audit(AuditOptions(root=project)).findings}
    ours, theirs = found[".env.ai"], found[".env"]
    assert theirs.ci_fail and ours.severity.value == "low" and not ours.ci_fail
    assert "agentauth wrote" in ours.why and "provision" not in ours.fix
