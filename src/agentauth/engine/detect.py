"""The detector, the scan's hot path: text + catalog -> every credential occurrence, as candidates.

One prefilter pass (:mod:`agentauth.engine.prefilter`) finds where the catalog's keywords
occur; only the rules whose keywords occur run, and a line-scoped rule runs only on the
lines holding its keyword (:mod:`agentauth.engine.spans`). With hyperscan the same pass
runs the rules themselves, loosened (:mod:`agentauth.engine.hsregex`), and a rule's
Python regex runs only on the keyword spans where hyperscan saw it match, which gives
the same candidates while Python reads a few lines of a file. Work happens on the UTF-8
bytes of the text; line and column (1-based, columns in characters, lines split on
``\\n``) are computed only for matches. Pure: no I/O, no provider calls.

Inline ignore comments (:mod:`agentauth.engine.ignorecomments`): :func:`scan_text` applies
them and returns the suppressed candidates apart (so the caller can count them);
:func:`detect_text` returns every occurrence unless asked to honour the markers.
"""

from __future__ import annotations

import re
import threading
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

from agentauth.engine import spans as spanning
from agentauth.engine.ignorecomments import marker_lines, suppressed_at
from agentauth.engine.prefilter import (
    ENGINES,
    Ends,
    FindPrefilter,
    Hits,
    Prefilter,
    build_prefilter,
)
from agentauth.engine.rules import Catalog, Rule
from agentauth.engine.rules.checks import shannon_entropy
from agentauth.engine.rules.validators import VALIDATORS
from agentauth.engine.textviews import (
    Match,
    merge_pairs,
    merge_view,
    resolve_overlaps,
    unescaped_view,
)
from agentauth.model import Candidate, RuleId, Secret

if TYPE_CHECKING:
    from agentauth.engine.embedded import Pair

__all__ = ["ENGINES", "SMALL_TEXT_BYTES", "Detector", "build_prefilter", "detect_text", "scan_text"]

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
"""Texts up to this size are prefiltered with ``bytes.find`` (no database to build)..."""
SMALL_TEXTS_BEFORE_DATABASE = 16
"""... until this many were: then loading the database costs less than ``bytes.find`` of
every keyword over every further small file (a tree of many small files)."""


@dataclass(frozen=True)
class TextScan:
    """Detection result for one text: reported candidates and those an ignore comment hid."""

    candidates: tuple[Candidate, ...]
    suppressed: tuple[Candidate, ...] = ()


