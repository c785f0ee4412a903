"""Masking and fingerprinting of credential values, and a scrubber for free text.

Every renderer goes through :func:`mask`; every identity of a finding goes through
:func:`fingerprint`. Free text that may quote a value (an SDK error message, a
traceback) goes through :class:`Scrubber` before it is shown or logged.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable

from agentauth.model import Fingerprint, Secret

# NOTE: the key is public on purpose. The fingerprint must be stable across machines
# (a baseline committed by one developer is read by CI) and must not be a plain hash
# that can be looked up in a table of known keys; a fixed, product-specific key gives both.
_FINGERPRINT_KEY = b"agentauth-fingerprint-v1"

_PREFIX = re.compile(
    r"^(?:"
    r"[a-z]{2,4}_(?:live|test|prod)_"  # sk_live_, rk_test_, pk_live_
    r"|github_pat_|gh[pousr]_|glpat-|npm_|pypi-|hf_|api_org_|xox[a-z]-|xapp-|whsec_"
    r"|sk-or-v1-|sk-ant-(?:api|admin)\d\d-|sk-(?:proj|svcacct|admin)-|sk-|sb_secret_|sb_publishable_|sbp_"
    r"|SG\.|AKIA|ASIA|ABIA|ACCA|AIza|shp(?:at|ca|pa|ss)_|key-|eyJ"
    r"|gsk_|xai-|pplx-|r8_|lin_api_|dp\.[a-z]{2,5}\.|glsa_"
    r")"
)
_PEM_HEADER = re.compile(r"^-----BEGIN [A-Z0-9 ]{1,40}-----")
_URL_USERINFO = re.compile(r"^([a-z][a-z0-9+.-]*://)([^:/@\s]*):([^@\s]*)@(.*)$", re.IGNORECASE)


def mask(value: str) -> str:
    """Return a recognisable prefix and the last four characters, never more.

    URLs keep their scheme, user and host, with the password replaced; values
    too short to keep four characters safely are fully masked.
    """
    pem = _PEM_HEADER.match(value)
    if pem:  # the armour names the key type and is not secret; the body is
        return f"{pem.group(0)}…"
    url = _URL_USERINFO.match(value)
    if url:
        scheme, user, _password, rest = url.groups()
        host = rest.split("?", 1)[0]
        return f"{scheme}{user}:***@{host}"
    match = _PREFIX.match(value)
    prefix = match.group(0) if match else ""
    if len(value) - len(prefix) < 12:
        return f"{prefix}***" if prefix else "***"
    return f"{prefix}…{value[-4:]}"


def fingerprint(rule_id: str, value: str) -> Fingerprint:
    """Return a keyed hash of rule and value, stable across runs, files and line moves."""
    digest = hmac.new(_FINGERPRINT_KEY, f"{rule_id}\0{value}".encode(), hashlib.sha256)
    return Fingerprint(digest.hexdigest()[:32])


class Scrubber:
    """Replaces known secret values (and their URL-encoded forms) in free text."""

    def __init__(self, secrets: Iterable[Secret | str] = ()) -> None:
        """Remember the values to scrub; values shorter than 6 characters are ignored."""
        self._values: set[str] = set()
        for s in secrets:
            self.add(s)

    def add(self, secret: Secret | str) -> None:
        """Add one value to scrub."""
        value = secret.reveal() if isinstance(secret, Secret) else secret
        if len(value) >= 6:
            self._values.add(value)
            from urllib.parse import quote

            self._values.add(quote(value, safe=""))

    def __call__(self, text: str) -> str:
        """Return ``text`` with every known value replaced by its mask."""
        for value in sorted(self._values, key=len, reverse=True):
            if value in text:
                text = text.replace(value, mask(value))
        return scrub_urls(text)


def scrub_urls(text: str) -> str:
    """Mask the password of any ``scheme://user:password@host`` inside free text."""
    return _URL_IN_TEXT.sub(lambda m: f"{m.group(1)}{m.group(2)}:***@", text)


_URL_IN_TEXT = re.compile(r"([a-z][a-z0-9+.-]*://)([^:/@\s'\"]*):([^@\s'\"]+)@", re.IGNORECASE)
