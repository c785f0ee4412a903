"""The Stripe provider through the real stripe client against a stub speaking Stripe's shapes."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from tests.findingkit import verify_finding

from agentauth.errors import ConfigError, NonInteractiveError, ProviderError
from agentauth.model import (
    Environment,
    Finding,
    GrantStatus,
    Secret,
    Severity,
)
from agentauth.providers import get
from agentauth.providers.base import VerifyContext
from agentauth.providers.stripe.probe import RESOURCES, dashboard_url
from agentauth.providers.stripe.provider import PROVIDER

LIVE_SK = "sk_live_51Hx" + "Q" * 90 + "9f2a"
TEST_SK = "sk_test_51Hx" + "T" * 90 + "7b1c"
GOOD_RK = "rk_test_51Hx" + "G" * 90 + "abcd"
WIDE_RK = "rk_test_51Hx" + "W" * 90 + "wide"
NARROW_RK = "rk_test_51Hx" + "N" * 90 + "narr"
LIVE_RK = "rk_live_51Hx" + "L" * 90 + "live"
SUPPORT = {"customers": "read", "charges": "read", "refunds": "none"}


def _restricted(stripe_entry: Any, stripe_stub: Any, **extra: Any) -> Any:
    return stripe_entry(
        mode="restricted", permissions=dict(SUPPORT), api_base=stripe_stub.base, **extra
    )


def _finding(value: str, environment: Environment = Environment.LIVE) -> Finding:
    return verify_finding("stripe", "stripe-key", "STRIPE_SECRET_KEY", value, environment)


def test_registry_returns_the_stripe_provider() -> None:
    assert get("stripe") is PROVIDER


# ---------------------------------------------------------------------------- mode: test


def test_test_mode_uses_the_test_key_and_never_the_live_one(
    stripe_entry: Any, stripe_ctx: Any
) -> None:
    entry = stripe_entry(mode="test")
    ctx = stripe_ctx(entry, {"STRIPE_SECRET_KEY": LIVE_SK, "STRIPE_TEST_SECRET_KEY": TEST_SK})
    plan = PROVIDER.plan(entry, ctx)
    assert "STRIPE_TEST_SECRET_KEY" in plan.steps[0].summary
    applied = PROVIDER.apply(plan, ctx)
    assert applied.env == {"STRIPE_SECRET_KEY": Secret(TEST_SK)}
    assert applied.grant.status is GrantStatus.ACTIVE
    assert applied.grant.revocable is False
    everything = repr(plan) + repr(applied) + repr(applied.grant) + plan.grant.scope
    assert LIVE_SK not in everything
    assert TEST_SK not in everything
    assert LIVE_SK[-20:] not in everything


def test_test_mode_takes_the_variable_itself_when_it_is_a_test_key(
    stripe_entry: Any, stripe_ctx: Any
) -> None:
    entry = stripe_entry(mode="test")
    ctx = stripe_ctx(entry, {"STRIPE_SECRET_KEY": GOOD_RK, "OTHER": TEST_SK})
    plan = PROVIDER.plan(entry, ctx)
    assert plan.private["source"] == "STRIPE_SECRET_KEY"
    assert PROVIDER.apply(plan, ctx).env["STRIPE_SECRET_KEY"] == Secret(GOOD_RK)


def test_test_mode_finds_a_test_key_under_any_name(stripe_entry: Any, stripe_ctx: Any) -> None:
    entry = stripe_entry(mode="test")
    ctx = stripe_ctx(entry, {"STRIPE_SECRET_KEY": LIVE_SK, "PAYMENTS_SANDBOX": TEST_SK})
    assert PROVIDER.plan(entry, ctx).private["source"] == "PAYMENTS_SANDBOX"


def test_test_mode_without_a_test_key_points_at_the_dashboard(
    stripe_entry: Any, stripe_ctx: Any
) -> None:
    entry = stripe_entry(mode="test")
    ctx = stripe_ctx(entry, {"STRIPE_SECRET_KEY": LIVE_SK, "STRIPE_PK": "pk_test_" + "x" * 30})
    with pytest.raises(ConfigError) as info:
        PROVIDER.plan(entry, ctx)
    text = str(info.value)
    assert "https://dashboard.stripe.com/test/apikeys" in text
    assert "live key, which is never given to an agent" in text
    assert "line 20: credentials." in text
    assert LIVE_SK not in text


# ---------------------------------------------------------------------------- mode: restricted


def test_restricted_plan_prefills_the_dashboard_url(
    stripe_entry: Any, stripe_ctx: Any, stripe_stub: Any
) -> None:
    entry = _restricted(stripe_entry, stripe_stub)
    plan = PROVIDER.plan(entry, stripe_ctx(entry, {}))
    url = urlsplit(plan.steps[0].detail)
    assert url.netloc == "dashboard.stripe.com"
    assert url.path == "/test/apikeys/create"
    query = parse_qs(url.query)
    assert query["name"] == ["agentauth-claude-code"]
    assert sorted(query["permissions[]"]) == ["rak_charge_read", "rak_customer_read"]
    assert plan.grant.revocable is False
    assert plan.manual is not None and plan.steps[0].detail in plan.manual
    assert stripe_stub.requests == []  # planning is offline


def test_restricted_accepts_a_correctly_restricted_key(
    stripe_entry: Any, stripe_ctx: Any, stripe_stub: Any, FakePrompter: Any, MemoryStore: Any
) -> None:
    stripe_stub.allow(GOOD_RK, "customers", "charges")
    entry = _restricted(stripe_entry, stripe_stub)
    prompter, store = FakePrompter(GOOD_RK), MemoryStore()
    ctx = stripe_ctx(entry, {"STRIPE_SECRET_KEY": LIVE_SK}, prompter=prompter, store=store)
    plan = PROVIDER.plan(entry, ctx)
    applied = PROVIDER.apply(plan, ctx)
    assert applied.env == {"STRIPE_SECRET_KEY": Secret(GOOD_RK)}
    assert list(store.values.values()) == [Secret(GOOD_RK)]
    assert applied.grant.objects["key"] == "rk_test_…abcd"
    assert any("dashboard.stripe.com/test/apikeys/create" in m for m in prompter.shown)
    # every probe is a harmless GET, lists asked for one item
    assert {m for m, _p, _q, _k in stripe_stub.requests} == {"GET"}
    assert {p for _m, p, _q, _k in stripe_stub.requests} == {r.path for r in RESOURCES.values()}
    assert all(q == {"limit": "1"} for _m, p, q, _k in stripe_stub.requests if p != "/v1/balance")
    shown = " ".join(prompter.shown) + repr(applied.grant)
    assert GOOD_RK not in shown and LIVE_SK not in shown


def test_restricted_refuses_an_unrestricted_secret_key(
    stripe_entry: Any, stripe_ctx: Any, stripe_stub: Any, FakePrompter: Any
) -> None:
    stripe_stub.allow(TEST_SK, "*")
    entry = _restricted(stripe_entry, stripe_stub)
    ctx = stripe_ctx(entry, {}, prompter=FakePrompter(TEST_SK))
    with pytest.raises(ProviderError) as info:
        PROVIDER.apply(PROVIDER.plan(entry, ctx), ctx)
    assert "unrestricted secret key" in str(info.value)
    assert TEST_SK not in str(info.value)


def test_restricted_refuses_a_key_that_reads_more_than_granted(
    stripe_entry: Any, stripe_ctx: Any, stripe_stub: Any, FakePrompter: Any, MemoryStore: Any
) -> None:
    stripe_stub.allow(WIDE_RK, "customers", "charges", "refunds", "payouts")
    entry = _restricted(stripe_entry, stripe_stub)
    store = MemoryStore()
    ctx = stripe_ctx(entry, {}, prompter=FakePrompter(WIDE_RK), store=store)
    with pytest.raises(ProviderError) as info:
        PROVIDER.apply(PROVIDER.plan(entry, ctx), ctx)
    assert "can read refunds, payouts, which the policy does not grant" in str(info.value)
    assert WIDE_RK not in str(info.value)
    assert store.values == {}


def test_restricted_refuses_a_key_that_lacks_a_granted_read(
    stripe_entry: Any, stripe_ctx: Any, stripe_stub: Any, FakePrompter: Any
) -> None:
    stripe_stub.allow(NARROW_RK, "customers")
    entry = _restricted(stripe_entry, stripe_stub)
    ctx = stripe_ctx(entry, {}, prompter=FakePrompter(NARROW_RK))
    with pytest.raises(ProviderError) as info:
        PROVIDER.apply(PROVIDER.plan(entry, ctx), ctx)
    assert "cannot read charges (rak_charge_read)" in str(info.value)


def test_restricted_refuses_the_wrong_mode(
    stripe_entry: Any, stripe_ctx: Any, stripe_stub: Any, FakePrompter: Any
) -> None:
    stripe_stub.allow(LIVE_RK, "customers", "charges")
    entry = _restricted(stripe_entry, stripe_stub)
    ctx = stripe_ctx(entry, {}, prompter=FakePrompter(LIVE_RK))
    with pytest.raises(ProviderError) as info:
        PROVIDER.apply(PROVIDER.plan(entry, ctx), ctx)
    assert "live-mode key but the policy asks for test mode" in str(info.value)
    assert stripe_stub.requests == []


def test_restricted_live_mode_accepts_a_live_restricted_key(
    stripe_entry: Any, stripe_ctx: Any, stripe_stub: Any, FakePrompter: Any
) -> None:
    stripe_stub.allow(LIVE_RK, "customers", "charges")
    entry = _restricted(stripe_entry, stripe_stub, environment="live")
    ctx = stripe_ctx(entry, {}, prompter=FakePrompter(LIVE_RK))
    plan = PROVIDER.plan(entry, ctx)
    assert "https://dashboard.stripe.com/apikeys/create?" in plan.steps[0].detail
    assert PROVIDER.apply(plan, ctx).env["STRIPE_SECRET_KEY"] == Secret(LIVE_RK)


@pytest.mark.parametrize("status", [429, 500, 503])
def test_restricted_rate_limit_or_server_error_is_not_a_verdict(
    status: int, stripe_entry: Any, stripe_ctx: Any, stripe_stub: Any, FakePrompter: Any
) -> None:
    stripe_stub.force(GOOD_RK, status)
    entry = _restricted(stripe_entry, stripe_stub)
    ctx = stripe_ctx(entry, {}, prompter=FakePrompter(GOOD_RK))
    with pytest.raises(ProviderError) as info:
        PROVIDER.apply(PROVIDER.plan(entry, ctx), ctx)
    assert f"could not verify rk_test_…abcd: Stripe answered {status}" in str(info.value)
    assert "try again later" in str(info.value)


def test_restricted_invalid_key(
    stripe_entry: Any, stripe_ctx: Any, stripe_stub: Any, FakePrompter: Any
) -> None:
    entry = _restricted(stripe_entry, stripe_stub)
    ctx = stripe_ctx(entry, {}, prompter=FakePrompter(GOOD_RK))  # the stub does not know it
    with pytest.raises(ProviderError, match="invalid"):
        PROVIDER.apply(PROVIDER.plan(entry, ctx), ctx)
    assert len(stripe_stub.requests) == 1  # stops at the first 401


def test_restricted_without_a_prompter_is_a_clear_non_interactive_error(
    stripe_entry: Any, stripe_ctx: Any, stripe_stub: Any
) -> None:
    entry = _restricted(stripe_entry, stripe_stub)
    ctx = stripe_ctx(entry, {})
    with pytest.raises(NonInteractiveError, match="pipe the rk_"):
        PROVIDER.apply(PROVIDER.plan(entry, ctx), ctx)


def test_a_key_kept_in_the_keyring_is_reused_when_it_still_verifies(
    stripe_entry: Any, stripe_ctx: Any, stripe_stub: Any, FakePrompter: Any, MemoryStore: Any
) -> None:
    stripe_stub.allow(GOOD_RK, "customers", "charges")
    entry = _restricted(stripe_entry, stripe_stub)
    store = MemoryStore()
    first = stripe_ctx(entry, {}, prompter=FakePrompter(GOOD_RK), store=store)
    PROVIDER.apply(PROVIDER.plan(entry, first), first)
    second = stripe_ctx(entry, {}, prompter=FakePrompter(), store=store)  # no answers
    applied = PROVIDER.apply(PROVIDER.plan(entry, second), second)
    assert applied.env["STRIPE_SECRET_KEY"] == Secret(GOOD_RK)
    assert "reused" in applied.notes[0]


def test_revoke_forgets_the_key_and_says_where_to_delete_it(
    stripe_entry: Any, stripe_ctx: Any, stripe_stub: Any, FakePrompter: Any, MemoryStore: Any
) -> None:
    stripe_stub.allow(GOOD_RK, "customers", "charges")
    entry = _restricted(stripe_entry, stripe_stub)
    store = MemoryStore()
    ctx = stripe_ctx(entry, {}, prompter=FakePrompter(GOOD_RK), store=store)
    applied = PROVIDER.apply(PROVIDER.plan(entry, ctx), ctx)
    result = PROVIDER.revoke(applied.grant, ctx)
    assert result.ok
    assert store.values == {}
    assert result.manual is not None
    assert "https://dashboard.stripe.com/test/apikeys" in result.manual
    assert "rk_test_…abcd" in result.manual
    assert PROVIDER.revoke(applied.grant, ctx).ok  # twice is fine


# ---------------------------------------------------------------------------- options


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        ({"mode": "live"}, "mode: 'live' is not one of"),
        ({"mode": "test", "permissions": {"charges": "read"}}, "only applies to mode: restricted"),
        ({"mode": "restricted"}, "needs permissions"),
        ({"mode": "restricted", "permissions": {"everything": "read"}}, "unknown resource"),
        ({"mode": "restricted", "permissions": {"charges": "admin"}}, "not one of"),
        ({"mode": "restricted", "permissions": {"balance": "write"}}, "not one of read, none"),
        ({"mode": "restricted", "permissions": {"charges": "none"}}, "grants nothing"),
        (
            {"mode": "restricted", "permissions": {"charges": "read"}, "environment": "prod"},
            "test or live",
        ),
        ({"api_base": "ftp://x"}, "api_base"),
        ({"scopes": ["x"]}, "unknown option 'scopes'"),
    ],
)
def test_bad_options_name_the_key_and_line(
    options: dict[str, Any], needle: str, stripe_entry: Any
) -> None:
    with pytest.raises(ConfigError) as info:
        PROVIDER.validate(stripe_entry(line=31, **options))
    assert "line 31: credentials." in str(info.value)
    assert needle in str(info.value)


def test_dashboard_url_writes_imply_the_write_permission() -> None:
    url = dashboard_url("agentauth-x", {"refunds": "write", "customers": "read"}, live=True)
    query = parse_qs(urlsplit(url).query)
    assert sorted(query["permissions[]"]) == ["rak_customer_read", "rak_refund_write"]
    assert url.startswith("https://dashboard.stripe.com/apikeys/create?")


# ---------------------------------------------------------------------------- verify


def _vctx(stripe_stub: Any) -> VerifyContext:
    return VerifyContext(related={}, environ={"AGENTAUTH_STRIPE_API_BASE": stripe_stub.base})


def test_verify_a_live_secret_key_is_critical(stripe_stub: Any) -> None:
    stripe_stub.allow(LIVE_SK, "*")
    result = PROVIDER.verify(_finding(LIVE_SK), _vctx(stripe_stub))
    assert result.status == "valid"
    assert result.summary == "unrestricted secret key (live mode): full API access"
    assert result.severity is Severity.CRITICAL
    assert "move-money" in result.capabilities
    assert [p for _m, p, _q, _k in stripe_stub.requests] == ["/v1/balance"]


def test_verify_a_test_secret_key_keeps_the_offline_severity(stripe_stub: Any) -> None:
    stripe_stub.allow(TEST_SK, "*")
    result = PROVIDER.verify(_finding(TEST_SK, Environment.TEST), _vctx(stripe_stub))
    assert result.status == "valid"
    assert result.severity is None


def test_verify_a_restricted_key_maps_403_to_missing_permissions(stripe_stub: Any) -> None:
    stripe_stub.allow(GOOD_RK, "customers", "charges")
    result = PROVIDER.verify(_finding(GOOD_RK), _vctx(stripe_stub))
    assert result.status == "valid"
    assert result.capabilities == ("read-customer-data",)
    assert result.details["allowed"] == ["charges", "customers"]
    assert result.details["denied"]["refunds"] == "rak_refund_read"
    assert "denied: balance (rak_balance_read)" in result.summary
    assert GOOD_RK not in repr(result)


def test_verify_invalid_and_rate_limited(stripe_stub: Any) -> None:
    invalid = PROVIDER.verify(_finding(GOOD_RK), _vctx(stripe_stub))
    assert invalid.status == "invalid"
    stripe_stub.force(WIDE_RK, 429)
    limited = PROVIDER.verify(_finding(WIDE_RK), _vctx(stripe_stub))
    assert limited.status == "unknown"
    assert limited.capabilities == ()
    stripe_stub.force(LIVE_SK, 429)
    assert PROVIDER.verify(_finding(LIVE_SK), _vctx(stripe_stub)).status == "unknown"


def test_verify_keys_that_cannot_be_probed(stripe_stub: Any) -> None:
    ctx = _vctx(stripe_stub)
    assert PROVIDER.verify(_finding("pk_live_" + "p" * 40), ctx).status == "unknown"
    webhook = PROVIDER.verify(_finding("whsec_" + "w" * 32), ctx)
    assert webhook.capabilities == ("forge-webhooks",)
    assert stripe_stub.requests == []


def test_verify_an_unreachable_api_is_unknown() -> None:
    ctx = VerifyContext(
        related={}, environ={"AGENTAUTH_STRIPE_API_BASE": "http://127.0.0.1:1"}, timeout=2.0
    )
    result = PROVIDER.verify(_finding(LIVE_SK), ctx)
    assert result.status == "unknown"
    assert LIVE_SK not in result.summary
