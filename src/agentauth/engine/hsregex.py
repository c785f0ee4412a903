"""Rewrite a rule's Python regex into a looser one hyperscan can compile, or say it cannot.

Why: hyperscan runs every rule of the catalog in one SIMD pass, but it knows no
lookaround, back-reference, named group or possessive quantifier. The rewrite drops
every zero-width assertion (lookarounds, ``^``, ``$``, ``\\b``, ``\\B``, ``\\A``,
``\\Z``) and turns groups into plain non-capturing ones. Dropping an assertion only
widens what matches, so every substring the Python regex matches is matched by the
rewrite, over the same bytes: where hyperscan reports nothing, Python would find
nothing, and the detector skips the rule there (it still runs the Python regex wherever
hyperscan reports a match, so findings do not change). Constructs with no looser
equivalent (back-references, atomic groups, possessive quantifiers, conditionals) make
:func:`loosen` return None and the rule runs in Python as before.

One assertion is kept, made to consume a byte: a lookahead closing the whole regex
(``(?![A-Za-z0-9])``, ``(?=[\\s"';,]|\\Z)``) becomes a class of the byte that may follow
or the end of the text (``(?:[^A-Za-z0-9]|\\z)``). Without it a loosened match ends
wherever the value's first few bytes are, and every line such as ``password_hash =
hash_password(form)`` (a value followed by ``(``) sent the generic rules to Python, which
refused it; with it hyperscan refuses it. Such a match ends one byte past the Python
match's end (or at it, at the end of the text): :attr:`Loosened.overshoot` says so, and
the prefilter moves the reported ends back by it.

``\\s`` is spelled out as Python's byte class (space, ``\\t\\n\\v\\f\\r``) so that both
engines agree on vertical tab; ``{,n}`` (Python's "0 to n") becomes ``{0,n}``.
"""

from __future__ import annotations

from dataclasses import dataclass

_SPACE = r"\t\n\x0b\x0c\r "
_DROPPED_ESCAPES = frozenset("bBAZ")
_ANY_BYTE = r"[\x00-\xff]"
_LOOKAHEAD = "\0"
"""Marks a lookahead item while parsing: dropped, unless it closes the whole regex."""
VERSION = 2
"""Bumped whenever the rewrite changes, so cached databases are compiled again."""
REPEAT_LIMIT = 32
"""Counted repeats beyond this become open-ended (``{100,4096}`` -> ``{32,}``): large bounded
repeats make hyperscan's compile take seconds and its database megabytes."""


class _Unsupported(Exception):
    """The regex uses a construct with no looser hyperscan equivalent."""


@dataclass(frozen=True)
class Loosened:
    """A rule's regex rewritten for hyperscan."""

    regex: str
    overshoot: int = 0
    """How far past the Python match's end a match of ``regex`` may end (0 or 1 byte)."""


def loosen(regex: str) -> Loosened | None:
    """Return a hyperscan-compatible regex matching at least what ``regex`` matches, or None."""
    try:
        items, end = _sequence(regex, 0, top=True)
        if end != len(regex):
            return None
        closing = _closing_lookahead(items)
    except (_Unsupported, IndexError, ValueError):
        return None
    items = [it for it in items if not it[0].startswith(_LOOKAHEAD)]
    if closing is None:
        items = _trimmed(items)
        return Loosened(_joined(items)) if items else None
    items = _trimmed(items, keep_end=True)
    return Loosened(_joined(items) + closing, overshoot=1) if items else None


def _closing_lookahead(items: list[list[str]]) -> str | None:
    """The consuming form of a lookahead that closes the whole regex, or None.

    ``(?!CLASS)`` becomes ``(?:[^CLASS]|\\z)``; ``(?=CLASS)`` and ``(?=CLASS|\\Z)`` become
    ``CLASS`` and ``(?:CLASS|\\z)``; ``$`` (the end, or before a newline) adds ``\\n`` and
    ``\\z``. Any other lookahead (a sequence, a literal, one inside a branch of a top-level
    alternation) stays dropped.
    """
    if not items or not items[-1][0].startswith(_LOOKAHEAD):
        return None
    if any(atom == "|" for atom, _ in items):
        return None
    src = items[-1][0][len(_LOOKAHEAD) :]
    negative = src.startswith("(?!")
    i, at_end = 3, False
    classes: list[str] = []
    while src[i] != ")":
        if src[i] == "[":
            cls, i = _char_class(src, i)
            if cls == _ANY_BYTE:
                return None  # any byte: nothing to complement
            classes.append(cls)
        elif src.startswith((r"\Z", r"\z"), i):
            at_end, i = True, i + 2
        elif src[i] == "$":
            classes.append(r"\n")
            at_end, i = True, i + 1
        else:
            return None
        if src[i] == "|":
            i += 1
        elif src[i] != ")":
            return None
    if negative:
        if len(classes) != 1 or at_end or not classes[0].startswith("["):
            return None
        body = classes[0]
        complement = "[" + body[2:] if body.startswith("[^") else "[^" + body[1:]
        return f"(?:{complement}|\\z)"
    if not classes:
        return None
    alternatives = classes + ([r"\z"] if at_end else [])
    return alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"


