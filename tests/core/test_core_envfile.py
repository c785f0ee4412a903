"""Lossless env-file reading: every byte kept, values and their exact line and column found."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from agentauth.config import envfile
from agentauth.config.references import is_reference

TEXT = (
    "# comment\n"
    "export A=1\n"
    "\n\n"
    'B="multi\nline" # trailing\r\n'
    "C: colon-style\n"
    "D=${A}x\n"
    "E='q' # c\n"
    "F=op://vault/item/field\n"
    "not a binding\n"
)


def test_concatenated_originals_reproduce_the_file() -> None:
    assert "".join(e.original for e in envfile.parse(TEXT)) == TEXT


def test_lines_columns_and_values() -> None:
    by_key = {e.key: e for e in envfile.parse(TEXT) if e.key}
    assert (by_key["A"].line, by_key["A"].column, by_key["A"].exported) == (2, 10, True)
    assert (by_key["B"].line, by_key["B"].value, by_key["B"].column) == (5, "multi\nline", 4)
    assert (by_key["C"].value, by_key["C"].line) == ("colon-style", 7)
    assert by_key["D"].raw_value == "${A}x" and is_reference(by_key["F"].raw_value or "")
    assert not is_reference(by_key["E"].raw_value or "") and by_key["E"].value == "q"
    errors = [e for e in envfile.parse(TEXT) if e.error]
    assert [e.line for e in errors] == [11]


def test_bom_is_dropped_and_values_keep_their_lines() -> None:
    entries = envfile.parse("\ufeffKEY=value\nOTHER=2\n")
    assert [(e.key, e.line) for e in entries if e.key] == [("KEY", 1), ("OTHER", 2)]


_names = st.from_regex(r"[A-Z][A-Z0-9_]{0,12}", fullmatch=True)
_values = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=30)


@given(st.lists(st.tuples(_names, _values, st.booleans()), max_size=12), st.booleans())
def test_any_file_round_trips_and_every_binding_is_on_its_line(
    pairs: list[tuple[str, str, bool]], crlf: bool
) -> None:
    newline = "\r\n" if crlf else "\n"
    lines = []
    for name, value, blank_before in pairs:
        if blank_before:
            lines.append("")
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        lines.append(f'{name}="{escaped}"')
    text = newline.join(lines) + (newline if lines else "")
    entries = envfile.parse(text)
    assert "".join(e.original for e in entries) == text
    for entry in entries:
        if entry.key is not None:
            assert lines[entry.line - 1].startswith(f"{entry.key}=")
