"""Masking, fingerprints, scrubbing and the Secret type: what keeps values out of every output."""

from __future__ import annotations

import pickle
from urllib.parse import quote

import pytest

from agentauth.model import Secret
from agentauth.redact import Scrubber, fingerprint, mask, scrub_urls

STRIPE = "sk_live_" + "51HxYzAbCdEfGhIjKlMnOpQrStUv9f2a"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (STRIPE, "sk_live_…9f2a"),
        ("ghp_" + "a1B2" * 9, "ghp_…a1B2"),
        ("AKIA" + "QYLPMN5HWEXAMPL7", "AKIA…MPL7"),
        ("no-known-prefix-but-long-enough-value-1234", "…1234"),
        ("short", "***"),
        ("sk_live_short", "sk_live_***"),
        (
            "postgresql://owner:hunter2-long-pass@db.prod.acme.io:5432/shop?sslmode=require",
            "postgresql://owner:***@db.prod.acme.io:5432/shop",
        ),
        (
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n",
            "-----BEGIN OPENSSH PRIVATE KEY-----…",
        ),
    ],
)
def test_mask_keeps_a_prefix_and_four_characters_at_most(value: str, expected: str) -> None:
    assert mask(value) == expected


def test_fingerprint_is_stable_keyed_and_rule_specific() -> None:
    assert fingerprint("stripe-secret-key", STRIPE) == fingerprint("stripe-secret-key", STRIPE)
    assert fingerprint("stripe-secret-key", STRIPE) != fingerprint("generic-secret", STRIPE)
    import hashlib

    assert fingerprint("r", STRIPE) not in hashlib.sha256(STRIPE.encode()).hexdigest()
    assert len(fingerprint("r", STRIPE)) == 32


def test_scrubber_replaces_plain_and_url_encoded_values() -> None:
    password = "p@ss/word+with=chars"
    scrub = Scrubber([Secret(password), "tiny"])
    text = f"login failed for {password} (encoded {quote(password, safe='')}); tiny stays"
    out = scrub(text)
    assert password not in out and quote(password, safe="") not in out
    assert "tiny stays" in out  # values under 6 characters are not scrubbed (too common)


def test_scrub_urls_masks_passwords_in_free_text() -> None:
    text = "could not connect to postgres://app:s3cr3t-v4lue@10.0.0.5:5432/app: timeout"
    assert scrub_urls(text) == "could not connect to postgres://app:***@10.0.0.5:5432/app: timeout"


def test_secret_never_shows_its_value() -> None:
    secret = Secret(STRIPE)
    assert STRIPE not in repr(secret) and STRIPE not in str(secret) and STRIPE not in f"{secret}"
    assert STRIPE not in repr({"k": secret}) and secret.reveal() == STRIPE
    assert secret == Secret(STRIPE) and len(secret) == len(STRIPE)
    with pytest.raises(TypeError):
        pickle.dumps(secret)


@pytest.mark.parametrize(
    ("value", "prefix"),
    [
        ("sk-or-v1-" + "ab12" * 16, "sk-or-v1-"),
        ("gsk_" + "Ab1" * 17 + "c", "gsk_"),
        ("dp.pt." + "Zz9" * 14 + "a", "dp.pt."),
        ("lin_api_" + "q1" * 20, "lin_api_"),
    ],
)
def test_mask_keeps_the_provider_prefix(value: str, prefix: str) -> None:
    assert mask(value) == f"{prefix}…{value[-4:]}"
