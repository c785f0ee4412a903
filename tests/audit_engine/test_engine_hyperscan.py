"""Rules compiled into hyperscan: the loosened regexes, the cached database, same findings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from agentauth.engine.detect import Detector
from agentauth.engine.hsregex import Loosened, loosen
from agentauth.engine.prefilter import build_prefilter
from agentauth.engine.rules import Catalog, hscache
from agentauth.engine.rules.samples import expand

hyperscan = pytest.importorskip("hyperscan")


@pytest.mark.parametrize(
    ("regex", "loose"),
    [
        (
            r"^\bkey\s*=\s*(?P<v>[a-z]{,5}x)$",
            r"key[\t\n\x0b\x0c\r ]*=[\t\n\x0b\x0c\r ]*[a-z]{0,5}x",
        ),
        (r"(?i)[A-Za-z_]{0,40}?token=(?P<s>[\s\S]{8,256})", r"(?i)token=[\x00-\xff]{8}"),
        (r"(?:a|b)(?=c)d+", "(?:a|b)d"),
        (r"ab(?!cd)", "ab"),
        (r"(?:ab|cd)(?![a-z])|ef", "(?:ab|cd)|ef"),
    ],
)
def test_loosen_drops_assertions_and_trims_what_does_not_fix_the_end(
    regex: str, loose: str
) -> None:
    assert loosen(regex) == Loosened(loose, overshoot=0)


@pytest.mark.parametrize(
    ("regex", "loose"),
    [
        (
            r"(?<![A-Za-z0-9])(?P<secret>ghp_[A-Za-z0-9]{36})(?![A-Za-z0-9])",
            r"ghp_[A-Za-z0-9]{32,}(?:[^A-Za-z0-9]|\z)",
        ),
        (
            r"(?i)pwd=(?P<s>[^\s;]{8,256})(?=[\s;]|\Z)",
            r"(?i)pwd=(?:[^\t\n\x0b\x0c\r ;]{8,})(?:[\t\n\x0b\x0c\r ;]|\z)",
        ),
        (r"x=[a-z]{8,}(?=[;,])", "x=[a-z]{8,}[;,]"),
        (r"x=[a-z]{8,}(?=[;]|$)", r"x=[a-z]{8,}(?:[;]|\n|\z)"),
        (r"[a-z]{0,40}?token=[a-z]{8,}(?![^a-z])", r"token=[a-z]{8,}(?:[a-z]|\z)"),
    ],
)
def test_a_closing_lookahead_is_kept_as_a_byte_it_consumes(regex: str, loose: str) -> None:
    """The value's whole run must be followed by what the lookahead allows, so a line such
    as ``password_hash = hash_password(form)`` (a value followed by ``(``) sends nothing to
    Python; the match ends one byte late (or at the text's end)."""
    assert loosen(regex) == Loosened(loose, overshoot=1)


def test_a_consumed_lookahead_ends_at_the_python_end() -> None:
    """The prefilter moves a consumed lookahead's ends back: they are the Python ends."""
    regex = r"token=(?P<s>[a-z]{8,})(?![a-z0-9])"
    prefilter = build_prefilter(["token"], "hyperscan", [regex], [[0]])
    for data in (b"token=abcdefghij;", b"x token=abcdefghij", b"token=abcdefghij\n"):
        python_end = re.search(regex.encode(), data).end()  # type: ignore[union-attr]
        assert python_end in prefilter.scan(data)[1][0]
    assert prefilter.scan(b"token=abcdefghij0x")[1] == {}


def test_lines_whose_value_is_a_call_send_the_generic_rules_nothing(catalog: Catalog) -> None:
    """Why the closing lookahead is kept: source is full of secret-named assignments whose
    value is a call, and none of them reaches Python's regex any more."""
    detector = Detector(catalog, engine="hyperscan")
    lines = [
        "    password_hash = hash_password(form.password.data)",
        "    credentials = load_credentials(path=CREDENTIALS_FILE)",
        '    token = request.headers.get("Authorization", "").removeprefix("Bearer ")',
    ]
    data = ("\n".join(lines * 50) + "\n").encode()
    ends = detector.prefilter.scan(data)[1] or {}
    generic = [slot for slot, rule in enumerate(catalog.rules) if rule.id.startswith("generic-")]
    assert generic
    assert not [slot for slot in generic if ends.get(slot)]


@pytest.mark.parametrize("regex", [r"(a)x\1", r"(?P<a>a)(?P=a)", r"a*+b", r"(?>ab)c", r"\b?a"])
def test_loosen_refuses_what_has_no_looser_form(regex: str) -> None:
    assert loosen(regex) is None


def test_every_built_in_rule_runs_in_the_database(catalog: Catalog) -> None:
    detector = Detector(catalog, engine="hyperscan")
    assert detector.prefilter.rule_slots == frozenset(range(len(catalog.rules)))


def test_a_loosened_match_ends_inside_every_python_match(catalog: Catalog) -> None:
    """The property the detector relies on to skip a rule, checked on every positive."""
    detector = Detector(catalog, engine="hyperscan")
    prefilter = detector.prefilter
    checked = 0
    for slot, rule in enumerate(catalog.rules):
        pattern = re.compile(rule.regex.encode())
        for index, example in enumerate(rule.positives):
            data = expand(example, f"{rule.id}:{index}").encode()
            _, ends = prefilter.scan(data)
            assert ends is not None
            for match in pattern.finditer(data):
                start, end = match.span()
                assert any(start < e <= end for e in ends.get(slot, [])), (rule.id, index)
                checked += 1
    assert checked > len(catalog.rules)


def _contexts(catalog: Catalog) -> list[str]:
    """Each example past the small-text size, then 20 at a time in a big text and a long line."""
    filler = "x = compute(token, secret_name)  # the password is read from the vault\n"
    examples = [
        expand(example, f"{rule.id}:{i}")
        for rule in catalog.rules
        for i, example in enumerate(rule.positives + rule.negatives)
    ]
    # NOTE: each example alone too: a keyword one example needs (an extractor's marker)
    # may be brought by a neighbour in a batch.
    out = ["x = 1\n" * 400 + example for example in examples]
    for at in range(0, len(examples), 20):
        batch = examples[at : at + 20]
        out.append(filler * 60 + ("\n" + filler * 3).join(batch) + "\n" + filler * 60)
        out.append(" a=1 ".join(e.replace("\n", " ") for e in batch) + " b" * 6000)
    return out


def test_hyperscan_and_python_find_the_same_in_every_context(catalog: Catalog) -> None:
    fast, slow = Detector(catalog, engine="hyperscan"), Detector(catalog, engine="python")
    found = 0
    for text in _contexts(catalog):
        a, b = fast.scan(text), slow.scan(text)
        expected = [
            (c.rule_id, c.line, c.column, c.secret.reveal(), c.variable) for c in b.candidates
        ]
        assert [
            (c.rule_id, c.line, c.column, c.secret.reveal(), c.variable) for c in a.candidates
        ] == expected
        assert len(a.suppressed) == len(b.suppressed)
        found += len(expected)
    assert found > 400


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("AGENTAUTH_NO_CACHE", raising=False)
    return tmp_path / "agentauth" / "catalog"


_KEYWORDS = ["ghp_", "token"]
_REGEXES = [r"(?<![A-Za-z0-9])ghp_[A-Za-z0-9]{36}", r"token=(?P<s>[a-z]{8,})"]
_DATA = b"x ghp_" + b"a" * 36 + b" token=abcdefghij TOKEN"


def test_the_database_is_cached_and_loaded_not_recompiled(cache: Path) -> None:
    first = build_prefilter(_KEYWORDS, "hyperscan", _REGEXES)
    (stored,) = cache.glob("hyperscan-*.db")
    stamp = stored.stat().st_mtime_ns
    second = build_prefilter(_KEYWORDS, "hyperscan", _REGEXES)
    assert stored.stat().st_mtime_ns == stamp
    assert second.scan(_DATA) == first.scan(_DATA)
    assert first.scan(_DATA) == ([(6, 0), (48, 1), (65, 1)], {0: [38], 1: [57]})


def test_a_corrupt_or_foreign_cache_is_compiled_again(cache: Path) -> None:
    expected = build_prefilter(_KEYWORDS, "hyperscan", _REGEXES).scan(_DATA)
    (stored,) = cache.glob("hyperscan-*.db")
    good = stored.read_bytes()
    corrupt = good[:-10] + b"0123456789"
    stored.write_bytes(corrupt)
    assert build_prefilter(_KEYWORDS, "hyperscan", _REGEXES).scan(_DATA) == expected
    assert stored.read_bytes() not in (corrupt, b"")
    other = build_prefilter(["other"], "hyperscan", [r"other[0-9]{4}"])
    assert other.scan(_DATA) == ([], {})
    assert len(list(cache.glob("hyperscan-*.db"))) == 2


def test_opting_out_writes_no_database(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTAUTH_NO_CACHE", "1")
    build_prefilter(_KEYWORDS, "hyperscan", _REGEXES)
    assert not cache.exists()
    assert hscache.read(hscache.key_of(_KEYWORDS, "x")) is None
