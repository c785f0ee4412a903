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
from dataclasses import dataclass

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
_SCHEME = re.compile(r"^[a-z][a-z0-9+.:-]*://", re.IGNORECASE)
_ONE_HOST = r"(?:\[[0-9A-Fa-f:.]+\]|[\w.%~-]*)(?::\d{0,5})?"
_HOSTPORT = re.compile(rf"^{_ONE_HOST}(?:,{_ONE_HOST})*$")
"""A URL's host list as drivers accept it: names or [IPv6], optional numeric ports, commas."""
MIN_OCCURRENCE = 3
"""A password at least this long is masked wherever it recurs in a shown value (``/app_dev``)."""


@dataclass(frozen=True)
class Authority:
    """A URL split where drivers split it: scheme, userinfo up to the LAST ``@``, the rest.

    libpq, PyMySQL and redis-py take the password to end at the last ``@`` before the host,
    so ``mysql://app:P@ssw0rd@db:3306/shop`` has the password ``P@ssw0rd`` and the host
    ``db``. ``host`` never contains ``@``; ``rest`` is everything after the host.
    """

    scheme: str
    user: str
    password: str | None
    host: str
    rest: str

    @property
    def userinfo(self) -> str:
        """The userinfo exactly as written (``user:password``)."""
        return self.user if self.password is None else f"{self.user}:{self.password}"


def split_authority(url: str) -> Authority | None:
    """Split ``scheme://user:password@host:port/rest`` where the password really ends.

    The host is the text after an ``@`` up to the first ``/``, ``?``, ``#`` or ``;``; it
    never holds an ``@``. Which ``@`` ends the password, in order of preference:

    1. the last ``@`` of the authority as :func:`urllib.parse.urlsplit` delimits it (what
       PyMySQL and redis-py read; also right for ``@scope`` paths and ``.git@v1`` refs),
       when the host after it is unmistakably one (dotted name, IP, port, ``localhost``);
    2. else the first ``@`` after ``user:`` followed by such a host (a password holding
       ``/``, ``?`` or ``#`` ends the authority too early: ``app:Kx@Qm/Zt@db.acme.io``);
    3. else the last ``@`` followed by anything host-shaped (a Compose service name such
       as ``db``): when in doubt, mask more.

    Returns None for a URL without userinfo, or one not shaped ``scheme://...@host``.
    """
    scheme_match = _SCHEME.match(url)
    if scheme_match is None:
        return None
    scheme = scheme_match.group(0)
    body = url[len(scheme) :]
    netloc_end = len(body)
    for stop in "/?#":
        index = body.find(stop)
        if 0 <= index < netloc_end:
            netloc_end = index
    inner = body.rfind("@", 0, netloc_end)
    inner_host = _host_at(body, inner) if inner >= 0 else None
    at = inner if inner_host is not None and _unmistakable(inner_host) else -1
    if at < 0:
        later = [i for i, c in enumerate(body) if c == "@" and ":" in body[:i]]
        hosts = [(i, _host_at(body, i)) for i in later]
        strong = [i for i, h in hosts if h is not None and _unmistakable(h)]
        valid = [i for i, h in hosts if h is not None]
        at = strong[0] if strong else (valid[-1] if valid else inner)
    if at < 0:
        return None
    userinfo = body[:at]
    user, colon, password = userinfo.partition(":")
    host, rest = _host_and_rest(body, at + 1)
    return Authority(scheme, user, password if colon else None, host, rest)


_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
_DOTTED = re.compile(r"^[\w%~-]+(?:\.[\w%~-]+)*\.[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]$")


def _unmistakable(hosts: str) -> bool:
    """True for a host no password fragment looks like: dotted name, IP, port, localhost."""
    first = hosts.split(",", 1)[0]
    if first.startswith("[") or re.search(r":\d+$", first):
        return True
    name = first.lower()
    return name == "localhost" or bool(_IPV4.match(name) or _DOTTED.match(name))


def _host_and_rest(body: str, start: int) -> tuple[str, str]:
    end = len(body)
    for stop in "/?#;":
        index = body.find(stop, start)
        if 0 <= index < end:
            end = index
    return body[start:end], body[end:]


def _host_at(body: str, at: int) -> str | None:
    """The host after the ``@`` at ``at`` when it is shaped like one, else None."""
    host, _rest = _host_and_rest(body, at + 1)
    return host if host and "@" not in host and _HOSTPORT.match(host) else None


