"""The audit use case: select files, detect and classify credentials, suppress, enrich, report.

Pipeline: :mod:`agentauth.engine.sources` picks the files; each file is decoded and run
through the detector and the classifier (in-process for small trees so ``audit``
starts instantly, on a fork pool over file batches for large ones); inline ignore
comments and the baseline suppress; duplicates are dropped; the process environment
and the MCP/agent configs add their findings and context; ``verify`` asks the
providers. Progress goes to an injected :class:`ScanProgress`; nothing is printed.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from agentauth.engine import sources
from agentauth.engine.sources import SourceFile
from agentauth.model import Finding, Origin, ScanReport, Secret, Skip
from agentauth.service.scanconfigs import environ_findings, mcp_findings_of
from agentauth.service.scanoptions import AuditOptions, Engine

if TYPE_CHECKING:
    from agentauth.engine.rules import Catalog

PARALLEL_MIN_FILES = 200
PARALLEL_MIN_BYTES = 2 * 1024 * 1024
"""Below both thresholds a pool costs more to start than it saves."""


class ScanProgress(Protocol):
    """Observer of a scan; the CLI draws a progress bar with it."""

    def start(self, total_files: int) -> None:
        """Called once the files to read are known."""
        ...

    def advance(self, path: str, nbytes: int) -> None:
        """Called after each file is scanned (or skipped while reading)."""
        ...

    def finish(self) -> None:
        """Called when file scanning is done, before environ/MCP/verification."""
        ...


@dataclass
class _FileResult:
    """What scanning one file produced (findings as plain dicts when crossing processes)."""

    rel: str
    nbytes: int = 0
    skip: Skip | None = None
    findings: list[Any] = field(default_factory=list)
    suppressed: list[tuple[str, str, int]] = field(default_factory=list)
    """(fingerprint, file, line) of each finding an inline ignore comment hid."""


def audit(
    options: AuditOptions, progress: ScanProgress | None = None, *, catalog: Catalog | None = None
) -> ScanReport:
    """Run an audit and return its report; raises ConfigError for a bad path or baseline."""
    from agentauth.engine.baseline import load_baseline

    accepted = load_baseline(options.baseline) if options.baseline else frozenset()
    if options.commit_range:
        selection = sources.Selection(())
    else:
        selection = sources.select(
            options.root,
            paths=options.paths,
            git_tracked_only=options.git_tracked_only,
            staged_only=options.staged_only,
            exclude_dirs=options.exclude_dirs,
            default_excludes=options.default_excludes,
            max_file_bytes=options.max_file_bytes,
        )
    if catalog is None:
        from agentauth.engine.rules import load_catalog

        catalog = load_catalog()
    engine = Engine(catalog, options.honour_ignore_comments, options.max_file_bytes)
    if progress is not None:
        progress.start(len(selection.files))
    findings: list[Finding] = []
    skipped = list(selection.skipped)
    notes = list(selection.notes)
    files_scanned = bytes_scanned = 0
    hidden: set[tuple[str, str, int]] = set()
    for result in _scan_files(selection, engine, options.jobs):
        if progress is not None:
            progress.advance(result.rel, result.nbytes)
        if result.skip is not None:
            skipped.append(result.skip)
            continue
        files_scanned += 1
        bytes_scanned += result.nbytes
        hidden.update(result.suppressed)
        findings += [f if isinstance(f, Finding) else _from_plain(f) for f in result.findings]
    if progress is not None:
        progress.finish()
    environ = dict(os.environ if options.environ is None else options.environ)
    if options.include_environ:
        findings += environ_findings(environ, engine)
    mcp_findings, mcp_hidden = mcp_findings_of(selection, engine, findings, notes)
    hidden.update(mcp_hidden)
    findings = _dedupe(findings + mcp_findings)
    if options.history or options.since or options.commit_range:
        from agentauth.service.scanhistory import history_findings

        findings = history_findings(options, engine.catalog, findings)
    kept = [f for f in findings if f.fingerprint not in accepted]
    suppressed = len(hidden) + len(findings) - len(kept)
    if options.verify:
        from agentauth.service.verify import verify_findings

        kept = verify_findings(kept, selection, environ, options.max_file_bytes)
    kept.sort(
        key=lambda f: (-f.severity.rank, f.file, f.line, f.column, f.rule_id, f.variable or "")
    )
    return ScanReport(
        root=str(options.root),
        findings=tuple(kept),
        files_scanned=files_scanned,
        bytes_scanned=bytes_scanned,
        skipped=tuple(skipped),
        notes=tuple(notes),
        suppressed=suppressed,
    )


# --------------------------------------------------------------------------- files


def _scan_files(selection: sources.Selection, engine: Engine, jobs: int) -> Iterator[_FileResult]:
    """Yield one result per selected file, in-process or from a pool of workers."""
    workers = _workers(jobs)
    files = selection.files
    big = len(files) > PARALLEL_MIN_FILES or selection.total_bytes > PARALLEL_MIN_BYTES
    if workers <= 1 or not big:
        for source in files:
            yield _scan_one(source, engine)
        return
    yield from _scan_pool(files, engine, workers, selection.total_bytes)


def _workers(jobs: int) -> int:
    if jobs > 0:
        return jobs
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # NOTE: macOS and Windows have no sched_getaffinity
        return os.cpu_count() or 1


def _scan_one(source: SourceFile, engine: Engine) -> _FileResult:
    """Read, detect, classify and filter one file; never raises for bad input."""
    from agentauth.engine.classify import classify, is_agentauth_output
    from agentauth.engine.detect import scan_text

    text = sources.read_utf8(source, engine.max_file_bytes)
    if isinstance(text, Skip):
        return _FileResult(source.rel, skip=text)
    own = is_agentauth_output(text)
    nbytes = source.size if source.blob is None else len(source.blob)
    result = _FileResult(source.rel, nbytes)
    try:
        scanned = scan_text(
            text,
            engine.catalog,
            path=source.rel,
            honour_ignore_comments=engine.honour_ignore_comments,
        )
        for candidate in scanned.candidates:
            finding = classify(candidate, file=source.rel, catalog=engine.catalog, own_output=own)
            if finding is not None:
                result.findings.append(finding)
        for candidate in scanned.suppressed:
            hidden = classify(candidate, file=source.rel, catalog=engine.catalog, own_output=own)
            if hidden is not None:  # a placeholder under an ignore comment hides nothing
                result.suppressed.append((hidden.fingerprint, hidden.file, hidden.line))
    except Exception as exc:  # NOTE: a detector bug must not lose the rest of the audit
        reason = f"internal error while scanning: {type(exc).__name__}"
        return _FileResult(source.rel, skip=Skip(source.rel, reason))
    return result


# NOTE: per-process state of pool workers, set once by the initializer in each child;
# the parent never reads it, so nothing has to reset it between audits.
_WORKER_ENGINE: list[Engine] = []
_WORKER_FILES: list[tuple[SourceFile, ...]] = []


def _init_worker(
    engine: Engine | None, honour: bool, max_file_bytes: int, files: tuple[SourceFile, ...]
) -> None:
    if engine is None:  # spawn start method: the catalog is loaded in the child
        from agentauth.engine.rules import load_catalog

        engine = Engine(load_catalog(), honour, max_file_bytes)
    _WORKER_ENGINE[:] = [engine]
    _WORKER_FILES[:] = [files]


_Batch = tuple[list[tuple[str, int]], list[_FileResult]]
"""What a pool task returns: (file, bytes) of each file that found nothing, and the
results of the others (findings as plain dicts: Secret refuses pickling)."""


def _scan_batch(span: tuple[int, int]) -> _Batch:
    """Pool task: scan ``files[start:stop]`` of the list every worker holds.

    Why indices and compact results: on a tree of many small files, pickling each file's
    description in and each result out cost as much as scanning them (20,000 files: two
    workers took longer than one).
    """
    quiet: list[tuple[str, int]] = []
    results: list[_FileResult] = []
    for source in _WORKER_FILES[0][span[0] : span[1]]:
        result = _scan_one(source, _WORKER_ENGINE[0])
        if result.skip is None and not result.findings and not result.suppressed:
            quiet.append((result.rel, result.nbytes))
            continue
        result.findings = [_to_plain(f) for f in result.findings]
        results.append(result)
    return quiet, results


def _scan_pool(
    files: tuple[SourceFile, ...], engine: Engine, workers: int, total: int
) -> Iterator[_FileResult]:
    import multiprocessing

    fork = sys.platform == "linux" and "fork" in multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if fork else "spawn")
    if fork:
        from agentauth.engine.detect import detector_for

        # NOTE: build the detector (prefilter database, compiled rules) once, before the
        # fork, so every worker inherits it instead of compiling its own.
        _ = detector_for(engine.catalog).prefilter
    initargs = (
        engine if fork else None,
        engine.honour_ignore_comments,
        engine.max_file_bytes,
        files,
    )  # NOTE: with fork the children inherit ``files``; spawn pickles it once per worker
    target = min(4 * 1024 * 1024, max(256 * 1024, total // (workers * 8)))
    import gc

    # NOTE: move everything allocated so far out of the collector's reach, so the
    # children's garbage collections do not touch (and copy) the parent's pages.
    gc.freeze()
    try:
        with context.Pool(workers, initializer=_init_worker, initargs=initargs) as pool:
            for quiet, results in pool.imap_unordered(_scan_batch, _batches(files, target)):
                for rel, nbytes in quiet:
                    yield _FileResult(rel, nbytes)
                yield from results
    finally:
        gc.unfreeze()


def _batches(files: Sequence[SourceFile], target_bytes: int) -> Iterator[tuple[int, int]]:
    """(start, stop) of batches of about ``target_bytes`` (at most 1,024 files each)."""
    start = size = 0
    for index, source in enumerate(files):
        size += source.size
        if size >= target_bytes or index + 1 - start >= 1024:
            yield start, index + 1
            start, size = index + 1, 0
    if start < len(files):
        yield start, len(files)


def _to_plain(finding: Finding) -> dict[str, Any]:
    """Flatten a Finding for the worker->parent channel; the value travels as a plain str."""
    plain = {f.name: getattr(finding, f.name) for f in dataclasses.fields(Finding)}
    plain["secret"] = finding.secret.reveal()
    plain["extra"] = dict(finding.extra)
    return plain


def _from_plain(plain: dict[str, Any]) -> Finding:
    """Rebuild a Finding in the parent, re-wrapping the value at once."""
    return Finding(**{**plain, "secret": Secret(plain["secret"])})


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """Keep one finding per (fingerprint, file, line); an MCP finding replaces a file one."""
    mcp_keys = {(f.fingerprint, f.file) for f in findings if f.origin is Origin.MCP}
    seen: set[tuple[str, str, int]] = set()
    unique = []
    for f in findings:
        if f.origin is Origin.FILE and (f.fingerprint, f.file) in mcp_keys:
            continue
        key = (f.fingerprint, f.file, f.line)
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique
