"""The prefilter: one pass over a text finds the catalog's keywords, and (with hyperscan) its rules.

Three engines give the same keyword hits, fastest first: hyperscan (SIMD), pyahocorasick
(one automaton pass), ``bytes.find`` per keyword (pure Python, always there).

Hyperscan also runs every rule whose regex :func:`agentauth.engine.hsregex.loosen` can
rewrite, in the same pass, and reports where a match of the loosened regex ends. The
detector then runs a rule's Python regex only on the spans where such a match ends,
instead of on every line holding one of its keywords: on ordinary source most keyword
lines (``token = request.headers...``) hold no credential, and Python never reads them.
The other engines report no rule matches (None), so every rule runs wherever its keyword
occurs, as the loosened regexes promise not to change the result.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, Protocol

ENGINES = ("hyperscan", "ahocorasick", "python")

Hits = list[tuple[int, int]]
"""(end offset, keyword index) of every keyword occurrence, in end order."""
Ends = dict[int, list[int]]
"""Rule slot -> end offsets (ascending) of the matches of its loosened regex."""


class Prefilter(Protocol):
    """Finds every occurrence of the keywords, case-insensitively, in one pass."""

    engine: str

    rule_slots: frozenset[int]
    """Slots of the rules this prefilter runs itself (empty but for hyperscan)."""

    def hits(self, data: bytes) -> Hits:
        """Return (end offset, keyword index) for every occurrence, overlapping ones included."""
        ...

    def scan(self, data: bytes) -> tuple[Hits, Ends | None]:
        """Return the keyword hits and, when this engine runs rules, their match ends."""
        ...


def _hs_literal(keyword: str) -> bytes:
    """A keyword as a hyperscan regex: every byte but letters and digits as ``\\xHH``."""
    return b"".join(
        bytes([b]) if chr(b).isascii() and chr(b).isalnum() else b"\\x%02x" % b
        for b in keyword.encode()
    )


class _HyperscanPrefilter:
    """Keywords (caseless literals) and loosened rule regexes in one hyperscan database."""

    engine = "hyperscan"

    def __init__(
        self,
        keywords: Sequence[str],
        regexes: Sequence[str] = (),
        users: Sequence[Sequence[int]] = (),
    ) -> None:
        import hyperscan

        from agentauth.engine import hsregex
        from agentauth.engine.rules import hscache

        self._hs = hyperscan
        self._keywords = len(keywords)
        version = f"{getattr(hyperscan, '__version__', '?')}/{hsregex.VERSION}"
        users_key = ";".join(",".join(map(str, u)) for u in users)
        key = hscache.key_of([*keywords, "\0", *regexes, "\0", users_key], version)
        self._local = threading.local()
        cached = hscache.read(key)
        db = self._load(cached[1]) if cached is not None else None
        if cached is not None and db is not None:
            slots = cached[0]
        else:
            loosened = [hsregex.loosen(r) for r in regexes]
            patterns = [None if x is None else x.regex for x in loosened]
            overshoot = [0 if x is None else x.overshoot for x in loosened]
            db, runs = self._compile(keywords, patterns, users)
            slots = {slot: overshoot[slot] for slot in runs}
            hscache.write(key, slots, hyperscan.dumpb(db))
        self._db = db
        self.rule_slots = frozenset(slots)
        """The slots of the rules this database runs (the others run wherever a keyword is)."""
        self._late = frozenset(slot for slot, late in slots.items() if late)
        """Slots whose loosened match ends a byte past the Python match (a consumed lookahead)."""

    def _load(self, payload: bytes) -> Any:
        """A cached database, or None when hyperscan refuses it (another CPU or build)."""
        hs = self._hs
        try:
            db = hs.loadb(payload, hs.HS_MODE_BLOCK)
            scratch = hs.Scratch(db)
            db.scan(b"", match_event_handler=lambda *_: None, scratch=scratch)
        except Exception:  # NOTE: any refusal just means compiling afresh
            return None
        self._local.scratch = scratch  # NOTE: this thread's, kept: a scratch is megabytes
        return db

    def _compile(
        self,
        keywords: Sequence[str],
        patterns: Sequence[str | None],
        users: Sequence[Sequence[int]],
    ) -> tuple[Any, list[int]]:
        """Compile the database; return it and the rule slots it runs.

        A keyword is left out when every rule using it runs in the database (the detector
        then looks for it only where its rule matches); a keyword no rule uses (the
        embedded extractors' markers) is always in.
        """
        hs = self._hs
        slots = [slot for slot, p in enumerate(patterns) if p is not None]
        for attempt in range(2):
            run = set(slots)
            wanted = [
                i for i in range(len(keywords))
                if i >= len(users) or not users[i] or not run.issuperset(users[i])
            ]  # fmt: skip
            expressions = [_hs_literal(keywords[i]) for i in wanted]
            expressions += [str(patterns[slot]).encode() for slot in slots]
            ids = [*wanted, *(len(keywords) + slot for slot in slots)]
            flags = [hs.HS_FLAG_CASELESS] * len(wanted) + [0] * len(slots)
            db = hs.Database(mode=hs.HS_MODE_BLOCK)
            try:
                db.compile(expressions=expressions, ids=ids, elements=len(ids), flags=flags)
                return db, slots
            except hs.error:
                if attempt:
                    raise
                # NOTE: a rewrite hyperscan still refuses: drop those rules (they run in
                # Python wherever a keyword is) rather than lose the whole database.
                slots = [slot for slot in slots if _compiles(hs, str(patterns[slot]).encode())]
        raise AssertionError("unreachable")

    def _scratch(self) -> Any:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = self._hs.Scratch(self._db)
        return scratch

    def hits(self, data: bytes) -> Hits:
        """Scan ``data`` once; hyperscan reports matches in end-offset order."""
        return self.scan(data)[0]

    def scan(self, data: bytes) -> tuple[Hits, Ends | None]:
        """One pass: keyword hits, and the match ends of every rule this database runs."""
        hits: Hits = []
        rules: list[tuple[int, int]] = []
        add_hit, add_rule, keywords = hits.append, rules.append, self._keywords

        def on_match(index: int, start: int, end: int, flags: int, context: Any) -> None:
            if index < keywords:
                add_hit((end, index))
            else:
                add_rule((index, end))

        self._db.scan(data, match_event_handler=on_match, scratch=self._scratch())
        ends: Ends = {}
        late, size = self._late, len(data)
        for index, end in rules:
            slot = index - keywords
            found = ends.setdefault(slot, [])
            at: tuple[int, ...] = (end,)
            if slot in late:
                # NOTE: the match consumed the byte after the Python match's end, or it
                # ended with the text; at the text's end the Python match may end at either
                at = (end - 1, end) if end == size else (end - 1,)
            for e in at:
                if not found or found[-1] < e:
                    found.append(e)
        return hits, ends


def _compiles(hs: Any, expression: bytes) -> bool:
    try:
        hs.Database(mode=hs.HS_MODE_BLOCK).compile(expressions=[expression], ids=[0], elements=1)
    except hs.error:
        return False
    return True


class _AhoCorasickPrefilter:
    """pyahocorasick's automaton over the ASCII-lower-cased bytes (as latin-1 text)."""

    engine = "ahocorasick"
    rule_slots: frozenset[int] = frozenset()

    def __init__(self, keywords: Sequence[str]) -> None:
        import ahocorasick

        self._automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
        for index, keyword in enumerate(keywords):
            self._automaton.add_word(keyword, index)
        self._automaton.make_automaton()

    def hits(self, data: bytes) -> Hits:
        """Iterate the automaton; latin-1 keeps one character per byte, so offsets match."""
        text = data.lower().decode("latin-1")
        return [(end + 1, kw) for end, kw in self._automaton.iter(text)]

    def scan(self, data: bytes) -> tuple[Hits, Ends | None]:
        """Keyword hits only: every rule runs wherever its keyword is."""
        return self.hits(data), None


class FindPrefilter:
    """Pure-Python fallback: ``bytes.find`` per keyword over the ASCII-lower-cased bytes."""

    engine = "python"
    rule_slots: frozenset[int] = frozenset()

    def __init__(self, keywords: Sequence[str]) -> None:
        self._keywords = [k.encode() for k in keywords]

    def hits(self, data: bytes) -> Hits:
        """Report every occurrence of every keyword (overlaps included), in end order."""
        lowered = data.lower()
        found: Hits = []
        for index, keyword in enumerate(self._keywords):
            size = len(keyword)
            pos = lowered.find(keyword)
            while pos >= 0:
                found.append((pos + size, index))
                pos = lowered.find(keyword, pos + 1)
        found.sort()
        return found

    def scan(self, data: bytes) -> tuple[Hits, Ends | None]:
        """Keyword hits only: every rule runs wherever its keyword is."""
        return self.hits(data), None


def build_prefilter(
    keywords: Sequence[str],
    engine: str = "auto",
    regexes: Sequence[str] = (),
    users: Sequence[Sequence[int]] = (),
) -> Prefilter:
    """Return the fastest available prefilter, or the named ``engine`` (ImportError if missing).

    ``regexes`` (the rules' Python regexes, one per rule slot) are loosened and compiled
    only by the hyperscan engine; its ``rule_slots`` say which it runs. ``users`` gives,
    per keyword, the slots of the rules using it: hyperscan leaves out the keywords
    whose every rule it runs, so their hits are not reported.
    """
    if engine not in ("auto", *ENGINES):
        raise ValueError(f"unknown prefilter engine {engine!r}; choose auto or one of {ENGINES}")
    candidates = ENGINES if engine == "auto" else (engine,)
    for name in candidates:
        try:
            if name == "hyperscan":
                return _HyperscanPrefilter(keywords, regexes, users)
            if name == "ahocorasick":
                return _AhoCorasickPrefilter(keywords)
        except ImportError:
            if engine != "auto":
                raise
            continue
    return FindPrefilter(keywords)
