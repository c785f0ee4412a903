"""Recognise values that are not credentials: placeholders, references, documentation examples.

A match whose value is ``sk_live_xxxx…``, ``<your-key>``, ``${VAR}``, ``changeme`` or an
AWS documentation key is dropped before it is a finding, so it never fails CI.
"""

from __future__ import annotations

import re

# A reference is well-formed: ``${VAR}``, ``${VAR:-x}``, ``$(cmd)``, ``{{ x }}``, ``%(name)s``,
# ``#{x}``, ``%{x}``; a ``${`` or ``}}`` among random characters (``m{{h}o)p${e]n...}}``) is
# a password with symbols, not a template.
_REFERENCE = re.compile(
    r"\$\{\{[^{}]*\}\}|\$\{[A-Za-z_][A-Za-z0-9_.\-]*(?:[:?+=\-][^{}]*)?\}|\$\([^()]*\)|"
    r"\{\{[^{}]*\}\}|%\([A-Za-z_]\w*\)|#\{[^{}]*\}|<%|%\{[^{}]*\}|@@|^@[A-Za-z_][A-Za-z0-9_]*@$|(?:^|[^A-Za-z0-9$])\$[A-Za-z_][A-Za-z0-9_]*$|^\$[A-Za-z_]"
    r"|os\.environ|os\.getenv|process\.env|getenv\(|ENV\[|secrets\.|env\(|"
    r"^(?:op|vault|keyring|agentauth-keyring|encrypted|se|pass|awssm|gcpsm|azkv|sops):"
)
_MARKERS = re.compile(
    r"your[_\-. ]|<[^>]*>|\[[^\]]*\]|placeholder|change[_\-.]?me|replace[_\-.]?(?:me|with)|"
    r"redacted|dummy|example|sample|x{6,}|\*\*\*|\.\.\.|…|insert[_\-.]|put[_\-.]?your|"
    r"enter[_\-.]?your|not[_\-.]?a[_\-.]?real|"
    r"(?<![A-Za-z0-9])(?:todo|fixme|fake|test[_\-.]?key|my[_\-.]?key)(?![A-Za-z0-9])"
    r"|^\{[A-Za-z_][A-Za-z0-9_\-]*\}$|^\{\d*\}$|^%(?:\([A-Za-z_]\w*\))?[sdr]$",
    re.IGNORECASE,
)
# Made-up bodies people type into examples: ``sk-1234567890abcdef``, ``abc123xyz``. A
# random token holds a run of six consecutive characters with odds of about 1 in 10^8.
_TYPED = re.compile(r"abc123|123abc|xyz123|qwerty|asdfgh|zxcvbn|(?:abc|123)xyz", re.IGNORECASE)
_SEQUENCE_RUN = 6
# A block of 2-8 characters repeated four times or more (``GFPYYSJZGFPYYSJZ...``, ``abababab``):
# a random 40-character token holds one with odds below 1 in 10^9.
_PERIODIC = re.compile(r"(.{2,8}?)\1{3,}")
_INTERLEAVED_PAIRS = 4
# A chunk typed three times over (``abcd1234abcd1234abcd1234``, ``GR1348941123123123123``): a
# random body repeats a 3-character chunk three times running with odds under 1 in 10^5.
_REPEATED = re.compile(r"(.{3,8})\1\1", re.IGNORECASE)
_RUN = re.compile(r"(.)\1{7,}")
_AWS_EXAMPLE = re.compile(r"EXAMPLE(?:KEY)?$|EXAMPLEKEY")

WEAK_PASSWORDS = frozenset(
    {
        "password", "pass", "passwd", "pwd", "postgres", "postgresql", "mysql", "mariadb",
        "root", "secret", "example", "changeme", "admin", "redis", "mongo", "mongodb", "test",
        "testing", "dev", "development", "local", "sample", "default", "guest", "user",
        "1234", "12345", "123456", "qwerty", "letmein", "passw0rd", "p@ssw0rd", "p@ssword",
        "pa55word", "pa$$word", "s3cret", "s3cr3t",
    }
)  # fmt: skip
"""Passwords that mark a URL as a local or documentation setup, never a production one."""


def is_reference(value: str) -> bool:
    """True when ``value`` points at a secret held elsewhere (``${VAR}``, ``op://``, env reads)."""
    return bool(_REFERENCE.search(value))


def is_placeholder(value: str, *, typed_runs: bool = True) -> bool:
    """True for documentation placeholders and template references instead of real values.

    Recognises references (``${VAR}``, ``$VAR``, ``{{ x }}``, ``process.env.X``),
    marker words (``your_api_key_here``, ``REPLACE_ME``, ``<token>``, ``...``,
    ``example``), runs of 8+ identical characters (``sk_live_xxxxxxxx``, ``0000…``),
    ``{password}``, ``{}`` and ``%s`` templates and the AWS ``…EXAMPLE`` convention;
    with ``typed_runs`` (the default) also made-up bodies: alphabet, digit and keyboard runs
    (``sk-1234567890abcdef``, ``abc123xyz``). A symbol or a keyboard run among random
    characters (``Xk7#mQ2!pL9z$%^&*``) is not a placeholder.
    """
    if not value.strip():
        return True
    if is_reference(value) or _MARKERS.search(value) or _RUN.search(value):
        return True
    if _AWS_EXAMPLE.search(value):
        return True
    return typed_runs and is_typed(value)


def is_typed(value: str) -> bool:
    """True when ``value`` holds a run a person types, not one a generator makes.

    Six consecutive letters or digits in order, up or down (``abcdef``, ``345678``,
    ``ZYXWVU``), a keyboard row (``qwerty``) or ``abc123``, two counting runs woven
    together (``a1b2c3d4``), a short block repeated four times (``GFPYYSJZGFPYYSJZ...``)
    or a 3-8 character chunk typed three times, in any case (``abcd1234abcd1234ABCD1234``).
    """
    if _TYPED.search(value) or _PERIODIC.search(value) or _REPEATED.search(value):
        return True
    if _interleaved(value):
        return True
    run, previous, step = 1, -10, 0
    for char in value:
        code = ord(char.lower()) if char.isalnum() and char.isascii() else -10
        delta = code - previous
        if code >= 0 and delta in (1, -1) and (run == 1 or delta == step):
            run, step = run + 1, delta
            if run >= _SEQUENCE_RUN:
                return True
        else:
            run, step = 1, 0
        previous = code
    return False


def _step(a: str, b: str) -> bool:
    """True when ``b`` follows ``a`` as a person counts: ``a``→``b``, ``1``→``2``, ``9``→``0``."""
    if a.isdigit() and b.isdigit():
        return (int(b) - int(a)) % 10 == 1
    return a.isascii() and b.isascii() and a.isalpha() and ord(b.lower()) - ord(a.lower()) == 1


def _interleaved(value: str) -> bool:
    """True for two counting runs woven together: ``a1b2c3d4``, ``1a2b3c4d``, ``A1B2C3D4E5``."""
    need = 2 * _INTERLEAVED_PAIRS - 2  # NOTE: each char counts on from the one two before
    run = 0
    for a, b in zip(value, value[2:], strict=False):  # one pass, whatever the length
        run = run + 1 if _step(a, b) else 0
        if run >= need:
            return True
    return False


def is_masked(value: str) -> bool:
    """True for a value that is visibly masked or empty (``***``, ``xxx``, ``…``)."""
    stripped = value.strip()
    return not stripped or bool(re.fullmatch(r"[*x•.…#-]+|(.)\1{2,}", stripped, re.IGNORECASE))
