"""``agentauth log --verify``: walk the audit log's hash chain and compare it with the signed head.

What each check catches (the mutation test in ``tests/delegation`` proves it):

- a record whose bytes changed: the next record's ``prev`` no longer matches it
  (or, for the last record, the signed head's hash does not);
- a removed or reordered record: ``seq`` numbers no longer follow each other;
- an inserted line: it has no chain fields, or repeats a ``seq``;
- a cut-off tail: the signed head counts more records than the file holds;
- records appended without agentauth's key: the head counts fewer.

Anyone can recompute a consistent chain after rewriting the file (the chain has no
secret); only the head's signature cannot be remade without the key, so a
consistent rewrite is caught by the head, without pointing at the first changed
record. That limit is stated in ``docs/walkthrough-delegation.md``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from agentauth.errors import StateError
from agentauth.state import auditlog, loghead, signing

_MAX_PROBLEMS = 20


@dataclass(frozen=True)
class Problem:
    """One finding of the verification; ``record`` is 1-based, None for the log as a whole."""

    record: int | None
    message: str


@dataclass(frozen=True)
class LogCheck:
    """The outcome of verifying one project's log."""

    path: str
    records: int
    legacy: int
    """Records written before the chain existed (sealed by the first chained record)."""
    problems: tuple[Problem, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """True when the chain is intact and matches the signed head."""
        return not self.problems


def _parse(line: bytes) -> dict[str, object] | None:
    try:
        item = json.loads(line)
    except ValueError:
        return None
    return item if isinstance(item, dict) else None


def _chained(item: dict[str, object] | None) -> bool:
    return item is not None and isinstance(item.get("seq"), int) and "prev" in item


def _span(first: int, last: int) -> str:
    return f"record {first} was" if first == last else f"records {first}..{last} were"


def _split(data: bytes) -> list[bytes]:
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def _walk(lines: list[bytes], first: int, problems: list[Problem]) -> None:
    """Check every record from the first chained one (index ``first``) to the end."""
    prefix = b"".join(line + b"\n" for line in lines[:first])
    legacy = sum(1 for line in lines[:first] if line.strip())
    expected_prev = auditlog.line_hash(prefix)
    expected_seq = legacy + 1
    opening = _parse(lines[first]) or {}
    if legacy and opening.get("seq") == 1 and opening.get("prev") == auditlog.line_hash(b""):
        # NOTE: the chain starts at record 1, so what stands before it is not a sealed
        # legacy prefix but lines put there by hand.
        problems.append(Problem(1, f"line(s) 1..{first} stand before record 1: inserted by hand"))
        expected_prev, expected_seq = auditlog.line_hash(b""), 1
    for index in range(first, len(lines)):
        number = index + 1
        item = _parse(lines[index])
        if item is None:
            problems.append(
                Problem(number, f"line {number} is empty or not a JSON record: it was edited")
            )
            expected_seq += 1
        elif not _chained(item):
            problems.append(
                Problem(number, f"line {number} has no chain fields: it was inserted by hand")
            )
            expected_seq += 1
        else:
            seq = item["seq"]
            assert isinstance(seq, int)  # _chained checked it
            if seq != expected_seq:
                problems.append(
                    Problem(
                        number,
                        f"line {number} holds record {seq} where record {expected_seq} belongs: "
                        + (
                            f"{_span(expected_seq, seq - 1)} removed or moved"
                            if seq > expected_seq
                            else "a record was inserted or records were reordered"
                        ),
                    )
                )
            elif item["prev"] != expected_prev:
                culprit = number - 1
                problems.append(
                    Problem(
                        culprit or number,
                        f"record {culprit} was changed: record {number} no longer chains to it"
                        if culprit >= 1
                        else f"record {number} does not chain to the start of the log",
                    )
                )
            expected_seq = seq + 1
        expected_prev = auditlog.line_hash(lines[index])
        if len(problems) >= _MAX_PROBLEMS:
            return


def _compare_head(
    project_root: Path,
    lines: list[bytes],
    count: int,
    trusted_key: str | None,
    problems: list[Problem],
) -> None:
    head = loghead.read(project_root)
    if head is None:
        problems.append(
            Problem(None, "the signed head is missing: the log cannot be shown complete")
        )
        return
    if trusted_key is None:
        problems.append(Problem(None, "no public key to check the head with (pass --key)"))
        return
    if not loghead.signature_ok(head, trusted_key):
        problems.append(Problem(None, "the head's signature does not verify with the key"))
        return
    if head.project != str(project_root.resolve()):
        problems.append(Problem(None, f"the head belongs to another project ({head.project})"))
        return
    if head.count > count:
        lost = head.count - count
        problems.append(
            Problem(
                count + 1,
                f"the log holds {count} records but the signed head counts {head.count}: "
                + (
                    f"{lost} record(s) were removed"
                    if problems
                    else f"the tail was cut off ({_span(count + 1, head.count)} there)"
                ),
            )
        )
    elif head.count < count:
        problems.append(
            Problem(
                head.count + 1,
                f"the log holds {count} records but the signed head counts {head.count}: "
                f"record {head.count + 1} onwards was added without agentauth's key",
            )
        )
    elif count and auditlog.line_hash(lines[-1]) != head.last_hash:
        problems.append(
            Problem(count, f"record {count} (the last) differs from the one the head signed")
        )


def verify(project_root: Path, trusted_key: str | None = None) -> LogCheck:
    """Verify the project's log against the signed head; ``trusted_key`` defaults to our own."""
    path = auditlog.log_path(project_root)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        data = b""
    except OSError as exc:
        raise StateError(f"cannot read the audit log {path}: {exc.strerror}") from None
    key = trusted_key if trusted_key is not None else signing.public_key_hex()
    lines = _split(data)
    first = next((i for i, line in enumerate(lines) if _chained(_parse(line))), None)
    problems: list[Problem] = []
    notes: list[str] = []
    if first is None:
        head = loghead.read(project_root)
        if head is not None and head.count:
            problems.append(
                Problem(
                    None,
                    f"no chained record left, but the signed head counts {head.count}: "
                    "the log was replaced",
                )
            )
        elif lines:
            notes.append(
                f"all {len(lines)} record(s) predate the hash chain (an older agentauth); "
                "the next event seals them"
            )
        return LogCheck(str(path), len(lines), len(lines), tuple(problems), tuple(notes))
    legacy = sum(1 for line in lines[:first] if line.strip())
    if legacy:
        notes.append(
            f"records 1..{legacy} predate the hash chain; record {first + 1} seals them "
            "(any later change to them is detected, what they said before is not proven)"
        )
    _walk(lines, first, problems)
    count = legacy + len(lines) - first
    _compare_head(project_root, lines, count, key, problems)
    return LogCheck(str(path), count, legacy, tuple(problems[:_MAX_PROBLEMS]), tuple(notes))
