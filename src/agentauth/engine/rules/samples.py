"""Expand ``@@kind:n@@`` sample templates into well-formed fake credentials, deterministically.

The catalog's examples, the tests and the benchmark need key-shaped strings. Writing
them out literally would put token-shaped text in the repository (push protection,
our own ``check``); templates are expanded at test time instead, with a seeded RNG.

Kinds: ``b62 hex HEX b32 b32l bech32 b64 url64 digits lower upper alpha l36 u36`` take a
length; ``uuid`` is a random UUID (lower-case hex); ``basic:USER`` is the base64 of
``USER:`` + a random password;
``gh`` (30 base62 + a valid CRC32 checksum), ``ghbad`` (a wrong one), ``jwt:ROLE``
(a Supabase-shaped JWT), ``pem:TYPE`` (a PEM block), ``pemjson:TYPE`` (the same
with JSON ``\\n`` escapes), ``pemb64:TYPE`` (the block base64-encoded, as a Kubernetes
Secret's ``data:`` holds it), ``der`` (an unarmoured base64 DER private key) and
``b64json:SHAPE`` (base64 JSON: ``grafana``, a legacy Grafana API key; ``powerbi``, a
Power BI report link's ``r=`` value).
"""

from __future__ import annotations

import base64
import json
import random
import re
import string

from agentauth.engine.rules.checks import BASE62, base62_checksum

_TEMPLATE = re.compile(r"@@([a-zA-Z0-9]+)(?::([A-Za-z0-9_ ]+))?@@")
_ALPHABETS = {
    "b62": BASE62,
    "hex": "0123456789abcdef",
    "HEX": "0123456789ABCDEF",
    "b32": "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
    "b64": string.ascii_letters + string.digits + "+/",
    "url64": string.ascii_letters + string.digits + "-_",
    "digits": string.digits,
    "lower": string.ascii_lowercase,
    "upper": string.ascii_uppercase,
    "alpha": string.ascii_letters,
    "l36": string.ascii_lowercase + string.digits,
    "u36": string.ascii_uppercase + string.digits,
    "b32l": "abcdefghijklmnopqrstuvwxyz234567",
    "bech32": "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L",
}


def random_string(rng: random.Random, alphabet: str, length: int) -> str:
    """Return ``length`` characters of ``alphabet`` (no run of 3 identical characters)."""
    out: list[str] = []
    while len(out) < length:
        char = rng.choice(alphabet)
        if len(out) >= 2 and out[-1] == out[-2] == char:
            continue
        out.append(char)
    return "".join(out)


def github_token(rng: random.Random, prefix: str = "ghp", *, valid: bool = True) -> str:
    """Return ``prefix_`` + 30 random base62 + checksum (valid, or deliberately wrong)."""
    body = random_string(rng, BASE62, 30)
    checksum = base62_checksum(body)
    if not valid:
        checksum = checksum[:-1] + ("0" if checksum[-1] != "0" else "1")
    return f"{prefix}_{body}{checksum}"


def jwt(rng: random.Random, role: str) -> str:
    """Return a JWT-shaped string whose payload is a Supabase key for ``role``."""
    header = {"alg": "HS256", "typ": "JWT"}
    ref = random_string(rng, string.ascii_lowercase, 20)
    payload = {"iss": "supabase", "ref": ref, "role": role, "iat": 1700000000, "exp": 2015000000}
    if role == "user":
        payload = {"sub": "1234", "name": "someone", "iat": 1700000000}

    def part(data: object) -> str:
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    return f"{part(header)}.{part(payload)}.{random_string(rng, _ALPHABETS['url64'], 43)}"


def pem(rng: random.Random, key_type: str = "RSA", newline: str = "\n") -> str:
    """Return a PEM private-key block whose body decodes like real key material.

    DER (a SEQUENCE, first byte 0x30) for RSA, EC, PKCS8 and ENCRYPTED keys, the
    ``openssh-key-v1`` magic for OPENSSH ones; the rest is random bytes.
    """
    label = f"{key_type} PRIVATE KEY".strip() if key_type != "PKCS8" else "PRIVATE KEY"
    size = 400
    noise = bytes(rng.getrandbits(8) for _ in range(size))
    if key_type == "OPENSSH":
        raw = b"openssh-key-v1\x00" + noise
    else:
        raw = b"\x30\x82" + (size - 4).to_bytes(2, "big") + noise[4:]
    text = base64.b64encode(raw).decode()
    body = newline.join(text[i : i + 64] for i in range(0, len(text), 64))
    return f"-----BEGIN {label}-----{newline}{body}{newline}-----END {label}-----"


def der_key(rng: random.Random) -> str:
    """Return an unarmoured private key: base64 DER shaped like PKCS#8 (version 0, algorithm)."""
    body = b"\x02\x01\x00\x30\x0d" + bytes(rng.getrandbits(8) for _ in range(600))
    return base64.b64encode(b"\x30\x82" + len(body).to_bytes(2, "big") + body).decode()


def b64json(rng: random.Random, shape: str) -> str:
    """Return base64 JSON shaped like a legacy Grafana API key or a Power BI link value."""
    if shape == "grafana":
        name = random_string(rng, string.ascii_lowercase, 8)
        data: dict[str, object] = {"k": random_string(rng, BASE62, 32), "n": name, "id": 1}
    elif shape == "powerbi":
        seed = rng.getrandbits(32)
        data = {"k": expand("@@uuid@@", seed), "t": expand("@@uuid@@", seed + 1), "c": 8}
    else:
        raise ValueError(f"unknown b64json shape {shape!r}")
    return base64.b64encode(json.dumps(data, separators=(",", ":")).encode()).decode()


def expand(template: str, seed: int | str = 0) -> str:
    """Replace every ``@@kind:n@@`` in ``template``; the same seed gives the same text."""
    rng = random.Random(str(seed))  # noqa: S311 - reproducible fakes, not secrets

    def one(match: re.Match[str]) -> str:
        kind, arg = match.group(1), match.group(2) or ""
        if kind in _ALPHABETS:
            return random_string(rng, _ALPHABETS[kind], int(arg))
        if kind == "uuid":
            h = random_string(rng, _ALPHABETS["hex"], 32)
            return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"
        if kind == "basic":
            pair = f"{arg or 'user'}:{random_string(rng, BASE62, 20)}"
            return base64.b64encode(pair.encode()).decode()
        if kind in {"gh", "ghbad"}:
            return github_token(rng, "x", valid=kind == "gh")[2:]
        if kind == "jwt":
            return jwt(rng, arg or "anon")
        if kind == "pem":
            return pem(rng, arg or "RSA")
        if kind == "pemjson":
            return pem(rng, arg or "RSA", newline="\\n")
        if kind == "der":
            return der_key(rng)
        if kind == "pemb64":
            return base64.b64encode((pem(rng, arg or "RSA") + "\n").encode()).decode()
        if kind == "b64json":
            return b64json(rng, arg)
        raise ValueError(f"unknown sample template @@{kind}@@")

    return _TEMPLATE.sub(one, template)
