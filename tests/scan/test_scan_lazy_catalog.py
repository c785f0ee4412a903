"""The built-in catalog compiles its regexes on first use: each one must still compile."""

from __future__ import annotations

import re

from agentauth.engine.detect import SMALL_TEXT_BYTES, Detector, build_prefilter
from agentauth.engine.rules import load_catalog
from agentauth.engine.rules.samples import expand


def test_every_built_in_regex_compiles_and_matches_like_the_compiled_one() -> None:
    for rule in load_catalog().rules:
        compiled = re.compile(rule.regex.encode())
        assert rule.pattern.groupindex == compiled.groupindex, rule.id
        for index, example in enumerate(rule.positives):
            text = expand(example, f"{rule.id}:{index}").encode()
            lazy = [m.span() for m in rule.pattern.finditer(text)]
            assert lazy == [m.span() for m in compiled.finditer(text)], rule.id


def test_small_texts_give_the_same_hits_without_the_database() -> None:
    catalog = load_catalog()
    detector = Detector(catalog)
    big = build_prefilter(detector.keywords)
    for rule in catalog.rules:
        for index, example in enumerate(rule.positives):
            data = expand(example, f"{rule.id}:{index}").encode()[:SMALL_TEXT_BYTES]
            assert sorted(detector.hits(data)) == sorted(big.hits(data)), rule.id
