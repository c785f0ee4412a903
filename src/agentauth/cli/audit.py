"""The ``audit`` and ``check`` commands as typer declares them: options, help texts, examples.

What they do is :mod:`agentauth.cli.scanrun` (shared with the typer-free fast path of
:mod:`agentauth.launch`, whose parser :mod:`agentauth.cli.scanargs` reads the same options).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from agentauth.cli import console, scanrun
from agentauth.cli.scanrun import DEFAULT_BASELINE, parse_size
from agentauth.report import Format

__all__ = ["DEFAULT_BASELINE", "audit_command", "check_command", "parse_size", "register"]


# Options that `audit` and `check` share, declared once.
FormatOption = Annotated[
    Format, typer.Option("--format", "-f", case_sensitive=False, help="Output format.")
]
OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", metavar="FILE", help="Write the report to FILE instead of stdout."
    ),
]
ExcludeOption = Annotated[
    list[str] | None,
    typer.Option("--exclude", metavar="DIR", help="Also skip folders with this name (repeatable)."),
]

AUDIT_HELP = """\
Find the credentials an AI agent started in PATH could read, and what each can do.

Reads env files, source and config files (git-ignored ones too: that is where local
secrets live), MCP and agent configs, and with --environ this process's environment.
Nothing is changed and nothing leaves the machine (unless --verify asks the providers).
Values are always masked.
"""

AUDIT_EPILOG = """\
[bold]Examples[/]

  agentauth audit                               [dim]# this folder, human report[/]

  agentauth audit ~/code/shop --environ         [dim]# also the shell's environment[/]

  agentauth audit --format json -o audit.json   [dim]# machine-readable, schema_version 1[/]

  agentauth audit --fail-on high                [dim]# exit 1 on any high or critical finding[/]

  agentauth audit --write-baseline .agentauth-baseline.json   [dim]# accept what is there now[/]

  agentauth audit --history                     [dim]# also what git history holds[/]

[bold]Exit codes[/]: 0 nothing at or above --fail-on (default: never fail), 1 findings at or
above it, 2 bad usage or unreadable path/baseline, 3 internal error.
"""

CHECK_HELP = """\
The CI and pre-commit gate: fail when a live credential is in git-tracked files.

Scans the files git tracks (--staged: the staged content, for pre-commit; or only
the FILES given), never prompts, and exits 1 when any finding is a live secret
(ci_fail). Test keys, publishable keys, local dev URLs and placeholders pass.
Uses .agentauth-baseline.json as the baseline when it exists.
"""

CHECK_EPILOG = """\
[bold]Examples[/]

  agentauth check                                        [dim]# in CI, at the repository root[/]

  agentauth check --staged                               [dim]# pre-commit: the staged content[/]

  agentauth check --format sarif -o agentauth.sarif      [dim]# for GitHub code scanning[/]

  agentauth check config/settings.py .env.example        [dim]# only these files[/]

  agentauth check --range origin/main..HEAD              [dim]# the PR's commits[/]

[bold]Accepting a finding[/]: put [cyan]agentauth:ignore[/] in a comment on its line, or record
the current findings with [cyan]agentauth audit --write-baseline .agentauth-baseline.json[/]
and commit that file (it holds fingerprints, never values).

