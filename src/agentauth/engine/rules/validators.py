"""Detect-time validators: decide whether a regex match is a credential at all.

An explicit registry (:data:`VALIDATORS`), named by rules in ``catalog.toml``. A
validator sees the secret text and the regex match (for named groups such as the
assignment's name) and returns False to drop the match before it becomes a candidate.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import re
from collections.abc import Callable

from agentauth.engine.rules.checks import jwt_claims, shannon_entropy
from agentauth.engine.rules.placeholders import WEAK_PASSWORDS

Validator = Callable[[str, "re.Match[bytes]"], bool]

# Names that hold something about a secret, not the secret itself (gitleaks-style exclusions).
_NAME_NOT_SECRET = re.compile(
    r"(?:^|[_.\-])(?:url|uri|endpoint|path|file|filename|dir|name|id|type|length|len|size|"
    r"count|ttl|timeout|expiry|expires|expires_at|expiration|header|field|prefix|format|"
    r"policy|provider|env|var|version|mode|hint|label|algorithm|alg|store|manager|ref|arn|"
    r"kind|class|param|key_id|secret_name|regex|pattern|placeholder|description|help)$"
    r"|public|tokeniz|max_tokens|csrf|xsrf|keyboard|monkey|author|secrets?manager"
    # pagination cursors, idempotency keys and DNS verification records: API values, not
    # credentials (``NextContinuationToken``, ``nextPageToken``, SES ``VerificationToken``)
    r"|continuation|next_?token|page_?token|pagination|verification_?token|idempotency",
    re.IGNORECASE,
)
# camelCase names of something about a secret (``credentialId``, ``secretName``, ``tokenUrl``).
_CAMEL_NOT_SECRET = re.compile(
    r"[a-z0-9](?:Ids?|ID|Names?|Url|URL|Uri|URI|Path|File|Type|Length|Size|Count|Version|"
    r"Prefix|Format|Header|Endpoint|Ref|Arn|ARN)$"
)
# A resource name in kebab case (``cmp2-qat-1208358310``, ``prod-eu-db-01``): three or more
# short lower-case segments, which a generator does not make but a naming scheme does.
_SLUG = re.compile(r"^[a-z][a-z0-9]{0,11}(?:-[a-z0-9]{1,12}){2,}$")
# Three or more lower-case words joined by ``_`` (``s3_disable_express_session_auth``): a
# variable, not generated (generated tokens mix case or carry no underscores).
_SNAKE_IDENTIFIER = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z][a-z0-9]*){2,}$")
_PASSWORD_NAME = re.compile(r"pass(?:word|wd|phrase)?|pwd|(?<![a-z])pw(?![a-z])", re.IGNORECASE)
_LITERALS = frozenset(
    {
        "true", "false", "null", "none", "nil", "undefined", "yes", "no", "on", "off",
        "required", "optional", "string", "str", "int", "bool", "bytes", "secret", "password",
        "token", "empty", "default", "redacted", "hidden", "masked",
    }
)  # fmt: skip
_IDENTIFIER_PATH = re.compile(r"^[A-Za-z_$][\w$]*(?:(?:\.|::|->)[A-Za-z_$][\w$]*)+(?:\(\))?$")
_FILE_LIKE = re.compile(
    r"\.(?:pem|key|crt|cer|der|p12|pfx|json|ya?ml|toml|txt|env|ini|cfg|conf|js|ts|py|rb|go|"
    r"sh|html?|xml|csv|log|md|png|jpe?g|gif|svg)$",
    re.IGNORECASE,
)
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# Password hashes stored under a password name (Django, passlib, LDAP): not a password.
_PASSWORD_HASH = re.compile(
    r"^(?:pbkdf2_sha(?:1|256|512)|argon2(?:id|i|d)?|bcrypt(?:_sha256)?|scrypt|sha1|md5|"
    r"unsalted_(?:md5|sha1)|crypt|sha256_crypt|sha512_crypt)\$|^\{(?:S?SHA(?:256|512)?|S?MD5|CRYPT)\}",
    re.IGNORECASE,
)
# Dotted package or artifact names (``org.springframework.security``, ``io.jsonwebtoken``).
_PACKAGE_NAME = re.compile(r"^[a-z][a-z0-9_\-]*(?:\.[a-z0-9][a-z0-9_\-]*){2,}$")
# Globs and path patterns, where ``*`` is a wildcard (``*.example.com``, ``src/**``).
_GLOB = re.compile(r"\*\.|\.\*|/\*|\*/|\*\*")
# Prefixes whose provider rule decides alone (a PyPI macaroon cut short is no password).
_OWNED_PREFIXES = ("pypi-AgE",)
# People choose passwords: ``4ian1234`` or ``super$ecret`` repeat letters a generator would not,
# so 3.0 bits (an 8-character string with no repeated character) dropped them. 2.5 bits still
# drops ``aaaa1111``-style fillers; words, references and placeholders are dropped before.
_PASSWORD_ENTROPY = 2.5
_HAS_DIGIT_OR_SYMBOL = re.compile(r"[0-9!#$%&*+/=?@^~|\\-]")
_LETTERS_ONLY = re.compile(r"^[A-Za-z_.\-]+$")
# Words a random value never spells but type names, labels and templates do.
_WORDY = re.compile(
    r"key|token|secret|passw|private|public|type|string|example|test|dummy|credential|value",
    re.IGNORECASE,
)


def _wordy(value: str) -> bool:
    """True when ``value`` spells one of :data:`_WORDY`'s words. The three-letter ``key``
    counts only as people write it (``key``, ``Key``, ``KEY``): a generator's ``kEy`` is no
    word, and counting it dropped about one random 40-character key in 500. Longer words
    count in any case (``PassWordMustBe...``): a generator spells them too rarely to matter."""
    for match in _WORDY.finditer(value):
        word = match.group()
        if len(word) > 3 or word.islower() or word.isupper() or word == word.capitalize():
            return True
    return False


def _random_letters(value: str) -> bool:
    """True for a letters-only value a generator made: 20+ characters with upper-case
    letters side by side at least four times (``nxRNOnTRbeRMZYuX...``), which names and
    CamelCase never have (``MyServiceSecret``: none; an acronym: one or two)."""
    if len(value) < 20:
        return False
    pairs = sum(1 for a, b in itertools.pairwise(value) if a.isupper() and b.isupper())
    return pairs >= 4 and any(c.islower() for c in value)


def generic_secret(secret: str, match: re.Match[bytes]) -> bool:
    """Accept ``NAME=value`` only when NAME names a secret and value looks randomly generated.

    Low false positives over recall: NAME must not name something about a secret
    (``SECRET_NAME``, ``credentialId``); the value must not be a word, a number, a path,
    a URL, a file name, an identifier path (``settings.SECRET``), a package name, a
    password hash (``pbkdf2_sha256$...``), a UUID, a kebab-case resource name (unless NAME
    is a password's) or a reference, nor contain ``:``, a
    glob (``*.x``, ``**``), three ``/`` or a word such as ``Key``/``Token``, and must have
    enough entropy (2.5 bits/char for passwords of 8+ characters with a digit or symbol,
    3.5 for tokens of 12+).
    Symbols are welcome: ``Xk7#mQ2!pL9z$%^&*`` is a password, not a pattern.
    """
    name = match.group("name").decode("utf-8", "replace")
    if _NAME_NOT_SECRET.search(name) or _CAMEL_NOT_SECRET.search(name):
        return False
    if secret.lower() == name.lower():
        return False  # NOTE: a keyword argument passed on (``session_auth=session_auth``)
    if _SNAKE_IDENTIFIER.match(secret) and not _PASSWORD_NAME.search(name):
        return False  # NOTE: a password may be words; a token is not
    value = secret.removeprefix("base64:")  # Laravel's APP_KEY, Rails' key files
    lowered = value.lower()
    if lowered in _LITERALS or lowered.startswith(("http:", "https:", "file:")) or "://" in value:
        return False
    if value.startswith(("/", "./", "../", "~/", "$", "%", "@", "#", "&", "*")):
        return False
    if value.isdigit() or _UUID.match(value):
        return False
    if _LETTERS_ONLY.match(value) and not _random_letters(value):
        return False
    if _IDENTIFIER_PATH.match(value) or _FILE_LIKE.search(value) or _PACKAGE_NAME.match(value):
        return False
    if _PASSWORD_HASH.match(value) or value.startswith(_OWNED_PREFIXES):
        return False
    # URNs and ARNs, paths and scopes, globs, type names (``Ed25519PrivateKey``)
    slashes = value.count("/")
    if ":" in value or _GLOB.search(value) or slashes >= 3:
        return False
    if (slashes and not any(c.isdigit() for c in value)) or _wordy(value):
        return False
    if _SLUG.match(value) and not _PASSWORD_NAME.search(name):
        return False  # a passphrase (correct-horse-battery) is a password, a slug a name
    if _PASSWORD_NAME.search(name):
        return (
            len(value) >= 8
            and bool(_HAS_DIGIT_OR_SYMBOL.search(value))
            and shannon_entropy(value) >= _PASSWORD_ENTROPY
        )
    return len(value) >= 12 and shannon_entropy(value) >= 3.5


def password_value(secret: str, match: re.Match[bytes]) -> bool:
    """Accept a password written without a name the generic rule knows (``.netrc``).

    Not a word (``mypassword``), a reference (``$HEROKU_API_KEY``, ``<token>``) or a
    password every tutorial uses.
    """
    if secret.startswith(("$", "<", "%", "{")) or _LETTERS_ONLY.match(secret):
        return False
    return secret.lower() not in WEAK_PASSWORDS


def cli_password(secret: str, match: re.Match[bytes]) -> bool:
    """Accept a literal command-line password: not a reference, a next flag or a key source.

    ``-pass env:VAR`` / ``file:PATH`` / ``fd:N`` (OpenSSL's sources), ``(Get-Credential)``,
    ``"$PASS"`` and words are not passwords; a literal has a digit or a symbol.
    """
    if secret[0] in "({[$<%@-" or secret.lower().startswith(("env:", "file:", "fd:", "stdin")):
        return False
    return password_value(secret, match) and bool(_HAS_DIGIT_OR_SYMBOL.search(secret))


def positional_password(secret: str, match: re.Match[bytes]) -> bool:
    """Accept a literal password argument: not a reference or a tutorial password.

    Letters alone pass only when long and random-looking (``vzihlaquknriqlht``, an app
    password), not a word (``secret``, ``mypassword``).
    """
    if secret[0] in "$<%{" or secret.lower() in WEAK_PASSWORDS or _WORDY.search(secret):
        return False
    if _LETTERS_ONLY.match(secret):
        return len(secret) >= 12 and shannon_entropy(secret) >= 3.3
    return len(secret) >= 6


def cli_secret(secret: str, match: re.Match[bytes]) -> bool:
    """Accept a literal command-line token: random-looking, not a reference, file or word.

    A UUID is accepted here (``--token`` takes Heroku's and Sauce Labs' UUID keys); a
    path, a next flag, ``$VAR``, ``<token>`` and letters-only words are not.
    """
    if secret[0] in "({[$<%@-~./" or _LETTERS_ONLY.match(secret) or _FILE_LIKE.search(secret):
        return False
    if "://" in secret or secret.count("/") >= 2 or _IDENTIFIER_PATH.match(secret):
        return False
    return _UUID.match(secret) is not None or shannon_entropy(secret) >= 3.0


def _supabase_role(secret: str, role: str) -> bool:
    claims = jwt_claims(secret)
    if not claims or claims.get("role") != role:
        return False
    issuer = str(claims.get("iss", ""))
    return "supabase" in issuer or "ref" in claims


def supabase_service_role(secret: str, match: re.Match[bytes]) -> bool:
    """Accept a JWT whose payload is a Supabase ``service_role`` key."""
    return _supabase_role(secret, "service_role")


def supabase_anon(secret: str, match: re.Match[bytes]) -> bool:
    """Accept a JWT whose payload is a Supabase ``anon`` (publishable) key."""
    return _supabase_role(secret, "anon")


def basic_auth_b64(secret: str, match: re.Match[bytes]) -> bool:
    """Accept base64 decoding to ``user:password`` with a real password (Docker ``auths``)."""
    try:
        raw = base64.b64decode(secret + "=" * (-len(secret) % 4), validate=True)
        text = raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return False
    user, sep, password = text.partition(":")
    return bool(sep and user and len(password) >= 6 and text.isprintable())


_AUTH_SCHEMES_WITH_TOKEN = frozenset(
    {"bearer", "token", "bot", "ssws", "apikey", "api-key", "api-token"}
)


def authorization_value(secret: str, match: re.Match[bytes]) -> bool:
    """Accept an Authorization value: basic credentials that decode, or a random-looking token."""
    scheme = (match.group("x_scheme") or b"").decode().lower()
    if scheme == "basic":
        return basic_auth_b64(secret, match)
    if not scheme and secret.lower() in _AUTH_SCHEMES_WITH_TOKEN | {"basic"}:
        return False
    if _IDENTIFIER_PATH.match(secret) or _LETTERS_ONLY.match(secret) or secret.isdigit():
        return False
    return len(secret) >= 16 and shannon_entropy(secret) >= 3.5


def grafana_legacy_key(secret: str, match: re.Match[bytes]) -> bool:
    """Accept base64 JSON that names a key (``{"k":...,"n":...``): a Grafana API key.

    Power BI report links carry the same ``{"k":`` opening (``"t"`` and ``"c"`` follow,
    no ``"n"``). The tail of a copied key is often cut or garbled, so only the decoded
    text up to the name is read.
    """
    body = secret.rstrip("=")
    try:
        raw = base64.b64decode(body[: len(body) // 4 * 4], validate=True)
    except (binascii.Error, ValueError):
        return False
    return raw.startswith(b'{"k":"') and b'","n":"' in raw


# The first member of a private key's DER SEQUENCE: the version INTEGER (0 for PKCS#1 RSA and
# PKCS#8, 1 for SEC1 EC), then the modulus, the AlgorithmIdentifier or the key OCTET STRING.
_DER_KEY_START = (b"\x02\x01\x00\x02", b"\x02\x01\x00\x30", b"\x02\x01\x01\x04")


def der_private_key(secret: str, match: re.Match[bytes]) -> bool:
    """Accept unarmoured base64 DER that is a private key (``PRIVATE_KEY=MIIEvQIBADAN...``).

    A SEQUENCE as long as the data (a stray character or two of a copy-paste allowed) whose
    first member is a key's version; a certificate (``MIIC...``, a SEQUENCE of SEQUENCEs)
    or a public key starts otherwise.
    """
    body = secret.rstrip("=")
    try:
        raw = base64.b64decode(body[: len(body) - len(body) % 4], validate=True)
    except (binascii.Error, ValueError):
        return False
    if len(raw) < 64 or raw[0] != 0x30 or not 0x81 <= raw[1] <= 0x83:
        return False
    offset = 2 + (raw[1] & 0x7F)
    length = int.from_bytes(raw[2:offset], "big")
    return 0 <= offset + length - len(raw) <= 3 and raw[offset : offset + 4] in _DER_KEY_START


def header_token(secret: str, match: re.Match[bytes]) -> bool:
    """Accept a header's key that looks generated: not a word, a number, low entropy."""
    if _LETTERS_ONLY.match(secret) or secret.isdigit() or _IDENTIFIER_PATH.match(secret):
        return False
    return shannon_entropy(secret) >= 3.0


VALIDATORS: dict[str, Validator] = {
    "authorization_value": authorization_value,
    "basic_auth_b64": basic_auth_b64,
    "der_private_key": der_private_key,
    "cli_password": cli_password,
    "cli_secret": cli_secret,
    "generic_secret": generic_secret,
    "header_token": header_token,
    "grafana_legacy_key": grafana_legacy_key,
    "password_value": password_value,
    "positional_password": positional_password,
    "supabase_service_role": supabase_service_role,
    "supabase_anon": supabase_anon,
}
"""The registry rules name in their ``validator`` field."""