_EMPTY = TextScan(())


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
        for marker in (*_EMBEDDED_MARKERS, _ESCAPED_QUOTE):
            if marker not in position:
                position[marker] = len(keywords)
                keywords.append(marker)
                line_rules.append([])
                text_rules.append([])
        self._markers = frozenset(position[m] for m in _EMBEDDED_MARKERS)
        self._escaped_quote = position[_ESCAPED_QUOTE]
        self.keywords = tuple(keywords)
        self._line_rules = tuple(tuple(r) for r in line_rules)
        self._text_rules = tuple(tuple(r) for r in text_rules)
        self._rule_keywords = tuple(tuple(k.encode() for k in r.keywords) for r in catalog.rules)
        self._engine = engine
        self._prefilter: Prefilter | None = None
        self._gated: frozenset[str] = frozenset()
        """Ids of the rules the prefilter runs itself: skipped where no match of theirs ends."""
        # NOTE: even loading the hyperscan database costs more than `check --staged` of a
        # small change needs: bytes.find over a few KiB gives the same keyword hits.
        self._small = FindPrefilter(self.keywords) if engine == "auto" else None
        self._small_texts = 0

    @property
    def prefilter(self) -> Prefilter:
        """The prefilter for large texts, built on first use (the fastest engine available)."""
        if self._prefilter is None:
            regexes = [rule.regex for rule in self.catalog.rules]
            index = {keyword: i for i, keyword in enumerate(self.keywords)}
            users: list[list[int]] = [[] for _ in self.keywords]
            for slot, rule in enumerate(self.catalog.rules):
                for keyword in rule.keywords:
                    users[index[keyword]].append(slot)
            for marker in (*self._markers, self._escaped_quote):
                users[marker] = []  # NOTE: always reported, also when a gated rule shares it
            prefilter = build_prefilter(self.keywords, self._engine, regexes, users)
            slots = prefilter.rule_slots
            self._gated = frozenset(r.id for i, r in enumerate(self.catalog.rules) if i in slots)
            self._prefilter = prefilter
        return self._prefilter

    def hits(self, data: bytes) -> Hits:
        """Keyword hits in ``data``: plain ``bytes.find`` for a small text, else the prefilter."""
        if self._small is not None and len(data) <= SMALL_TEXT_BYTES:
            return self._small.hits(data)
        return self.prefilter.hits(data)

    def _prefiltered(self, data: bytes) -> tuple[Hits, Ends | None]:
        """Keyword hits and rule match ends: the database once built or worth it, else find."""
        if self._prefilter is None and self._small is not None and len(data) <= SMALL_TEXT_BYTES:
            self._small_texts += 1
            if self._small_texts <= SMALL_TEXTS_BEFORE_DATABASE:
                return self._small.hits(data), None
        return self.prefilter.scan(data)

    def scan(self, text: str | bytes, *, honour_ignore_comments: bool = True) -> TextScan:
        """Return every credential occurrence in ``text``, split into reported and suppressed.

        ``text`` is a str, or its UTF-8 bytes (what :func:`agentauth.engine.filekinds.utf8`
        gives: a file's bytes as they are when they already are UTF-8, saving a copy).

        Besides the text as written, two views are read: the text with its string escapes
        undone when it holds ``\\"`` (a notebook cell, JSON inside a JSON string), and the
        name/value pairs of :mod:`agentauth.engine.embedded` (base64 Kubernetes Secret data,
        Terraform variable defaults, XML elements, Go byte slices).
        """
        data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
        hits, ends = self._prefiltered(data)
        matches = self._matches(data, hits, ends)
        found = {kw for _, kw in hits}
        # NOTE: the prefilter's pass already said whether (and where) the text holds an
        # escaped quote; only those parts are read again (the files of a history buffer)
        if self._escaped_quote in found:
            quoted = [end for end, kw in hits if kw == self._escaped_quote]
            matches = merge_view(matches, self._view_matches(data, quoted))
        if not self._markers.isdisjoint(found):
            marked = [end for end, kw in hits if kw in self._markers]
            matches = merge_pairs(matches, self._pair_matches(data, marked))
        if not matches:
            return _EMPTY
        markers = marker_lines(data) if honour_ignore_comments else None
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
            if markers and suppressed_at(markers, line_start, m.end):
                suppressed.append(candidate)
            else:
                reported.append(candidate)
        return TextScan(tuple(reported), tuple(suppressed))

    def matches(self, data: bytes) -> list[Match]:
        """Run the triggered rules and resolve overlaps; return matches in text order."""
        return self._matches(data, *self._prefiltered(data))

    def _matches(self, data: bytes, hits: Hits, ends: Ends | None = None) -> list[Match]:
        gated = self._gated if ends is not None else frozenset()
        if not hits and not ends:
            return []
        rule_spans, rules = spanning.keyword_spans(
            data, hits, self._line_rules, self._text_rules, gated
        )
        found: list[Match] = []
        size = len(data)
        for rule_id, rule in rules.items():
            if rule.scope == "text" and rule_id not in rule_spans:
                found.extend(self._run(rule, data, 0, size))  # NOTE: a big text has spans
                continue
            for start, end in spanning.merged(rule_spans[rule_id]):
                found.extend(self._run(rule, data, start, end))
        lowered = spanning.Lowered(data)
        for slot, rule_ends in (ends or {}).items():
            rule = self.catalog.rules[slot]
            if rule.id not in gated:
                continue
            keywords = self._rule_keywords[slot]
            windows = spanning.gated_spans(data, rule, rule_ends, keywords, lowered)
            for start, end in [(0, size)] if windows is None else windows:
                found.extend(self._run(rule, data, start, end))
        return resolve_overlaps(found)

    def _view_matches(self, data: bytes, quoted: list[int]) -> list[Match]:
        """Matches in the unescaped view of each part holding an escaped quote, mapped back
        to offsets of the text as written."""
        from agentauth.engine.embedded import segments_around

        out = []
        for base, stop in segments_around(data, quoted):
            view = unescaped_view(data[base:stop])
            if view is None:
                continue
            for m in self.matches(view.data):
                line_start = view.data.rfind(b"\n", 0, m.start) + 1
                variable = m.variable or _variable(view.data, line_start, m.start)
                start, end = base + view.original(m.start), base + view.original(m.end)
                out.append(Match(start, end, m.rule, m.secret, variable, m.extra))
        return out

    def _pair_matches(self, data: bytes, marked: list[int]) -> list[tuple[Match, bool]]:
        """Matches in the name/value pairs the embedded extractors find (value's offsets),
        in the parts of the text (its files, in a history buffer) holding a marker."""
        from agentauth.engine import embedded

        out = []
        for base, stop in embedded.segments_around(data, marked):
            out += self._pairs_in(embedded.pairs(data[base:stop]), base)
        return out

    def _pairs_in(self, pairs: list[Pair], base: int) -> list[tuple[Match, bool]]:
        """The rules' matches in ``pairs`` of the part starting at offset ``base``."""
        out = []
        for pair in pairs:
            head = f"{pair.name}=".encode("utf-8", "surrogatepass")
            for m in self.matches(head + pair.value.encode("utf-8", "surrogatepass")):
                if m.start < len(head):
                    continue
                if pair.decoded:
                    start, end = base + pair.start, base + pair.end
                else:
                    start = base + pair.start + m.start - len(head)
                    end = base + pair.start + m.end - len(head)
                variable = pair.shown or m.variable or pair.name
                out.append((Match(start, end, m.rule, m.secret, variable, m.extra), pair.decoded))
        return out

    @staticmethod
    def _run(rule: Rule, data: bytes, start: int, end: int) -> list[Match]:
        out: list[Match] = []
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
            out.append(Match(s, e, rule, secret, variable, extra))
        return out


_EMBEDDED_MARKERS = (
    "kind: secret", 'variable "', "</", 'value="', "[]byte(",
    "adapter:", "db.backends.", "jdbc:", 'resource "', "db_connection", "define(",
)  # fmt: skip
"""Keywords (caseless, in the prefilter's one pass) that make the embedded extractors run."""
_ESCAPED_QUOTE = '\\"'
"""A keyword of its own: a text holding it is also read with its string escapes undone."""


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
    text: str | bytes, catalog: Catalog, *, path: str = "", honour_ignore_comments: bool = True
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