[bold]Exit codes[/]: 0 no live credential, 1 live credentials found, 2 bad usage (e.g. not a
git repository and no FILES), 3 internal error.
"""


def audit_command(
    path: Annotated[
        Path, typer.Argument(metavar="PATH", help="Folder (or file) to audit.", show_default=True)
    ] = Path("."),
    fmt: FormatOption = Format.TABLE,
    output: OutputOption = None,
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            envvar="AGENTAUTH_FAIL_ON",
            metavar="SEVERITY",
            help="Exit 1 on a finding at or above SEVERITY: critical, high, medium, low, info.",
        ),
    ] = None,
    environ: Annotated[
        bool, typer.Option("--environ", help="Also audit this process's environment variables.")
    ] = False,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify", help="Ask each provider what the credential can do (read-only calls)."
        ),
    ] = False,
    baseline: Annotated[
        Path | None,
        typer.Option(
            "--baseline", metavar="FILE", help="Hide findings whose fingerprint is in FILE."
        ),
    ] = None,
    write_baseline: Annotated[
        Path | None,
        typer.Option(
            "--write-baseline", metavar="FILE", help="Record every current finding in FILE."
        ),
    ] = None,
    exclude: ExcludeOption = None,
    no_default_excludes: Annotated[
        bool,
        typer.Option(
            "--no-default-excludes", help="Also read node_modules, .venv, build folders..."
        ),
    ] = False,
    max_file_size: Annotated[
        str,
        typer.Option(
            "--max-file-size", metavar="SIZE", help="Skip larger files (env files excepted)."
        ),
    ] = "10MB",
    no_ignore_comments: Annotated[
        bool,
        typer.Option("--no-ignore-comments", help="Report findings marked agentauth:ignore too."),
    ] = False,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", min=0, help="Parallel readers (0: CPU count).")
    ] = 0,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Only the findings; no summary.")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="List the files not scanned.")
    ] = False,
    show_info: Annotated[
        bool,
        typer.Option(
            "--show-info", help="List info findings (publishable keys...); default: a count."
        ),
    ] = False,
    history: Annotated[
        bool,
        typer.Option("--history", help="Also read every commit reachable (git log -p --all)."),
    ] = False,
    since: Annotated[
        str | None,
        typer.Option(
            "--since", metavar="REF", help="With history: only the commits after REF (REF..HEAD)."
        ),
    ] = None,
) -> None:
    """Find credentials an agent could reach (see the help text above)."""
    try:
        threshold = scanrun.parse_fail_on(fail_on)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--fail-on") from None
    code = scanrun.audit(
        path=path, fmt=fmt, output=output, threshold=threshold, environ=environ,
        verify=verify, baseline=baseline, write_baseline=write_baseline, exclude=exclude,
        no_default_excludes=no_default_excludes, max_file_size=max_file_size,
        no_ignore_comments=no_ignore_comments, jobs=jobs, quiet=quiet, verbose=verbose,
        show_info=show_info, history=history, since=since,
    )  # fmt: skip
    if code:
        raise typer.Exit(code)


def check_command(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="FILES",
            help="Only these files (pre-commit passes them); default: every tracked file.",
        ),
    ] = None,
    staged: Annotated[
        bool,
        typer.Option("--staged", help="Scan the staged content (what the next commit will hold)."),
    ] = False,
    fmt: FormatOption = Format.TABLE,
    output: OutputOption = None,
    baseline: Annotated[
        Path | None,
        typer.Option(
            "--baseline",
            metavar="FILE",
            envvar="AGENTAUTH_BASELINE",
            help=f"Accept the findings listed in FILE (default: {DEFAULT_BASELINE} if present).",
        ),
    ] = None,
    exclude: ExcludeOption = None,
    no_ignore_comments: Annotated[
        bool,
        typer.Option("--no-ignore-comments", help="Report findings marked agentauth:ignore too."),
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print only failing findings.")
    ] = False,
    commit_range: Annotated[
        str | None,
        typer.Option(
            "--range",
            metavar="BASE..HEAD",
            help="Check the lines the commits of this range added (a pull request), not the files.",
        ),
    ] = None,
) -> None:
    """Fail on live credentials in git-tracked files (see the help text above)."""
    code = scanrun.check(
        files=files, staged=staged, fmt=fmt, output=output, baseline=baseline,
        exclude=exclude, no_ignore_comments=no_ignore_comments, quiet=quiet,
        commit_range=commit_range,
    )  # fmt: skip
    if code:
        raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    """Add ``audit`` and ``check`` to ``app``."""
    app.command("audit", help=console.prose(AUDIT_HELP), epilog=AUDIT_EPILOG)(audit_command)
    app.command("check", help=console.prose(CHECK_HELP), epilog=CHECK_EPILOG)(check_command)
