"""The Stripe provider: the developer's test key, or a verified restricted key, never a live secret.

Stripe offers no API that creates restricted keys for an ordinary account (the
``/v2/iam/api_keys`` endpoint is a private preview for Stripe Apps), so
``mode: restricted`` is a guided path: agentauth prints a pre-filled Dashboard URL,
reads the pasted ``rk_`` key, and proves by read-only probes that it is restricted,
in the expected mode, and unable to read what the policy did not grant.
``mode: test`` hands the agent the developer's own test-mode key and refuses live keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, ClassVar

from agentauth.errors import ConfigError, NonInteractiveError, ProviderError
from agentauth.model import (
    Applied,
    CredentialPolicy,
    Environment,
    Finding,
    Grant,
    GrantStatus,
    Plan,
    PlanStep,
    RevokeResult,
    Secret,
    Severity,
    Verification,
)
from agentauth.providers import kit as grantkit
from agentauth.providers.base import ProviderContext, VerifyContext
from agentauth.providers.stripe.probe import (
    API_BASE_ENV,
    DEFAULT_API_BASE,
    RESOURCES,
    Probe,
    dashboard_url,
    key_kind,
    keys_page,
    probe,
)
from agentauth.redact import mask

OPTIONS = ("mode", "permissions", "environment", "api_base")
MODES = ("test", "restricted")
LEVELS = ("read", "write", "none")
# Conventional names for a test key kept beside the live one, in the order tried.
TEST_KEY_VARIABLES = (
    "STRIPE_TEST_SECRET_KEY",
    "STRIPE_TEST_KEY",
    "STRIPE_SECRET_KEY_TEST",
    "STRIPE_TEST_API_KEY",
    "STRIPE_API_KEY_TEST",
)
_FULL_ACCESS = ("move-money", "read-customer-data", "write-production-data")

PRESETS: dict[str, dict[str, object]] = {
    "support": {
        "mode": "restricted",
        "permissions": {"customers": "read", "charges": "read", "invoices": "read"},
    },
    "reporting": {
        "mode": "restricted",
        "permissions": {"balance": "read", "charges": "read", "payouts": "read"},
    },
    "test": {"mode": "test"},
}


def _api_base(entry: CredentialPolicy) -> str:
    return str(entry.options.get("api_base") or DEFAULT_API_BASE)


def _store_name(ctx: ProviderContext, variable: str) -> str:
    from agentauth.state.paths import project_dir

    return f"{project_dir(ctx.project_root).name}/agent/{variable}"


def _is_test_secret(value: Secret) -> bool:
    kind, mode = key_kind(value.reveal())
    return kind in ("secret", "restricted") and mode == "test"


def find_test_key(entry: CredentialPolicy, source_env: Mapping[str, Secret]) -> str | None:
    """Return the name of the source variable holding a test-mode secret or restricted key."""
    own = source_env.get(entry.variable)
    if own is not None and _is_test_secret(own):
        return entry.variable
    for name in TEST_KEY_VARIABLES:
        value = source_env.get(name)
        if value is not None and _is_test_secret(value):
            return name
    for name in sorted(source_env):
        if _is_test_secret(source_env[name]):
            return name
    return None


def check_restricted(
    key: Secret, permissions: Mapping[str, str], *, live: bool, api_base: str, timeout: float = 10.0
) -> list[Probe]:
    """Prove ``key`` is the restricted key the policy describes; raise ProviderError otherwise.

    Every curated resource is probed: granted ones must answer 200, the others 403.
    Returns the probes (for the grant's scope line).
    """
    kind, mode = key_kind(key.reveal())
    expected = "live" if live else "test"
    shown = mask(key.reveal())
    if kind == "secret":
        raise ProviderError(
            f"{shown} is an unrestricted secret key (full API access); create a restricted "
            "key (rk_…) at the URL above and paste that instead"
        )
    if kind != "restricted":
        raise ProviderError(
            f"{shown} is not a Stripe restricted key (rk_{expected}_…); paste the key the "
            "Dashboard shows after you create it"
        )
    if mode != expected:
        raise ProviderError(
            f"{shown} is a {mode}-mode key but the policy asks for {expected} mode "
            f"(environment: {expected}); create the key in {expected} mode"
        )
    results = probe(key, RESOURCES, api_base=api_base, timeout=timeout)
    invalid = [p for p in results.values() if p.outcome == "invalid"]
    if invalid:
        raise ProviderError(f"Stripe rejected {shown} as invalid (401); check what you pasted")
    unknown = [p for p in results.values() if p.outcome == "unknown"]
    if unknown:
        first = unknown[0]
        raise ProviderError(
            f"could not verify {shown}: Stripe answered {first.http_status or 'nothing'} for "
            f"{first.resource} ({first.message}); try again later"
        )
    too_much = [
        r
        for r, p in results.items()
        if p.outcome == "allowed" and permissions.get(r, "none") == "none"
    ]
    if too_much:
        raise ProviderError(
            f"{shown} can read {', '.join(too_much)}, which the policy does not grant; "
            "edit the key in the Dashboard to set those to None, or grant them in agentauth.yaml"
        )
    missing = [
        f"{r} ({p.missing or 'read'})"
        for r, p in results.items()
        if p.outcome == "denied" and permissions.get(r, "none") != "none"
    ]
    if missing:
        raise ProviderError(
            f"{shown} cannot read {', '.join(missing)}, which the policy grants; "
            "edit the key in the Dashboard to add them"
        )
    return list(results.values())


class StripeProvider:
    """Hands agents a Stripe test key or a verified restricted key; never creates live secrets."""

    name: ClassVar[str] = "stripe"

    def validate(self, entry: CredentialPolicy) -> CredentialPolicy:
        """Check mode, permissions (a curated list of resources), environment and api_base."""
        grantkit.check_keys(entry, OPTIONS)
        at = grantkit.where(entry)
        mode = entry.options.get("mode", "test")
        if mode not in MODES:
            raise ConfigError(f"{at}.mode: {mode!r} is not one of {', '.join(MODES)}")
        options: dict[str, Any] = {"mode": mode}
        api_base = entry.options.get("api_base")
        if api_base is not None:
            if not isinstance(api_base, str) or not api_base.startswith(("https://", "http://")):
                raise ConfigError(f"{at}.api_base: expected an http(s) URL like {DEFAULT_API_BASE}")
            options["api_base"] = api_base.rstrip("/")
        if mode == "test":
            for key in ("permissions", "environment"):
                if key in entry.options:
                    raise ConfigError(f"{at}.{key}: only applies to mode: restricted")
            return replace(entry, options=options)
        environment = entry.options.get("environment", "test")
        if environment not in ("test", "live"):
            raise ConfigError(f"{at}.environment: expected test or live, got {environment!r}")
        raw = entry.options.get("permissions")
        if not isinstance(raw, Mapping) or not raw:
            raise ConfigError(
                f"{at}.permissions: mode: restricted needs permissions, e.g. "
                "{customers: read, charges: read}"
            )
        permissions: dict[str, str] = {}
        for resource, level in raw.items():
            if resource not in RESOURCES:
                raise ConfigError(
                    f"{at}.permissions: unknown resource {resource!r}; known: "
                    f"{', '.join(sorted(RESOURCES))}"
                )
            if level not in LEVELS or (level == "write" and not RESOURCES[resource].writable):
                allowed = LEVELS if RESOURCES[resource].writable else ("read", "none")
                raise ConfigError(
                    f"{at}.permissions.{resource}: {level!r} is not one of {', '.join(allowed)}"
                )
            permissions[str(resource)] = str(level)
        if all(level == "none" for level in permissions.values()):
            raise ConfigError(f"{at}.permissions: grants nothing; give at least one read")
        options.update(environment=environment, permissions=permissions)
        return replace(entry, options=options)

    # ------------------------------------------------------------------ plan / apply

    def plan(self, entry: CredentialPolicy, ctx: ProviderContext) -> Plan:
        """Plan offline: which test key to copy, or the Dashboard URL of the restricted key."""
        entry = self.validate(entry)
        if entry.options["mode"] == "test":
            return self._plan_test(entry, ctx)
        live = entry.options["environment"] == "live"
        permissions: dict[str, str] = entry.options["permissions"]
        granted = {r: lvl for r, lvl in permissions.items() if lvl != "none"}
        url = dashboard_url(f"agentauth-{ctx.policy.agent}", granted, live=live)
        scope = ", ".join(f"{r}: {lvl}" for r, lvl in sorted(granted.items()))
        manual = (
            "Stripe has no API to create restricted keys. Open this URL, check the "
            f"permissions, click Create key, then paste the rk_{'live' if live else 'test'}_… "
            f"key when asked:\n{url}"
        )
        grant = grantkit.pending_grant(
            entry,
            ctx,
            scope=f"restricted {'live' if live else 'test'}-mode key: {scope}",
            objects={
                "mode": "restricted",
                "environment": "live" if live else "test",
                "permissions": dict(granted),
                "store": _store_name(ctx, entry.variable),
            },
            revocable=False,
            long_lived=True,
        )
        warnings = []
        if any(lvl == "write" for lvl in granted.values()):
            warnings.append(
                "write permissions cannot be verified without writing; agentauth checks reads"
            )
        return Plan(
            variable=entry.variable,
            provider=self.name,
            grant=grant,
            steps=(
                PlanStep("create a restricted key in the Stripe Dashboard (by hand)", url),
                PlanStep(
                    "paste the key; agentauth probes it read-only",
                    "granted resources must be readable, every other curated resource "
                    f"must answer 403 ({', '.join(sorted(RESOURCES))})",
                ),
                PlanStep(f"keep it in the keyring and write {entry.variable} to .env.ai"),
            ),
            outputs=(entry.variable,),
            warnings=tuple(warnings),
            manual=manual,
            private={"api_base": _api_base(entry), "live": live, "permissions": permissions},
        )

    def _plan_test(self, entry: CredentialPolicy, ctx: ProviderContext) -> Plan:
        source = find_test_key(entry, ctx.source_env)
        if source is None:
            own = ctx.source_env.get(entry.variable)
            live = own is not None and key_kind(own.reveal())[1] == "live"
            raise ConfigError(
                f"{grantkit.where(entry)}: no Stripe test-mode key (sk_test_… or rk_test_…) in "
                f"{ctx.policy.source}"
                + (
                    f"; {entry.variable} holds a live key, which is never given to an agent"
                    if live
                    else ""
                )
                + f". Copy the test key from {keys_page(live=False)} into {ctx.policy.source} "
                "as STRIPE_TEST_SECRET_KEY, or use mode: restricted"
            )
        key = ctx.source_env[source]
        grant = grantkit.pending_grant(
            entry,
            ctx,
            scope=f"test-mode key from {source} ({mask(key.reveal())})",
            objects={"mode": "test", "source": source, "key": mask(key.reveal())},
            revocable=False,
            long_lived=True,
        )
        return Plan(
            variable=entry.variable,
            provider=self.name,
            grant=grant,
            steps=(
                PlanStep(
                    f"write the test-mode key from {source} to .env.ai as {entry.variable}",
                    "test mode moves no real money; live keys are never copied",
                ),
            ),
            outputs=(entry.variable,),
            private={"source": source},
        )

    def apply(self, plan: Plan, ctx: ProviderContext) -> Applied:
        """Copy the test key, or read, verify and keep the pasted restricted key."""
        if plan.grant.objects.get("mode") == "test":
            source = str(plan.private["source"])
            key = ctx.source_env.get(source)
            if key is None or not _is_test_secret(key):
                raise ConfigError(f"{source} no longer holds a test-mode key; run provision again")
            return Applied(
                grant=replace(plan.grant, status=GrantStatus.ACTIVE), env={plan.variable: key}
            )
        return self._apply_restricted(plan, ctx)

    def _apply_restricted(self, plan: Plan, ctx: ProviderContext) -> Applied:
        live = bool(plan.private["live"])
        permissions: dict[str, str] = plan.private["permissions"]
        api_base = str(plan.private["api_base"])
        store_name = str(plan.grant.objects["store"])
        notes: list[str] = []
        key = self._stored_key(ctx, store_name, permissions, live, api_base)
        if key is not None:
            notes.append("reused the restricted key kept in the keyring (it still verifies)")
        else:
            if ctx.prompter is None:
                raise NonInteractiveError(
                    f"{plan.variable}: a restricted key must be pasted; run provision in a "
                    "terminal or pipe the rk_… key into its standard input"
                )
            ctx.prompter.info(plan.manual or "")
            expected = "rk_live_" if live else "rk_test_"
            key = ctx.prompter.secret(f"Paste the restricted key ({expected}…) for {plan.variable}")
            check_restricted(key, permissions, live=live, api_base=api_base)
            if ctx.store is not None:
                try:
                    ctx.store.set(store_name, key)
                except ConfigError as exc:
                    ctx.warn(
                        f"could not keep the key in the keyring ({str(exc).splitlines()[0]}); "
                        ".env.ai holds the only copy"
                    )
        objects = dict(plan.grant.objects)
        objects["key"] = mask(key.reveal())
        return Applied(
            grant=replace(plan.grant, status=GrantStatus.ACTIVE, objects=objects),
            env={plan.variable: key},
            notes=tuple(notes),
        )

    def _stored_key(
        self,
        ctx: ProviderContext,
        name: str,
        permissions: Mapping[str, str],
        live: bool,
        api_base: str,
    ) -> Secret | None:
        if ctx.store is None:
            return None
        try:
            stored = ctx.store.get(name)
        except ConfigError:
            return None
        if stored is None:
            return None
        try:
            check_restricted(stored, permissions, live=live, api_base=api_base)
        except ProviderError as exc:
            ctx.warn(f"the key kept in the keyring no longer fits the policy: {exc}")
            return None
        return stored

    def mint(self, grant: Grant, ctx: ProviderContext) -> Applied | None:
        """Stripe keys are long-lived; nothing is minted per run."""
        return None

    def revoke(self, grant: Grant, ctx: ProviderContext) -> RevokeResult:
        """Forget the key (keyring) and say where to roll or delete it: only the Dashboard can."""
        live = grant.objects.get("environment") == "live"
        if grant.objects.get("mode") == "test":
            return RevokeResult(
                grant.id,
                True,
                f"nothing was created: the agent had your own test-mode key "
                f"({grant.objects.get('key', 'sk_test_…')}); roll it if it should stop working",
                manual=f"Roll the test key at {keys_page(live=False)}",
            )
        store = grant.objects.get("store")
        if store and ctx.store is not None:
            try:
                ctx.store.delete(str(store))
            except ConfigError as exc:
                ctx.warn(f"could not delete the keyring entry {store}: {exc}")
        key = grant.objects.get("key", "rk_…")
        return RevokeResult(
            grant.id,
            True,
            f"agentauth forgot the restricted key {key}; it keeps working until you delete it "
            "in the Stripe Dashboard (no API can)",
            manual=f"Delete (or roll) the restricted key {key} at {keys_page(live=live)}",
        )

    # ------------------------------------------------------------------ verify

    def verify(self, finding: Finding, ctx: VerifyContext) -> Verification:
        """Probe the key read-only; 403 names a missing permission, 429/5xx mean unknown."""
        value = finding.secret.reveal()
        kind, mode = key_kind(value)
        if kind == "publishable":
            return Verification("unknown", "publishable key: public by design, cannot act alone")
        if kind == "webhook-secret":
            return Verification(
                "unknown",
                "webhook signing secret: cannot be checked against the API; whoever holds it "
                "can forge webhook events to your endpoint",
                capabilities=("forge-webhooks",),
            )
        if kind not in ("secret", "restricted"):
            return Verification("unknown", "not a Stripe API key")
        api_base = ctx.environ.get(API_BASE_ENV) or DEFAULT_API_BASE
        resources = ["balance"] if kind == "secret" else list(RESOURCES)
        results = probe(finding.secret, resources, api_base=api_base, timeout=ctx.timeout)
        if any(p.outcome == "invalid" for p in results.values()):
            return Verification("invalid", "Stripe rejected the key (401): revoked or mistyped")
        if kind == "secret":
            first = results["balance"]
            if first.outcome != "allowed":
                return Verification(
                    "unknown", f"Stripe answered {first.http_status or 'nothing'}: {first.message}"
                )
            return Verification(
                "valid",
                f"unrestricted secret key ({mode} mode): full API access",
                capabilities=_FULL_ACCESS,
                severity=Severity.CRITICAL if mode == "live" else None,
                details={"mode": mode, "restricted": False},
            )
        return _describe_restricted(results, mode, finding.environment)


def _describe_restricted(
    results: Mapping[str, Probe], mode: str | None, environment: Environment
) -> Verification:
    allowed = [r for r, p in results.items() if p.outcome == "allowed"]
    denied = [p for p in results.values() if p.outcome == "denied"]
    unknown = [r for r, p in results.items() if p.outcome == "unknown"]
    caps: list[str] = []
    for r in allowed:
        caps += RESOURCES[r].read_caps
    parts = [f"restricted key ({mode} mode)"]
    parts.append(f"reads: {', '.join(allowed) or 'nothing probed'}")
    if denied:
        parts.append(
            "denied: "
            + ", ".join(f"{p.resource} ({p.missing})" if p.missing else p.resource for p in denied)
        )
    if unknown:
        parts.append(f"unknown (rate limit or server error): {', '.join(unknown)}")
    status = "valid" if allowed or denied else "unknown"
    return Verification(
        status,
        "; ".join(parts),
        capabilities=tuple(dict.fromkeys(caps)),
        severity=None,
        details={
            "mode": mode,
            "restricted": True,
            "allowed": allowed,
            "denied": {p.resource: p.missing for p in denied},
            "unknown": unknown,
            "environment": environment.value,
        },
    )


PROVIDER = StripeProvider()