def _trimmed(items: list[list[str]], *, keep_end: bool = False) -> list[list[str]]:
    """Cut the top-level sequence to the part that fixes where a match can end.

    A leading optional item (``[A-Za-z_]{0,40}?``) never moves a match's end; a trailing
    one, or the extension of a trailing repeat (``X{8,256}`` -> ``X{8}``), only moves it
    earlier, still after the match's start. The detector asks "does a match end inside
    this span", so both cuts keep every answer that matters while hyperscan reports one
    end per match instead of one per byte of a long value. With ``keep_end`` (a closing
    lookahead follows, which must see the whole value) only the start is cut.
    """
    if any(atom == "|" for atom, _ in items):
        return items
    flags = [it for it in items[:1] if _is_flags(it[0])]
    body = items[len(flags) :]
    while body:
        if _optional(body[0][1]):
            body = body[1:]
        elif not keep_end and _optional(body[-1][1]):
            body = body[:-1]
        elif (inner := _plain_group(body[0])) is not None:
            body = inner + body[1:]
        elif not keep_end and (inner := _plain_group(body[-1])) is not None:
            body = body[:-1] + inner
        else:
            break
    if body and not keep_end:
        atom, quant = body[-1]
        low = quant.strip("{}?").split(",")[0] if quant.startswith("{") else ""
        if quant in ("+", "+?") or low == "1":
            body[-1] = [atom, ""]
        elif low:
            body[-1] = [atom, "{" + low + "}"]
    return flags + body if body else []


def _plain_group(item: list[str]) -> list[list[str]] | None:
    """The items of an unquantified ``(?:...)`` without alternatives (to cut inside it)."""
    atom, quant = item
    if quant or not atom.startswith("(?:"):
        return None
    inner, _ = _sequence(atom, 3)
    return None if any(a == "|" for a, _ in inner) else inner


def _is_flags(atom: str) -> bool:
    return atom.startswith("(?") and atom.endswith(")") and ":" not in atom


def _optional(quant: str) -> bool:
    return (quant.rstrip("?") in ("*", "") and quant != "") or quant.startswith(("{0,", "{0}"))


def _sequence(src: str, i: int, *, top: bool = False) -> tuple[list[list[str]], int]:
    """Translate from ``i`` up to the ``)`` closing the current group (or the end).

    Returns [atom, quantifier] items; ``|`` is an item of its own.
    """
    items: list[list[str]] = []
    dropped = False  # the previous token was removed: a quantifier after it cannot stay
    while i < len(src):
        c = src[i]
        if c == ")":
            if top:
                raise _Unsupported
            return items, i
        if c in "*+?" or (c == "{" and _braces(src, i)[0] != r"\{"):
            if dropped or not items or items[-1][0] == "|":
                raise _Unsupported
            quant, i = _quantifier(src, i, items[-1][1])
            items[-1][1] = quant
            continue
        dropped = False
        if c == "\\":
            token, i = _escape(src, i)
        elif c == "[":
            token, i = _char_class(src, i)
        elif c == "(":
            token, i = _group(src, i)
        elif c in "^$":
            token, i = "", i + 1
        elif c == "{":
            token, i = r"\{", i + 1
        else:
            token, i = c, i + 1
        if token:
            items.append([token, ""])
            dropped = token.startswith(_LOOKAHEAD)
        else:
            dropped = True
    if not top:
        raise _Unsupported  # an unclosed group
    return items, i


def _quantifier(src: str, i: int, current: str) -> tuple[str, int]:
    """Read one quantifier (and a lazy ``?``); a second one (possessive ``+``) is refused."""
    if current:
        raise _Unsupported  # a repeated repeat
    if src[i] == "{":
        quant, i = _braces(src, i)
    else:
        quant, i = src[i], i + 1
    if i < len(src) and src[i] == "?":
        return quant + "?", i + 1  # lazy: hyperscan reports every match anyway
    if i < len(src) and src[i] == "+":
        raise _Unsupported  # possessive
    return quant, i


