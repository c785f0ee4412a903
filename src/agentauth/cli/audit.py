"""The ``audit`` and ``check`` commands: build scan options, scan, render, choose the exit code.

The scan itself is :func:`agentauth.service.scan.audit` (imported only when a command runs,
so ``--help`` stays fast); rendering is :mod:`agentauth.report`.
"""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from agentauth.cli import console
from agentauth.errors import ExitCode, UsageError
from agentauth.model import ScanReport, Severity
from agentauth.report import Format, render

if TYPE_CHECKING:
    from rich.progress import Progress

    from agentauth.report import table as table_report
    from agentauth.service.scanoptions import AuditOptions

DEFAULT_BASELINE = ".agentauth-baseline.json"
"""``check`` uses this file as its baseline when it exists and --baseline is not given."""

PROGRESS_MIN_FILES = 2000
"""Below this many files the scan is over before a progress bar would be readable."""

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}

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


def parse_size(text: str) -> int:
    """Parse ``10MB``, ``512k``, ``1GiB`` or a byte count (units are binary: 1MB = 1 MiB).

    Raises UsageError for anything else, so a typo never silently means "no limit".
    """
    match = _SIZE.match(text)
    if not match:
        raise UsageError(f"--max-file-size {text!r} is not a size; use e.g. 10MB, 512KB, 1GiB")
    number, unit = float(match.group(1)), (match.group(2) or "").lower()
    size = int(number * _UNITS[unit[:1]])
    if size <= 0:
        raise UsageError(f"--max-file-size {text!r} must be more than zero bytes")
    return size