def hide(text: str, secret: str, replacement: str = "***") -> str:
    """Replace every occurrence of ``secret`` in ``text`` (a password recurring as a db name).

    Values shorter than :data:`MIN_OCCURRENCE` are replaced only where they are a whole
    component of ``text`` (the text itself), so a one-letter password does not mangle it.
    """
    if not secret:
        return text
    if len(secret) < MIN_OCCURRENCE:
        return replacement if text == secret else text
    return text.replace(secret, replacement)


def mask(value: str) -> str:
    """Return a recognisable prefix and the last four characters, never more.

    URLs keep their scheme, user and host, with the password replaced; values
    too short to keep four characters safely are fully masked.
    """
    pem = _PEM_HEADER.match(value)
    if pem:  # the armour names the key type and is not secret; the body is
        return f"{pem.group(0)}…"
    url = split_authority(value)
    if url is not None and url.password is not None:
        return mask_url(url)
    match = _PREFIX.match(value)
    prefix = match.group(0) if match else ""
    if len(value) - len(prefix) < 12:
        return f"{prefix}***" if prefix else "***"
    return f"{prefix}…{value[-4:]}"


def mask_url(url: Authority) -> str:
    """``scheme://user:***@host/path``: no query, and the password nowhere (user, host, path)."""
    password = url.password or ""
    user = "/".join(hide(part, password) for part in url.user.split("/"))
    path = "/".join(hide(part, password) for part in url.rest.split("?", 1)[0].split("/"))
    host = ",".join(hide(part, password) for part in url.host.split(","))
    return f"{url.scheme}{user}:***@{host}{path}"


def fingerprint(rule_id: str, value: str) -> Fingerprint:
    """Return a keyed hash of rule and value, stable across runs, files and line moves."""
    digest = hmac.new(_FINGERPRINT_KEY, f"{rule_id}\0{value}".encode(), hashlib.sha256)
    return Fingerprint(digest.hexdigest()[:32])


class Scrubber:
    """Replaces known secret values (and their URL-encoded forms) in free text."""

    def __init__(self, secrets: Iterable[Secret | str] = ()) -> None:
        """Remember the values to scrub; values shorter than 6 characters are ignored."""
        self._values: set[str] = set()
        self._pieces: set[str] = set()
        for s in secrets:
            self.add(s)

    def add(self, secret: Secret | str) -> None:
        """Add one value to scrub; a URL also teaches its userinfo, password and their pieces.

        A driver that splits a URL at another ``@`` than the last (libpq takes the first)
        quotes part of the password as the host or the port in its error messages; each
        piece of the password between ``@ / : ? #`` is therefore scrubbed too.
        """
        from urllib.parse import quote, unquote

        value = secret.reveal() if isinstance(secret, Secret) else secret
        if len(value) >= 6:
            self._values.add(value)
            self._values.add(quote(value, safe=""))
        url = split_authority(value.strip())
        if url is None or not url.password:
            return
        for piece in {url.userinfo, url.password, unquote(url.password)}:
            if len(piece) >= 4:
                self._pieces.add(piece)
        for piece in re.split(r"[@/:?#]", url.password):
            if len(piece) >= 4:
                self._pieces.add(piece)

    def __call__(self, text: str) -> str:
        """Return ``text`` with every known value replaced by its mask."""
        for value in sorted(self._values, key=len, reverse=True):
            if value in text:
                text = text.replace(value, mask(value))
        for piece in sorted(self._pieces, key=len, reverse=True):
            if piece in text:
                text = text.replace(piece, "***")
        return scrub_urls(text)


def scrub_urls(text: str) -> str:
    """Mask the password of any ``scheme://user:password@host`` inside free text.

    The password runs to the last ``@`` before the host (see :func:`split_authority`),
    so ``P@ssw0rd`` is masked whole rather than shown from its ``@`` on.
    """
    return _URL_IN_TEXT.sub(_scrub_one, text)


def _scrub_one(match: re.Match[str]) -> str:
    token = match.group(0)
    url = split_authority(token)
    if url is None or url.password is None:
        return token
    user = url.user if len(url.password) < MIN_OCCURRENCE else hide(url.user, url.password)
    return f"{url.scheme}{user}:***@{url.host}{url.rest}"


_URL_IN_TEXT = re.compile(r"[a-z][a-z0-9+.-]*://[^\s'\"<>`]*@[^\s'\"<>`]*", re.IGNORECASE)