def _escape(src: str, i: int) -> tuple[str, int]:
    """One escape outside a class: dropped, spelled out, refused or kept."""
    c = src[i + 1]
    if c in _DROPPED_ESCAPES:
        return "", i + 2
    if c == "s":
        return f"[{_SPACE}]", i + 2
    if c == "S":
        return f"[^{_SPACE}]", i + 2
    if c.isdigit() and c != "0":
        raise _Unsupported  # a back-reference
    if c == "x":
        return src[i : i + 4], i + 4
    return src[i : i + 2], i + 2


def _char_class(src: str, i: int) -> tuple[str, int]:
    """Copy a ``[...]`` class, spelling out ``\\s``; ``\\S`` inside a class is refused."""
    out = ["["]
    i += 1
    complement = False
    if src[i] == "^":
        out.append("^")
        i += 1
    first = True
    while True:
        c = src[i]
        if c == "]" and not first:
            if complement:
                return _ANY_BYTE, i + 1
            out.append("]")
            return "".join(out), i + 1
        first = False
        if c == "[":
            out.append(r"\[")  # Python warns on a nested set; PCRE could read [: as POSIX
            i += 1
        elif c == "\\":
            e = src[i + 1]
            if e == "s":
                out.append(_SPACE)
            elif e in "SWD":
                complement = True  # [\s\S] and the like: "any byte" is a superset
            elif e == "b":
                out.append(r"\x08")  # backspace, inside a class
            elif e == "B" or (e.isdigit() and e != "0"):
                raise _Unsupported
            elif e == "x":
                out.append(src[i : i + 4])
                i += 2
            else:
                out.append(src[i : i + 2])
            i += 2
        else:
            out.append(c)
            i += 1


def _group(src: str, i: int) -> tuple[str, int]:
    """A group: lookarounds and comments dropped, names removed, unsupported kinds refused."""
    if src.startswith(("(?=", "(?!"), i):
        _, end = _skip_group(src, i)
        return _LOOKAHEAD + src[i:end], end
    if src.startswith(("(?<=", "(?<!"), i):
        _, end = _skip_group(src, i)
        return "", end
    if src.startswith("(?#", i):
        return "", src.index(")", i) + 1
    if src.startswith("(?P<", i):
        body_at = src.index(">", i) + 1
    elif src.startswith("(?:", i):
        body_at = i + 3
    elif src.startswith("(?", i):
        j = i + 2
        while j < len(src) and src[j].isalpha():
            j += 1
        flags = src[i + 2 : j]
        if not flags or any(f not in "ims" for f in flags):
            raise _Unsupported  # (?P=, (?>, (?(, (?a, (?x, (?-i: ...
        if src[j] == ")":
            return src[i : j + 1], j + 1
        if src[j] != ":":
            raise _Unsupported
        inner, end = _sequence(src, j + 1)
        return f"(?{flags}:{_joined(inner)})", end + 1
    else:
        body_at = i + 1
    inner, end = _sequence(src, body_at)
    return f"(?:{_joined(inner)})", end + 1


def _joined(items: list[list[str]]) -> str:
    return "".join(atom + quant for atom, quant in items if not atom.startswith(_LOOKAHEAD))


def _skip_group(src: str, i: int) -> tuple[None, int]:
    """Return the offset just past the group opening at ``i`` (classes and escapes honoured)."""
    depth = 0
    while True:
        c = src[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            _, i = _char_class(src, i)
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return None, i + 1
        i += 1


def _braces(src: str, i: int) -> tuple[str, int]:
    """A ``{m,n}`` quantifier (``{,n}`` made ``{0,n}``), or a literal ``{``."""
    end = src.find("}", i)
    body = src[i + 1 : end] if end > 0 else ""
    lo, comma, hi = body.partition(",")
    if end < 0 or not (lo or hi) or not (lo.isdigit() or not lo) or not (hi.isdigit() or not hi):
        return r"\{", i + 1
    if not comma and not lo:
        return r"\{", i + 1
    low = min(int(lo or "0"), REPEAT_LIMIT)
    if comma and hi and int(hi) > REPEAT_LIMIT:
        hi = ""  # unbounded: a superset hyperscan compiles small and fast
    if not comma and int(lo) > REPEAT_LIMIT:
        comma = ","
    return "{" + str(low) + comma + hi + "}", end + 1
