"""The parsed-catalog cache: same result as the TOML, never trusted when stale or broken."""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path

import pytest

from agentauth.engine.rules import parse_catalogs, tomlcache

_TEXT = """
[[rules]]
id = "demo-token"
provider = "Demo"
kind = "api-token"
description = "Demo token"
severity = "high"
regex = 'demo_[a-z0-9]{20}'
keywords = ["demo_"]
"""


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("AGENTAUTH_NO_CACHE", raising=False)
    digest = hashlib.sha256(_TEXT.encode()).hexdigest()
    return tomlcache.cache_path(tmp_path / "agentauth" / "catalog", "demo.toml", digest)


def test_cached_data_equals_parsed_toml(cache: Path) -> None:
    first = tomlcache.load_toml(_TEXT, "demo.toml")
    assert cache.is_file()
    assert first == tomllib.loads(_TEXT)
    assert tomlcache.load_toml(_TEXT, "demo.toml") == first


def test_cache_is_used_when_the_text_matches(cache: Path) -> None:
    tomlcache.load_toml(_TEXT, "demo.toml")
    stored = json.loads(cache.read_text(encoding="utf-8"))
    stored["data"]["rules"][0]["description"] = "from the cache"
    cache.write_text(json.dumps(stored), encoding="utf-8")
    assert tomlcache.load_toml(_TEXT, "demo.toml")["rules"][0]["description"] == "from the cache"


def test_changed_text_is_parsed_again(cache: Path) -> None:
    tomlcache.load_toml(_TEXT, "demo.toml")
    edited = _TEXT.replace("Demo token", "Edited token")
    assert tomlcache.load_toml(edited, "demo.toml")["rules"][0]["description"] == "Edited token"


def test_corrupt_cache_falls_back_to_toml(cache: Path) -> None:
    cache.parent.mkdir(parents=True)
    cache.write_text("{not json", encoding="utf-8")
    assert tomlcache.load_toml(_TEXT, "demo.toml") == tomllib.loads(_TEXT)


def test_bad_toml_is_reported_and_not_cached(cache: Path) -> None:
    with pytest.raises(tomllib.TOMLDecodeError):
        tomlcache.load_toml("[[rules]\n", "demo.toml")
    assert not cache.exists()


def test_opt_out_writes_nothing(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTAUTH_NO_CACHE", "1")
    assert tomlcache.load_toml(_TEXT, "demo.toml") == tomllib.loads(_TEXT)
    assert not cache.exists()


def test_cached_catalog_matches_uncached(cache: Path) -> None:
    plain = parse_catalogs([(_TEXT, "demo.toml")])
    parse_catalogs([(_TEXT, "demo.toml")], cached=True)
    again = parse_catalogs([(_TEXT, "demo.toml")], cached=True)
    assert [r.id for r in again] == [r.id for r in plain]
    assert again.rules[0].description == plain.rules[0].description


def test_a_fifo_in_the_cache_is_a_miss_not_a_hang(cache: Path) -> None:
    """The safe reader serves the caches too: a FIFO where a cache file goes is not waited on."""
    import os
    import threading

    from agentauth.engine.rules import hscache

    cache.parent.mkdir(parents=True)
    os.mkfifo(cache)
    os.mkfifo(hscache._file(cache.parent, "k" * 64))
    found: list[object] = []
    worker = threading.Thread(
        target=lambda: found.extend(
            [tomlcache.load_toml(_TEXT, "demo.toml"), hscache.read("k" * 64)]
        ),
        daemon=True,
    )
    worker.start()
    worker.join(10)
    assert found == [tomllib.loads(_TEXT), None], "a cache read hung on a FIFO"
