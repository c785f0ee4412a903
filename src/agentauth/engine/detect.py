"""The detector, the scan's hot path: text + catalog -> every credential occurrence, as candidates.

One prefilter pass finds where the catalog's keywords occur (hyperscan when installed,
else pyahocorasick, else ``bytes.find``); only the rules whose keywords occur run, and a
line-scoped rule runs only on the lines holding its keyword. Work happens on the UTF-8
bytes of the text; line and column (1-based, columns in characters, lines split on
``\\n``) are computed only for matches. Pure: no I/O, no provider calls.

Inline suppression: a candidate is suppressed when a line it touches contains
``agentauth:ignore``, ``gitleaks:allow`` or ``pragma: allowlist secret``, or the line
just before it contains ``agentauth:ignore-next-line`` or ``pragma: allowlist nextline
secret``. :func:`scan_text` applies them and returns the suppressed candidates apart
(so the caller can count them); :func:`detect_text` returns every occurrence unless
asked to honour the markers.
"""

from __future__ import annotations

import bisect
import re
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from agentauth.engine.rules import Catalog, Rule
from agentauth.engine.rules.checks import shannon_entropy
from agentauth.engine.rules.validators import VALIDATORS
from agentauth.model import Candidate, RuleId, Secret

IGNORE_MARKERS: tuple[bytes, ...] = (
    b"agentauth:ignore",
    b"gitleaks:allow",
    b"pragma: allowlist secret",
)
IGNORE_NEXT_LINE_MARKERS: tuple[bytes, ...] = (
    b"agentauth:ignore-next-line",
    b"pragma: allowlist nextline secret",
)
ENGINES = ("hyperscan", "ahocorasick", "python")

# The name a value is assigned to, read backwards from the value's start on its line:
# KEY=, export KEY=, "key": ", key: , key = ", KEY: str = ", key := ", process.env.X || ",
# os.getenv("X", ", <key>.
_ASSIGNMENT = re.compile(
    rb"(?:(?<![A-Za-z0-9_.\-/])(?P<n1>[A-Za-z_][A-Za-z0-9_.\-]*)[\"'\]]{0,2}\s*"
    rb"(?::\s*[A-Za-z_][\w\[\]|., ]{0,40}?\s*)?(?::=|=>|\+=|=|:)"
    rb"|process\.env\.(?P<n2>[A-Za-z_]\w*)\s*(?:\|\||\?\?)"
    rb"|(?:getenv|environ\.get|ENV\.fetch|env)\(\s*[\"'](?P<n3>[A-Za-z_]\w*)[\"']\s*,"
    rb"|<(?P<n4>[A-Za-z_][\w.\-]*)>)"
    rb"\s*(?:\[\s*)?\\?[\"'`]?$"
)
_PREFIX_WINDOW = 256
SMALL_TEXT_BYTES = 2048
"""Texts up to this size are prefiltered with ``bytes.find`` (no database to build)."""
_WINDOW_BEFORE = 2048
_WINDOW_AFTER = 8192
"""On a line longer than both, a line rule reads this far around its keyword (a token's
keyword is its prefix or a label just before it; the longest tokens are under 8 KiB)."""
_TEXT_WINDOW_BEFORE = 16 * 1024
_TEXT_WINDOW_AFTER = 48 * 1024
"""A multi-line rule reads this far around its keyword in a text longer than both (a PEM
body is at most 32 KiB after its armour; a service-account JSON names its type first)."""


