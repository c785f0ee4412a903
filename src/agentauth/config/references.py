"""References: values in an env file that point at a secret held elsewhere, and their resolver.

One spelling, one rule, one resolver (twine's idea: one credential resolver with a
documented precedence, instead of every command looking in its own places).

**Is it a reference?** The whole value (after trimming) is one of ``${VAR}``,
``$VAR``, ``agentauth-keyring:NAME``, ``keyring:NAME``, ``op://...``, ``vault:...``,
``encrypted:...``, ``se://...`` or ``pass://...``. A reference is never itself a
credential (nothing to leak), and ``lock`` never moves one.

**What agentauth resolves, in this order, for each variable of an env file:**

1. ``agentauth-keyring:NAME`` (written by ``agentauth lock``): the value stored
   under NAME in the secret store the command was given, else the OS keyring
   (:func:`agentauth.state.secretstore.default_store`). A missing entry is an error
   naming the file and line, never an empty value.
2. ``${VAR}`` / ``$VAR``: python-dotenv's interpolation, from earlier lines of the
   same file and then the process environment (the value as loaded).
3. Everything else (``op://``, ``vault:``...) is left as written: agentauth does not
   call other secret managers; run them yourself (``op run -- agentauth ...``).

The store is consulted only when a file holds an ``agentauth-keyring:`` reference, so
projects that never ran ``lock`` never touch the keyring.
"""

from __future__ import annotations

import re
from pathlib import Path

from agentauth.config import envfile
from agentauth.errors import ConfigError
from agentauth.secret import Secret
from agentauth.state.secretstore import SecretStore, default_store

KEYRING_PREFIX = "agentauth-keyring:"
"""The reference ``agentauth lock`` writes; the rest of the value is the store entry's name."""
_STARTS = ("$", "op://", "encrypted:", "vault:", "keyring:", KEYRING_PREFIX, "se://", "pass://")
_REFERENCE_PATTERN = (
    r"^(?:\$\{[^}]+\}|\$[A-Za-z_][A-Za-z0-9_]*|op://\S+|encrypted:\S+|vault:\S+|"
    r"keyring:\S+|agentauth-keyring:\S+|se://\S+|pass://\S+)$"
)
_compiled: list[re.Pattern[str]] = []


def is_reference(value: str) -> bool:
    """True when ``value`` points at a secret stored elsewhere instead of holding one."""
    text = value.strip()
    if not text.lower().startswith(_STARTS):
        return False
    # NOTE: compiled on first use: `run` imports this module on its start-up path.
    if not _compiled:
        _compiled.append(re.compile(_REFERENCE_PATTERN, re.IGNORECASE))
    return bool(_compiled[0].match(text))


def keyring_entry(value: str) -> str | None:
    """Return the store entry an ``agentauth-keyring:`` reference names, else None."""
    text = value.strip()
    if text.startswith(KEYRING_PREFIX) and len(text) > len(KEYRING_PREFIX):
        return text[len(KEYRING_PREFIX) :]
    return None


def resolve(value: str, where: str, store: SecretStore | None = None) -> Secret:
    """Return the secret an ``agentauth-keyring:`` reference points at; ConfigError if missing."""
    name = keyring_entry(value)
    if name is None:
        raise ConfigError(
            f"{where}: expected a reference like agentauth-keyring:<name>; secret values never "
            "go on the command line"
        )
    secret = default_store(store).get(name)
    if secret is None:
        raise ConfigError(
            f"{where}: points at keyring entry {name!r}, which is missing; restore it with "
            "`agentauth lock`, or put the value back in the file"
        )
    return secret


def read_env(
    path: Path, store: SecretStore | None = None, *, label: str | None = None
) -> dict[str, Secret]:
    """Read an env file into name -> Secret with every reference resolved as documented above.

    The one reader ``provision``, ``init`` and ``run --human`` share; ``label`` names
    the file in messages (the policy's ``source:`` spelling).
    """
    shown = label or path.name
    result: dict[str, Secret] = {}
    for entry in envfile.parse(envfile.read_text(path)):
        if entry.key is None or entry.value is None:
            continue
        raw = entry.raw_value if entry.raw_value is not None else entry.value
        if keyring_entry(raw) is not None:
            store = default_store(store)
            result[entry.key] = resolve(raw, f"{shown}:{entry.line}: {entry.key}", store)
        else:
            result[entry.key] = Secret(entry.value)
    return result
