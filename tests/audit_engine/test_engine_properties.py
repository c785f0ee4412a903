"""Property tests: the detector never raises, and finds embedded keys at the right place."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentauth.engine.detect import detect_text, scan_text
from agentauth.engine.rules import load_catalog
from agentauth.engine.rules.checks import BASE62, base62_checksum

CATALOG = load_catalog()
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

awkward_text = st.lists(
    st.one_of(
        st.text(alphabet=st.characters(codec="utf-8"), max_size=20),
        st.sampled_from(["\x00", "\r\n", "\ufeff", "\n", "=", '"', "'", ":", "sk_live_", "ghp_"]),
        st.sampled_from(["token=", "postgres://", "-----BEGIN RSA PRIVATE KEY-----", "eyJ"]),
        st.sampled_from(["agentauth:ignore", "AKIA", "password: ", "\\n", "@", "`", "\ud800"]),
    ),
    max_size=60,
).map("".join)
# Surrounding text that cannot glue onto a key: no alphanumerics or "_-/+=." next to it.
filler = st.lists(st.sampled_from([*" \t\n\r,;()[]{}<>!?#é€中\x00", "\r\n"]), max_size=60).map(
    "".join
)


@st.composite
def github_keys(draw: st.DrawFn) -> str:
    body = draw(st.text(alphabet=BASE62, min_size=30, max_size=30))
    prefix = draw(st.sampled_from(["ghp", "gho", "ghu", "ghs", "ghr"]))
    return f"{prefix}_{body}{base62_checksum(body)}"


@st.composite
def stripe_keys(draw: st.DrawFn) -> str:
    body = draw(st.text(alphabet=string.ascii_letters + string.digits, min_size=24, max_size=99))
    kind = draw(st.sampled_from(["sk", "rk", "pk"]))
    return f"{kind}_{draw(st.sampled_from(['live', 'test']))}_{body}"


keys = st.one_of(github_keys(), stripe_keys())


@SETTINGS
@given(awkward_text)
def test_detector_never_raises(text: str) -> None:
    scan = scan_text(text, CATALOG)
    for candidate in scan.candidates + scan.suppressed:
        assert candidate.line >= 1 and candidate.column >= 1
        assert candidate.secret.reveal()


@SETTINGS
@given(before=filler, key=keys, after=filler)
def test_embedded_key_is_found_at_its_line_and_column(before: str, key: str, after: str) -> None:
    text = before + key + after
    position = len(before)
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    found = [(c.secret.reveal(), c.line, c.column) for c in detect_text(text, CATALOG)]
    assert (key, line, column) in found


env_names = st.from_regex(r"[A-Z][A-Z0-9_]{0,20}", fullmatch=True)


@SETTINGS
@given(st.lists(st.tuples(env_names, keys), min_size=1, max_size=12), st.booleans())
def test_env_file_of_random_entries_finds_every_line(
    entries: list[tuple[str, str]], crlf: bool
) -> None:
    newline = "\r\n" if crlf else "\n"
    lines = ["# generated", *(f"{name}={key}" for name, key in entries)]
    text = newline.join(lines) + newline
    found = {(c.line, c.secret.reveal(), c.variable) for c in detect_text(text, CATALOG)}
    for index, (name, key) in enumerate(entries, start=2):
        assert (index, key, name) in found