def _merged(spans: set[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping (start, end) spans joined, so no byte is scanned twice by one rule."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


@dataclass(frozen=True)
class TextScan:
    """Detection result for one text: reported candidates and those an ignore comment hid."""

    candidates: tuple[Candidate, ...]
    suppressed: tuple[Candidate, ...] = ()


_EMPTY = TextScan(())


class Prefilter(Protocol):
    """Finds every occurrence of the keywords, case-insensitively, in one pass."""

    engine: str

    def hits(self, data: bytes) -> list[tuple[int, int]]:
        """Return (end offset, keyword index) for every occurrence, overlapping ones included."""
        ...


class _HyperscanPrefilter:
    """Literal keywords compiled into a hyperscan database (SIMD; the fastest engine)."""

    engine = "hyperscan"

    def __init__(self, keywords: Sequence[str]) -> None:
        import hyperscan

        self._hs = hyperscan
        self._db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        self._db.compile(
            expressions=[k.encode() for k in keywords],
            ids=list(range(len(keywords))),
            elements=len(keywords),
            flags=[hyperscan.HS_FLAG_CASELESS] * len(keywords),
            literal=True,
        )
        self._local = threading.local()

    def hits(self, data: bytes) -> list[tuple[int, int]]:
        """Scan ``data`` once; hyperscan reports matches in end-offset order."""
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = self._hs.Scratch(self._db)
        found: list[tuple[int, int]] = []
        append = found.append

        def on_match(kw: int, start: int, end: int, flags: int, context: Any) -> None:
            append((end, kw))

        self._db.scan(data, match_event_handler=on_match, scratch=scratch)
        return found


class _AhoCorasickPrefilter:
    """pyahocorasick's automaton over the ASCII-lower-cased bytes (as latin-1 text)."""

    engine = "ahocorasick"

    def __init__(self, keywords: Sequence[str]) -> None:
        import ahocorasick

        self._automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
        for index, keyword in enumerate(keywords):
            self._automaton.add_word(keyword, index)
        self._automaton.make_automaton()

    def hits(self, data: bytes) -> list[tuple[int, int]]:
        """Iterate the automaton; latin-1 keeps one character per byte, so offsets match."""
        text = data.lower().decode("latin-1")
        return [(end + 1, kw) for end, kw in self._automaton.iter(text)]


class _FindPrefilter:
    """Pure-Python fallback: ``bytes.find`` per keyword over the ASCII-lower-cased bytes."""

    engine = "python"

    def __init__(self, keywords: Sequence[str]) -> None:
        self._keywords = [k.encode() for k in keywords]

    def hits(self, data: bytes) -> list[tuple[int, int]]:
        """Report every occurrence of every keyword (overlaps included), in end order."""
        lowered = data.lower()
        found: list[tuple[int, int]] = []
        for index, keyword in enumerate(self._keywords):
            size = len(keyword)
            pos = lowered.find(keyword)
            while pos >= 0:
                found.append((pos + size, index))
                pos = lowered.find(keyword, pos + 1)
        found.sort()
        return found


def build_prefilter(keywords: Sequence[str], engine: str = "auto") -> Prefilter:
    """Return the fastest available prefilter, or the named ``engine`` (ImportError if missing)."""
    if engine not in ("auto", *ENGINES):
        raise ValueError(f"unknown prefilter engine {engine!r}; choose auto or one of {ENGINES}")
    candidates = ENGINES if engine == "auto" else (engine,)
    for name in candidates:
        try:
            if name == "hyperscan":
                return _HyperscanPrefilter(keywords)
            if name == "ahocorasick":
                return _AhoCorasickPrefilter(keywords)
        except ImportError:
            if engine != "auto":
                raise
            continue
    return _FindPrefilter(keywords)


@dataclass(frozen=True)
class _Match:
    start: int
    end: int
    rule: Rule
    secret: str
    variable: str | None
    extra: dict[str, str]


class Detector:
    """A catalog compiled for scanning: its keywords in a prefilter, rules grouped by keyword."""

    def __init__(self, catalog: Catalog, *, engine: str = "auto") -> None:
        """Build the prefilter for ``catalog`` (once per process and catalog is enough)."""
        self.catalog = catalog
        keywords: list[str] = []
        position: dict[str, int] = {}
        line_rules: list[list[Rule]] = []
        text_rules: list[list[Rule]] = []
        for rule in catalog.rules:
            for keyword in rule.keywords:
                if keyword not in position:
                    position[keyword] = len(keywords)
                    keywords.append(keyword)
                    line_rules.append([])
                    text_rules.append([])
                index = position[keyword]
                (text_rules if rule.scope == "text" else line_rules)[index].append(rule)
        for marker in _EMBEDDED_MARKERS:
            if marker not in position:
                position[marker] = len(keywords)
                keywords.append(marker)
                line_rules.append([])
                text_rules.append([])
        self._markers = frozenset(position[m] for m in _EMBEDDED_MARKERS)
        self.keywords = tuple(keywords)
        self._line_rules = tuple(tuple(r) for r in line_rules)
        self._text_rules = tuple(tuple(r) for r in text_rules)
        self._engine = engine
        self._prefilter: Prefilter | None = None
        # NOTE: compiling the hyperscan database takes ~0.1 s; `check --staged` of a small
        # change never needs it, since bytes.find over a few KiB gives the same hits.
        self._small = _FindPrefilter(self.keywords) if engine == "auto" else None

    @property
    def prefilter(self) -> Prefilter:
        """The prefilter for large texts, built on first use (the fastest engine available)."""
        if self._prefilter is None:
            self._prefilter = build_prefilter(self.keywords, self._engine)
        return self._prefilter

    def hits(self, data: bytes) -> list[tuple[int, int]]:
        """Keyword hits in ``data``: plain ``bytes.find`` for a small text, else the prefilter."""
        if self._small is not None and len(data) <= SMALL_TEXT_BYTES:
            return self._small.hits(data)
        return self.prefilter.hits(data)

    def scan(self, text: str, *, honour_ignore_comments: bool = True) -> TextScan:
        """Return every credential occurrence in ``text``, split into reported and suppressed.

        Besides the text as written, two views are read: the text with its string escapes
        undone when it holds ``\\"`` (a notebook cell, JSON inside a JSON string), and the
        name/value pairs of :mod:`agentauth.engine.embedded` (base64 Kubernetes Secret data,
        Terraform variable defaults, XML elements, Go byte slices).
        """
        data = text.encode("utf-8", "surrogatepass")
        hits = self.hits(data)
        matches = self._matches(data, hits)
        escaped = _unescaped_view(data)
        if escaped is not None:
            matches = _merge(matches, self._view_matches(escaped))
        if hits and not self._markers.isdisjoint(kw for _, kw in hits):
            matches = _merge_pairs(matches, self._pair_matches(data))
        if not matches:
            return _EMPTY
        markers = _marker_lines(data) if honour_ignore_comments else None
        reported: list[Candidate] = []
        suppressed: list[Candidate] = []
        line, pos = 1, 0
        for m in matches:
            line += data.count(b"\n", pos, m.start)
            pos = m.start
            line_start = data.rfind(b"\n", 0, m.start) + 1
            prefix = data[line_start : m.start]
            column = (len(prefix) if prefix.isascii() else len(_decode(prefix))) + 1
            variable = m.variable or _variable(data, line_start, m.start)
            candidate = Candidate(
                rule_id=RuleId(m.rule.id),
                secret=Secret(m.secret),
                line=line,
                column=column,
                variable=variable,
                extra=m.extra,
            )
            if markers and _suppressed(data, markers, line_start, m.end):
                suppressed.append(candidate)
            else:
                reported.append(candidate)
        return TextScan(tuple(reported), tuple(suppressed))

    def matches(self, data: bytes) -> list[_Match]:
        """Run the triggered rules and resolve overlaps; return matches in text order."""
        return self._matches(data, self.hits(data))

    def _matches(self, data: bytes, hits: list[tuple[int, int]]) -> list[_Match]:
        if not hits:
            return []
        spans: dict[str, set[tuple[int, int]]] = {}
        whole: dict[str, Rule] = {}
        rules_by_id: dict[str, Rule] = {}
        line_start = line_end = -1
        size = len(data)
        for end, kw in hits:
            for rule in self._text_rules[kw]:
                whole[rule.id] = rule
                if size > _TEXT_WINDOW_BEFORE + _TEXT_WINDOW_AFTER:
                    span = (max(0, end - _TEXT_WINDOW_BEFORE), min(size, end + _TEXT_WINDOW_AFTER))
                    spans.setdefault(rule.id, set()).add(span)
                    rules_by_id[rule.id] = rule
            line_rules = self._line_rules[kw]
            if not line_rules:
                continue
            if not line_start <= end - 1 < line_end:
                line_start = data.rfind(b"\n", 0, end - 1) + 1
                line_end = data.find(b"\n", end - 1)
                if line_end < 0:
                    line_end = size
            span = (line_start, line_end)
            if line_end - line_start > _WINDOW_BEFORE + _WINDOW_AFTER:
                # NOTE: a minified bundle or a one-line JSON dump is one huge "line": run
                # the rule around the keyword, not over megabytes for each hit.
                span = (max(line_start, end - _WINDOW_BEFORE), min(line_end, end + _WINDOW_AFTER))
            for rule in line_rules:
                rules_by_id[rule.id] = rule
                spans.setdefault(rule.id, set()).add(span)
        found: list[_Match] = []
        for rule in whole.values():
            if rule.id not in spans:  # NOTE: a big text is read around each keyword only
                found.extend(self._run(rule, data, 0, size))
        for rule_id, rule_spans in spans.items():
            rule = rules_by_id[rule_id]
            for start, end in _merged(rule_spans):
                found.extend(self._run(rule, data, start, end))
        return _resolve_overlaps(found)

    def _view_matches(self, view: _View) -> list[_Match]:
        """Matches in an unescaped view, mapped back to offsets of the text as written."""
        out = []
        for m in self.matches(view.data):
            line_start = view.data.rfind(b"\n", 0, m.start) + 1
            variable = m.variable or _variable(view.data, line_start, m.start)
            start, end = view.original(m.start), view.original(m.end)
            out.append(_Match(start, end, m.rule, m.secret, variable, m.extra))
        return out

    def _pair_matches(self, data: bytes) -> list[tuple[_Match, bool]]:
        """Matches in the name/value pairs the embedded extractors find (value's offsets)."""
        from agentauth.engine import embedded

        out = []
        for pair in embedded.pairs(data):
            head = f"{pair.name}=".encode("utf-8", "surrogatepass")
            for m in self.matches(head + pair.value.encode("utf-8", "surrogatepass")):
                if m.start < len(head):
                    continue
                if pair.decoded:
                    start, end = pair.start, pair.end
                else:
                    start, end = pair.start + m.start - len(head), pair.start + m.end - len(head)
                variable = pair.shown or m.variable or pair.name
                out.append((_Match(start, end, m.rule, m.secret, variable, m.extra), pair.decoded))
        return out

    @staticmethod
    def _run(rule: Rule, data: bytes, start: int, end: int) -> list[_Match]:
        out: list[_Match] = []
        group = "secret" if "secret" in rule.pattern.groupindex else 0
        for match in rule.pattern.finditer(data, start, end):
            secret = _decode(match.group(group))
            if rule.entropy is not None and shannon_entropy(secret) < rule.entropy:
                continue
            if rule.validator is not None and not VALIDATORS[rule.validator](secret, match):
                continue
            s, e = match.span(group)
            extra = {
                name[2:]: _decode(value)
                for name, value in match.groupdict().items()
                if name.startswith("x_") and value
            }
            name = match.groupdict().get("name")
            variable = _decode(name) if name else None
            out.append(_Match(s, e, rule, secret, variable, extra))
        return out


def _resolve_overlaps(found: list[_Match]) -> list[_Match]:
    """Keep one match per region: higher priority first, then the longer one."""
    if len(found) <= 1:
        return found
    found.sort(key=lambda m: (-m.rule.priority, m.start - m.end, m.start))
    starts: list[int] = []
    kept: list[_Match] = []
    for m in found:
        i = bisect.bisect_left(starts, m.end)
        if i > 0 and kept[i - 1].end > m.start:
            continue
        starts.insert(i, m.start)
        kept.insert(i, m)
    return kept


_ESCAPE = re.compile(rb"\\([\"\\/nrt'])")
_UNESCAPE = {
    b'"': b'"', b"\\": b"\\", b"/": b"/", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"'": b"'"
}  # fmt: skip


@dataclass(frozen=True)
class _View:
    """Text with string escapes undone, and the map back to the text as written."""

    data: bytes
    new: list[int]
    old: list[int]

    def original(self, offset: int) -> int:
        """Offset in the text as written of ``offset`` in this view."""
        i = bisect.bisect_right(self.new, offset) - 1
        return offset if i < 0 else self.old[i] + offset - self.new[i]


def _unescaped_view(data: bytes) -> _View | None:
    """Undo JSON/Python string escapes when the text holds an escaped quote (else None)."""
    if b'\\"' not in data:
        return None
    parts: list[bytes] = []
    new: list[int] = []
    old: list[int] = []
    pos = size = 0
    for match in _ESCAPE.finditer(data):
        chunk = data[pos : match.start()]
        parts.append(chunk)
        parts.append(_UNESCAPE[match.group(1)])
        size += len(chunk) + 1
        new.append(size)
        old.append(match.end())
        pos = match.end()
    parts.append(data[pos:])
    return _View(b"".join(parts), new, old)


def _overlaps(a: _Match, b: _Match) -> bool:
    return a.start < b.end and b.start < a.end


def _merge(direct: list[_Match], view: list[_Match]) -> list[_Match]:
    """Add the view's matches where the text as written gave none (or an escaped one)."""
    if not view:
        return direct
    kept = list(direct)
    for m in view:
        clash = [d for d in kept if _overlaps(d, m)]
        if any(d.rule.id != m.rule.id or "\\" not in d.secret for d in clash):
            continue
        kept = [d for d in kept if d not in clash]
        kept.append(m)
    kept.sort(key=lambda m: m.start)
    return kept


def _merge_pairs(direct: list[_Match], pairs: list[tuple[_Match, bool]]) -> list[_Match]:
    """A decoded value replaces what matched its encoded form; a plain one adds, or
    replaces a lower-priority match of the same place (``password:`` of a Rails
    ``database.yml`` is the PostgreSQL password, not a generic secret)."""
    if not pairs:
        return direct
    kept = list(direct)
    for m, decoded in pairs:
        clash = [d for d in kept if _overlaps(d, m)]
        if clash and not decoded and any(d.rule.priority >= m.rule.priority for d in clash):
            continue  # NOTE: a pair's engine-specific rule beats the generic one on its line
        kept = [d for d in kept if d not in clash]
        kept.append(m)
    kept.sort(key=lambda m: m.start)
    return kept


_EMBEDDED_MARKERS = (
    "kind: secret", 'variable "', "</", 'value="', "[]byte(",
    "adapter:", "db.backends.", "jdbc:", 'resource "', "db_connection",
)  # fmt: skip
"""Keywords (caseless, in the prefilter's one pass) that make the embedded extractors run."""


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "replace")


def _variable(data: bytes, line_start: int, start: int) -> str | None:
    prefix = data[max(line_start, start - _PREFIX_WINDOW) : start]
    if not prefix:
        return None
    match = _ASSIGNMENT.search(prefix)
    if not match:
        return None
    name = match.group("n1") or match.group("n2") or match.group("n3") or match.group("n4")
    return _decode(name) if name else None


def _marker_lines(data: bytes) -> list[tuple[int, int, bool]] | None:
    """Return (line start, line end, next-line marker) for each line holding a marker."""
    found: list[tuple[int, int, bool]] = []
    for marker in IGNORE_MARKERS + IGNORE_NEXT_LINE_MARKERS:
        pos = data.find(marker)
        while pos >= 0:
            start = data.rfind(b"\n", 0, pos) + 1
            end = data.find(b"\n", pos)
            found.append((start, len(data) if end < 0 else end, marker in IGNORE_NEXT_LINE_MARKERS))
            pos = data.find(marker, pos + len(marker))
    return found or None


def _suppressed(
    data: bytes, markers: list[tuple[int, int, bool]], line_start: int, end: int
) -> bool:
    """True when a marker is on a line the secret touches, or a next-line marker just before."""
    for start, stop, next_line in markers:
        if next_line:
            if stop + 1 == line_start:
                return True
        elif start <= end and stop >= line_start:
            return True
    return False


_DETECTORS: weakref.WeakKeyDictionary[Catalog, Detector] = weakref.WeakKeyDictionary()
_DETECTORS_LOCK = threading.Lock()


def detector_for(catalog: Catalog) -> Detector:
    """Return the detector of ``catalog``, building it on first use (per process)."""
    detector = _DETECTORS.get(catalog)
    if detector is None:
        with _DETECTORS_LOCK:
            detector = _DETECTORS.get(catalog)
            if detector is None:
                detector = _DETECTORS[catalog] = Detector(catalog)
    return detector


def scan_text(
    text: str, catalog: Catalog, *, path: str = "", honour_ignore_comments: bool = True
) -> TextScan:
    """Detect credentials in ``text``; suppressed candidates are returned apart, not dropped.

    ``path`` is accepted for the caller's convenience (and future path-specific rules);
    detection itself does not depend on it, classification does.
    """
    return detector_for(catalog).scan(text, honour_ignore_comments=honour_ignore_comments)


def detect_text(
    text: str, catalog: Catalog, *, path: str = "", honour_ignore_comments: bool = False
) -> list[Candidate]:
    """Return every credential occurrence in ``text`` (1-based line and column), in order.

    Inline ignore comments are not applied unless ``honour_ignore_comments`` is True
    (then the marked ones are left out); use :func:`scan_text` to get them apart.
    """
    scan = scan_text(text, catalog, path=path, honour_ignore_comments=honour_ignore_comments)
    return list(scan.candidates)


def detect_value(variable: str, value: str, catalog: Catalog) -> list[Candidate]:
    """Detect credentials in one name/value pair (process environment, MCP ``env`` blocks).

    The name takes part in detection (``AWS_SECRET_ACCESS_KEY`` makes a 40-character
    value an AWS secret; ``*_TOKEN`` enables the generic rule). Candidates have
    line = column = 0 and ``variable`` set to ``variable``.
    """
    head = f"{variable}=".encode("utf-8", "surrogatepass")
    data = head + value.encode("utf-8", "surrogatepass")
    out: list[Candidate] = []
    for m in detector_for(catalog).matches(data):
        if m.start < len(head):
            continue
        out.append(
            Candidate(
                rule_id=RuleId(m.rule.id),
                secret=Secret(m.secret),
                line=0,
                column=0,
                variable=variable,
                extra=m.extra,
            )
        )
    return out
