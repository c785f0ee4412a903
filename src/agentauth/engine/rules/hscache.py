"""Keep the compiled hyperscan database on disk, so a start does not pay its compilation.

Why: compiling the catalog's keywords and loosened rule regexes into one hyperscan
database takes about a second (several on a loaded machine), longer than a whole
``check --staged``; loading the serialized database (``hyperscan.loadb``) takes well under
a millisecond. The file lives beside the parsed-catalog JSON (:mod:`.tomlcache`), keyed by
the SHA-256 of what it is built from (the catalog's keywords and rule regexes) and of
its builders (the hyperscan version, :data:`agentauth.engine.hsregex.VERSION`), so an
edited catalog, a changed rewrite or an upgraded hyperscan compiles again; the key's
start names the file, so checkouts with different catalogs keep their own. The
payload's own SHA-256 is checked before it is handed to hyperscan (a truncated or
corrupted file is recompiled, never loaded), and a database hyperscan refuses (another
CPU, another version) is compiled afresh. Like the JSON cache it can make a start
faster, never wrong; ``AGENTAUTH_NO_CACHE=1`` bypasses it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path

from agentauth.engine.rules.tomlcache import cache_dir, store

_FORMAT = b"agentauth-hsdb-2"


def _file(folder: Path, key: str) -> Path:
    """One file per key: checkouts with different catalogs do not evict each other's."""
    return folder / f"hyperscan-{key[:16]}.db"


def key_of(parts: Sequence[str], version: str) -> str:
    """Return the cache key: the SHA-256 of what the database is built from and of its builder."""
    digest = hashlib.sha256(_FORMAT + b"\0" + version.encode())
    for part in parts:
        digest.update(b"\0" + part.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


_MAX_BYTES = 256 * 1024 * 1024
"""A compiled database far larger than any catalog makes is not ours: recompile instead."""


def read(key: str) -> tuple[dict[int, int], bytes] | None:
    """Return (rule slot -> overshoot, serialized database) stored under ``key``, or None."""
    folder = cache_dir()
    if folder is None:
        return None
    from agentauth.errors import AgentAuthError
    from agentauth.fsutil import read_bytes

    try:  # NOTE: the safe reader: a FIFO or device in the cache is a miss, never a hang
        raw = read_bytes(_file(folder, key), max_bytes=_MAX_BYTES, what="cache file")
    except (OSError, AgentAuthError):
        return None
    # NOTE: no partition of the whole file: each copy of a database of megabytes is
    # megabytes more of the process's peak memory (an audit's figure is its peak)
    first = raw.find(b"\n")
    second = raw.find(b"\n", first + 1)
    if first < 0 or second < 0:
        return None
    fields = raw[:first].split(b" ")
    if len(fields) != 3 or fields[0] != _FORMAT or fields[1] != key.encode():
        return None
    if hashlib.sha256(memoryview(raw)[first + 1 :]).hexdigest().encode() != fields[2]:
        return None
    slots, payload = raw[first + 1 : second], raw[second + 1 :]
    del raw
    try:
        pairs = [s.partition(b"+") for s in slots.split(b",") if s]
        return {int(slot): int(late or b"0") for slot, _, late in pairs}, payload
    except ValueError:
        return None


def write(key: str, slots: Mapping[int, int], payload: bytes) -> None:
    """Store a serialized database (and its rule slot -> overshoot) under ``key``; failing
    to write is silent."""
    folder = cache_dir()
    if folder is None:
        return
    listed = ",".join(f"{slot}+{late}" if late else str(slot) for slot, late in slots.items())
    body = listed.encode() + b"\n" + payload
    header = b" ".join((_FORMAT, key.encode(), hashlib.sha256(body).hexdigest().encode()))
    store(_file(folder, key), header + b"\n" + body, "hyperscan-*.db")
