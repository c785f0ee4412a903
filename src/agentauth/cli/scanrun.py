"""What ``audit`` and ``check`` do once their arguments are parsed: scan, render, exit code.

Why apart from :mod:`agentauth.cli.audit` (the typer declarations and help texts): both
front doors call these bodies, the typer commands and the typer-free fast path of
:mod:`agentauth.launch` (``check --staged`` in a pre-commit hook has 200 ms, and typer
and rich cost half of it). So nothing here imports typer, and rich only when a table or
a progress bar is drawn; plain lines go through :mod:`agentauth.cli.stderr`, whole.
Each body returns the exit code.
"""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from agentauth.cli import console, stderr
from agentauth.errors import ExitCode, UsageError
from agentauth.model import ScanReport, Severity
from agentauth.report import Format, render

if TYPE_CHECKING:
    from agentauth.report.tableoptions import Options
    from agentauth.service.scanoptions import AuditOptions

DEFAULT_BASELINE = ".agentauth-baseline.json"
"""``check`` uses this file as its baseline when it exists and --baseline is not given."""

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


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


def parse_fail_on(value: str | None) -> Severity | None:
    """``--fail-on``'s value: None for never; ValueError for an unknown severity."""
    if value is None or value.lower() in {"", "none", "never"}:
        return None
    return Severity.parse(value)


def _git_prefix(root: Path) -> str | None:
    """Return root's path inside its git work tree ("" at the top), or None outside git."""
    from agentauth.engine import gitfiles

    return gitfiles.prefix(root)


def _run_scan(options: AuditOptions, quiet: bool) -> ScanReport:
    from agentauth.cli.progress import progress_bar
    from agentauth.service.scan import audit as scan_audit

    bar = progress_bar(quiet)
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
    options: Options,
) -> None:
    """Write the report to stdout or ``output`` in ``fmt``."""
    if fmt is Format.TABLE:
        from agentauth.report import table as table_report

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
    stderr.line(f"Wrote the {fmt.value} report to {output}: {len(report.findings)} finding(s).")


def _display_root(path: Path) -> str:
    text = str(path)
    return "." if text in {"", "."} else text


def _check_path(path: Path) -> None:
    if not path.exists():
        raise UsageError(f"{path} does not exist; pass a folder or a file to audit")
    if not os.access(path, os.R_OK):
        raise UsageError(f"{path} is not readable; check its permissions")


def audit(
    *,
    path: Path,
    fmt: Format,
    output: Path | None,
    threshold: Severity | None,
    environ: bool,
    verify: bool,
    baseline: Path | None,
    write_baseline: Path | None,
    exclude: list[str] | None,
    no_default_excludes: bool,
    max_file_size: str,
    no_ignore_comments: bool,
    jobs: int,
    quiet: bool,
    verbose: bool,
    show_info: bool,
    history: bool,
    since: str | None,
) -> int:
    """``agentauth audit``: find credentials an agent could reach; return the exit code."""
    from agentauth.report.tableoptions import Options
    from agentauth.service.scanoptions import AuditOptions

    _check_path(path)
    if baseline is not None and write_baseline is not None:
        raise UsageError(
            "--baseline and --write-baseline do not go together; "
            "--write-baseline records every current finding on its own"
        )
    # NOTE: the file relative to its folder: a relative path joined to its own parent again
    # named a file that does not exist (`audit a/b/app.env` looked for a/b/a/b/app.env)
    root, paths = (path.parent, (Path(path.name),)) if path.is_file() else (path, ())
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
        stderr.line(
            f"Wrote {count} fingerprint(s) to {write_baseline}. "
            f"Pass --baseline {write_baseline} to audit, or commit it as "
            f"{DEFAULT_BASELINE} for check, to accept these findings."
        )
        return int(ExitCode.OK)

    table_options = Options(
        verbose=verbose,
        quiet=quiet,
        has_policy=(root / "agentauth.yaml").exists(),
        show_info=show_info,
    )
    _emit(report, fmt, output, root=root, options=table_options)
    _wrote(output, fmt, report, quiet)
    if threshold is not None and any(f.severity.rank >= threshold.rank for f in report.findings):
        return int(ExitCode.FINDINGS)
    return int(ExitCode.OK)


CHECK_REMEDY = (
    "How to fix: delete the value from the file, rotate it at the provider (git history keeps "
    "the old one), and load it at run time from an untracked .env or a secret store instead.\n"
    "Not a live secret? Put agentauth:ignore in a comment on its line, or accept the current "
    "findings: agentauth audit --write-baseline .agentauth-baseline.json (and commit that file)."
)


def check(
    *,
    files: list[Path] | None,
    staged: bool,
    fmt: Format,
    output: Path | None,
    baseline: Path | None,
    exclude: list[str] | None,
    no_ignore_comments: bool,
    quiet: bool,
    commit_range: str | None,
) -> int:
    """``agentauth check``: fail on live credentials in git-tracked files; return the code."""
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
            stderr.line(
                f"agentauth check: warning: {DEFAULT_BASELINE} {uncommitted}, so it accepts "
                "nothing here: CI would not see it. Commit it (git add "
                f"{DEFAULT_BASELINE}) or pass --baseline {DEFAULT_BASELINE} knowingly."
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
    scope = "range" if commit_range else "staged" if staged else "named" if paths else "tracked"

    if fmt is Format.TABLE:
        _print_check(gate, report, output, quiet, scope)
    else:
        _emit(gate, fmt, output, root=root, options=_check_options())
        _wrote(output, fmt, gate, quiet)
        if failing and not quiet:
            stderr.line(CHECK_REMEDY)
    return int(ExitCode.FINDINGS) if failing else int(ExitCode.OK)


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
            stderr.line(f"agentauth check: no live credentials in {where}{extra}{suppressed}.")
        if output is not None and str(output) != "-":
            from agentauth.report import table as table_report

            console.write_report(table_report.render_text(gate, options=_check_options()), output)
        return
    from agentauth.report import table as table_report

    if not quiet:
        console.err_console().print(
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
        stderr.line("")
        stderr.line(CHECK_REMEDY)


def _check_options() -> Options:
    from agentauth.report.tableoptions import Options

    return Options(quiet=True)


def run_argv(command: str, argv: list[str], flags: dict[str, bool]) -> int | None:
    """Run ``audit``/``check`` ARGV from the fast path; None when typer must read ARGV.

    ``flags`` are the global flags that stood before the command (``--debug``...).
    """
    from agentauth.cli import funnel, scanargs

    params = scanargs.parse(command, argv)
    switches = scanargs.global_flags(flags)
    if params is None or switches is None:
        return None
    if command == "audit":
        try:
            params["threshold"] = parse_fail_on(params.pop("fail_on"))
        except ValueError:
            return None
    debug, no_color = switches
    console.configure(debug=debug, no_color=no_color)
    try:
        return audit(**params) if command == "audit" else check(**params)
    except (Exception, KeyboardInterrupt) as exc:
        return funnel.handle(exc)
    finally:
        funnel.keyring_notice([command, *argv])  # NOTE: as the typer app does after a command