def _parse_fail_on(value: str | None) -> Severity | None:
    if value is None or value.lower() in {"", "none", "never"}:
        return None
    try:
        return Severity.parse(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--fail-on") from None


class _ProgressBar:
    """The :class:`agentauth.service.scan.ScanProgress` observer: a bar on stderr for big scans."""

    def __init__(self, console_: Console, min_files: int = PROGRESS_MIN_FILES) -> None:
        self._console = console_
        self._min_files = min_files
        self._progress: Progress | None = None
        self._task: Any = None

    def start(self, total_files: int) -> None:
        """Show a transient bar when the scan is big enough to be worth watching."""
        if total_files < self._min_files:
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self._progress = Progress(
            TextColumn("scanning"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self._console,
            transient=True,
        )
        self._progress.start()
        self._task = self._progress.add_task("scan", total=total_files)

    def advance(self, path: str, nbytes: int) -> None:
        """Count one file done."""
        if self._progress is not None:
            self._progress.advance(self._task)

    def finish(self) -> None:
        """Remove the bar."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def _progress(quiet: bool) -> _ProgressBar | None:
    err = console.err_console()
    if quiet or not err.is_terminal or not console.is_interactive():
        return None
    return _ProgressBar(err)


def _git_prefix(root: Path) -> str | None:
    """Return root's path inside its git work tree ("" at the top), or None outside git."""
    from agentauth.engine import gitfiles

    return gitfiles.prefix(root)


def _run_scan(options: AuditOptions, quiet: bool) -> ScanReport:
    from agentauth.service.scan import audit as scan_audit

    bar = _progress(quiet)
    try:
        return scan_audit(options, bar)
    finally:
        if bar is not None:
            bar.finish()  # NOTE: also on an error or Ctrl-C, so the terminal is left clean


def _emit(
    report: ScanReport,
    fmt: Format,
    output: Path | None,
    *,
    root: Path,
    options: table_report.Options,
) -> None:
    """Write the report to stdout or ``output`` in ``fmt``."""
    from agentauth.report import table as table_report

    if fmt is Format.TABLE:
        if output is None or str(output) == "-":
            table_report.print_report(report, console.out_console(), options)
        else:
            text = table_report.render_text(report, width=120, options=options)
            console.write_report(text, output)
        return
    prefix = _git_prefix(root) if fmt is Format.SARIF else None
    console.write_report(render(report, fmt, uri_prefix=prefix or ""), output)


def _wrote(output: Path | None, fmt: Format, report: ScanReport, quiet: bool) -> None:
    if quiet or output is None or str(output) == "-":
        return
    console.err_console().print(
        f"Wrote the {fmt.value} report to {output}: {len(report.findings)} finding(s).",
        markup=False,
        highlight=False,
    )


def _display_root(path: Path) -> str:
    text = str(path)
    return "." if text in {"", "."} else text


def _check_path(path: Path) -> None:
    if not path.exists():
        raise UsageError(f"{path} does not exist; pass a folder or a file to audit")
    if not os.access(path, os.R_OK):
        raise UsageError(f"{path} is not readable; check its permissions")


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
    from agentauth.report import table as table_report
    from agentauth.service.scanoptions import AuditOptions

    threshold = _parse_fail_on(fail_on)
    _check_path(path)
    if baseline is not None and write_baseline is not None:
        raise UsageError(
            "--baseline and --write-baseline do not go together; "
            "--write-baseline records every current finding on its own"
        )
    root, paths = (path.parent, (path,)) if path.is_file() else (path, ())
    options = AuditOptions(
        root=root,
        paths=paths,
        include_environ=environ,
        exclude_dirs=tuple(exclude or ()),
        default_excludes=not no_default_excludes,
        max_file_bytes=parse_size(max_file_size),
        baseline=baseline,
        honour_ignore_comments=not no_ignore_comments,
        verify=verify,
        jobs=jobs,
        history=history or since is not None,
        since=since,
    )
    report = _run_scan(options, quiet)
    report = dataclasses.replace(report, root=_display_root(path))

    if write_baseline is not None:
        from agentauth.engine.baseline import write_baseline as write

        count = write(report, write_baseline)
        console.err_console().print(
            f"Wrote {count} fingerprint(s) to {write_baseline}. "
            f"Pass --baseline {write_baseline} to audit, or commit it as "
            f"{DEFAULT_BASELINE} for check, to accept these findings.",
            markup=False,
            highlight=False,
        )
        return

    table_options = table_report.Options(
        verbose=verbose,
        quiet=quiet,
        has_policy=(root / "agentauth.yaml").exists(),
        show_info=show_info,
    )
    _emit(report, fmt, output, root=root, options=table_options)
    _wrote(output, fmt, report, quiet)
    if threshold is not None and any(f.severity.rank >= threshold.rank for f in report.findings):
        raise typer.Exit(int(ExitCode.FINDINGS))


CHECK_REMEDY = (
    "How to fix: delete the value from the file, rotate it at the provider (git history keeps "
    "the old one), and load it at run time from an untracked .env or a secret store instead.\n"
    "Not a live secret? Put agentauth:ignore in a comment on its line, or accept the current "
    "findings: agentauth audit --write-baseline .agentauth-baseline.json (and commit that file)."
)


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
    from agentauth.report import table as table_report
    from agentauth.service.scanoptions import AuditOptions

    root = Path(".")
    paths = tuple(files or ())
    in_git = _git_prefix(root) is not None
    if not paths and not in_git:
        raise UsageError(
            "the current folder is not inside a git repository, and check scans git-tracked "
            "files; run it in a repository, or name the files: agentauth check FILE..."
        )
    for file in paths:
        _check_path(file)
    if baseline is None and (root / DEFAULT_BASELINE).is_file():
        uncommitted = _uncommitted(root, DEFAULT_BASELINE) if in_git else None
        if uncommitted is None:
            baseline = root / DEFAULT_BASELINE
        else:
            console.err_console().print(
                f"agentauth check: warning: {DEFAULT_BASELINE} {uncommitted}, so it accepts "
                "nothing here: CI would not see it. Commit it (git add "
                f"{DEFAULT_BASELINE}) or pass --baseline {DEFAULT_BASELINE} knowingly.",
                markup=False,
                highlight=False,
            )
    options = AuditOptions(
        root=root,
        paths=paths,
        git_tracked_only=in_git and not paths,
        staged_only=staged,
        exclude_dirs=tuple(exclude or ()),
        baseline=baseline,
        commit_range=commit_range,
        honour_ignore_comments=not no_ignore_comments,
    )
    if commit_range is not None and (paths or staged):
        raise UsageError("--range reads commits; it does not go with FILES or --staged")
    report = _run_scan(options, quiet)
    failing = tuple(f for f in report.findings if f.ci_fail)
    gate = dataclasses.replace(report, findings=failing)
    scope = (
        "range" if commit_range else "staged" if staged else "named" if paths else "tracked"
    )

    if fmt is Format.TABLE:
        _print_check(gate, report, output, quiet, scope)
    else:
        _emit(gate, fmt, output, root=root, options=table_report.Options(quiet=True))
        _wrote(output, fmt, gate, quiet)
        if failing and not quiet:
            console.err_console().print(CHECK_REMEDY, markup=False, highlight=False)
    if failing:
        raise typer.Exit(int(ExitCode.FINDINGS))


def _uncommitted(root: Path, name: str) -> str | None:
    """Why the baseline at ``root/name`` is not what git holds (None when it is committed).

    Untracked, or changed in the working tree and not staged: either way CI checks out
    a different (or no) baseline, so it must not silence this run either.
    """

    from agentauth import gitcmd

    def git(*args: str) -> int:
        code = gitcmd.returncode(root, *args, "--", name, timeout=10)
        return 0 if code is None else code

    if git("ls-files", "--error-unmatch") != 0:
        return "is not tracked by git"
    if git("diff", "--quiet") != 0:
        return "has changes that are not staged"
    return None


def _print_check(
    gate: ScanReport, full: ScanReport, output: Path | None, quiet: bool, scope: str
) -> None:
    from agentauth.report import table as table_report

    err = console.err_console()
    passed = len(full.findings) - len(gate.findings)
    if not gate.findings:
        if not quiet:
            extra = f" ({passed} non-live finding(s) pass)" if passed else ""
            suppressed = (
                f"; {full.suppressed} accepted by ignore/baseline" if full.suppressed else ""
            )
            where = (
                "the commits checked"
                if scope == "range"
                else f"{full.files_scanned} {scope} file(s)"
            )
            err.print(
                f"agentauth check: no live credentials in {where}{extra}{suppressed}.",
                markup=False,
                highlight=False,
            )
        if output is not None and str(output) != "-":
            console.write_report(table_report.render_text(gate, options=_check_options()), output)
        return
    if not quiet:
        err.print(
            f"agentauth check: {len(gate.findings)} live credential(s) in "
            + (
                "the commits checked."
                if scope == "range"
                else f"{scope} files ({full.files_scanned} file(s) scanned)."
            ),
            style="bold red",
            markup=False,
            highlight=False,
        )
    if output is None or str(output) == "-":
        table_report.print_report(gate, console.out_console(), _check_options())
    else:
        console.write_report(table_report.render_text(gate, options=_check_options()), output)
    if not quiet:
        err.print()
        err.print(CHECK_REMEDY, markup=False, highlight=False)


def _check_options() -> table_report.Options:
    from agentauth.report import table as table_report

    return table_report.Options(quiet=True)


def register(app: typer.Typer) -> None:
    """Add ``audit`` and ``check`` to ``app``."""
    app.command("audit", help=console.prose(AUDIT_HELP), epilog=AUDIT_EPILOG)(audit_command)
    app.command("check", help=console.prose(CHECK_HELP), epilog=CHECK_EPILOG)(check_command)
