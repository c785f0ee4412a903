"""Capability phantoms (Biscuit): a delegated token is refused every parent rule it lacks."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentauth.broker import capability
from agentauth.config.brokerpolicy import AllowRule, parse_rule


def _keys() -> tuple[bytes, bytes]:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    return key.private_bytes_raw(), key.public_key().public_bytes_raw()


PRIVATE, PUBLIC = _keys()
HOST = "api.example.test"
PARENT_RULES = tuple(
    parse_rule(r, i, "test")
    for i, r in enumerate(["GET /repos/acme/web/**", "POST /repos/acme/web/issues", "DELETE /x/*"])
)


def _rules(*texts: str) -> tuple[AllowRule, ...]:
    return tuple(parse_rule(t, 0, "test") for t in texts)


def _parent(expires: datetime | None = None) -> str:
    return capability.mint(PRIVATE, variable="GITHUB_TOKEN", grant_id="gh-parent1", hosts=[HOST],
                           rules=PARENT_RULES,
                           expires=expires or datetime.now(UTC) + timedelta(hours=1))  # fmt: skip


def _ok(token: str, method: str, path: str, **kw: object) -> bool:
    return capability.authorize(token, PUBLIC, host=kw.pop("host", HOST), method=method,  # type: ignore[arg-type]
                                path=path, **kw).allowed  # type: ignore[arg-type]  # fmt: skip


def test_parent_allows_its_rules_and_nothing_else() -> None:
    token = _parent()
    assert _ok(token, "GET", "/repos/acme/web/pulls/1")
    assert _ok(token, "POST", "/repos/acme/web/issues")
    assert not _ok(token, "POST", "/repos/acme/web/pulls")
    assert not _ok(token, "GET", "/repos/acme/other")
    assert not _ok(token, "GET", "/repos/acme/web/pulls/1", host="evil.test")
    decision = capability.authorize(token, PUBLIC, host=HOST, method="GET", path="/repos/acme/web")
    assert decision.variable == "GITHUB_TOKEN" and decision.grant_id == "gh-parent1"


def test_child_is_refused_every_parent_rule_it_was_not_given() -> None:
    parent = _parent()
    child = capability.attenuate(parent, PUBLIC, rules=_rules("GET /repos/acme/web/**"),
                                 expires=datetime.now(UTC) + timedelta(minutes=10))  # fmt: skip
    assert _ok(child, "GET", "/repos/acme/web/contents/README.md")
    assert _ok(parent, "POST", "/repos/acme/web/issues")
    refused = capability.authorize(child, PUBLIC, host=HOST, method="POST",
                                   path="/repos/acme/web/issues")  # fmt: skip
    assert not refused.allowed and "delegation block 1" in refused.reason
    assert not _ok(child, "DELETE", "/x/y")


def test_a_child_cannot_widen_by_appending_a_broader_block() -> None:
    child = capability.attenuate(_parent(), PUBLIC, rules=_rules("GET /repos/acme/web/**"),
                                 expires=datetime.now(UTC) + timedelta(minutes=10))  # fmt: skip
    wider = capability.attenuate(child, PUBLIC, rules=_rules("* /**"),
                                 expires=datetime.now(UTC) + timedelta(days=9))  # fmt: skip
    assert not _ok(wider, "POST", "/repos/acme/web/issues")
    assert not _ok(wider, "GET", "/anything")
    later = datetime.now(UTC) + timedelta(minutes=11)
    assert not _ok(wider, "GET", "/repos/acme/web/x", now=later)


def test_expiry_and_revocation_of_the_parent_stop_the_child() -> None:
    parent = _parent(datetime.now(UTC) + timedelta(minutes=5))
    child = capability.attenuate(parent, PUBLIC, rules=_rules("GET /repos/acme/web/**"),
                                 expires=datetime.now(UTC) + timedelta(hours=5))  # fmt: skip
    assert not _ok(child, "GET", "/repos/acme/web/x", now=datetime.now(UTC) + timedelta(minutes=6))
    parent_ids = capability.verify_token(parent, PUBLIC).revocation_ids
    assert not _ok(child, "GET", "/repos/acme/web/x", revoked={parent_ids[0]})
    child_ids = capability.verify_token(child, PUBLIC).revocation_ids
    assert _ok(parent, "GET", "/repos/acme/web/x", revoked={child_ids[-1]})


def test_forged_or_foreign_tokens_are_refused() -> None:
    token = _parent()
    other_private, _ = _keys()
    foreign = capability.mint(other_private, variable="GITHUB_TOKEN", grant_id="x", hosts=[HOST],
                              rules=_rules("* /**"),
                              expires=datetime.now(UTC) + timedelta(hours=1))  # fmt: skip
    assert not _ok(foreign, "GET", "/repos/acme/web/x")
    flipped = token[:40] + ("A" if token[40] != "A" else "B") + token[41:]
    assert not _ok(flipped, "GET", "/repos/acme/web/x")
    assert not _ok("garbage", "GET", "/")


def test_phantom_form_round_trips() -> None:
    token = _parent()
    value = capability.phantom("ghs_", token)
    assert value.startswith("ghs_AGENTAUTHcap_")
    assert capability.token_of(value) == token and capability.prefix_of(value) == "ghs_"
    assert capability.token_of("ghs_plainvalue") is None


# --------------------------------------------------------------------------- property

SEGMENTS = st.sampled_from(["a", "b", "repos", "acme", "web", "1"])
METHODS = st.sampled_from(["GET", "POST", "DELETE", "*"])


@st.composite
def rules(draw: st.DrawFn) -> AllowRule:
    parts = draw(st.lists(st.one_of(SEGMENTS, st.just("*")), min_size=1, max_size=3))
    tail = draw(st.sampled_from(["", "/**"]))
    return parse_rule(f"{draw(METHODS)} /{'/'.join(parts)}{tail}", 0, "prop")


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, str]:
    method = draw(st.sampled_from(["GET", "POST", "DELETE"]))
    parts = draw(st.lists(SEGMENTS, min_size=1, max_size=4))
    return method, "/" + "/".join(parts)


ROOT = _parent()


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    parent_rules=st.lists(rules(), min_size=1, max_size=3),
    chain=st.lists(st.lists(rules(), min_size=0, max_size=3), min_size=1, max_size=3),
    probes=st.lists(requests(), min_size=1, max_size=4),
)
def test_every_request_a_child_may_make_its_parent_may_make(
    parent_rules: list[AllowRule], chain: list[list[AllowRule]], probes: list[tuple[str, str]]
) -> None:
    expires = datetime.now(UTC) + timedelta(hours=1)
    tokens = [capability.mint(PRIVATE, variable="V", grant_id="g", hosts=[HOST],
                              rules=parent_rules, expires=expires)]  # fmt: skip
    for block in chain:
        tokens.append(capability.attenuate(tokens[-1], PUBLIC, rules=block, expires=expires))
    for method, path in probes:
        allowed = [_ok(t, method, path) for t in tokens]
        for parent_ok, child_ok in itertools.pairwise(allowed):
            assert parent_ok or not child_ok, (method, path)
        # and the root allows exactly what its rules say (the Datalog matches the glob)
        assert allowed[0] == any(r.matches(method, path) for r in parent_rules)


@pytest.mark.parametrize("n", [1, 3])
def test_verification_is_cached_but_revocation_is_not(n: int) -> None:
    token = ROOT
    for _ in range(n):
        assert _ok(token, "GET", "/repos/acme/web")
    ids = capability.verify_token(token, PUBLIC).revocation_ids
    assert not _ok(token, "GET", "/repos/acme/web", revoked=set(ids))
