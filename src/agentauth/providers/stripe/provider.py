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
    Finding,
    Grant,
    GrantStatus,
    Plan,
    PlanStep,
    RevokeResult,
    Secret,
    Verification,
)
from agentauth.providers import http as brokered
from agentauth.providers import kit as grantkit
from agentauth.providers.base import Provider, ProviderContext, VerifyContext
from agentauth.providers.kit import OptionError
from agentauth.providers.stripe.keys import check_restricted, find_test_key, is_test_secret
from agentauth.providers.stripe.probe import (
    DEFAULT_API_BASE,
    RESOURCES,
    dashboard_url,
    key_kind,
    keys_page,
)
from agentauth.providers.stripe.verify import verify_key
from agentauth.redact import mask

OPTIONS = ("mode", "permissions", "environment", "api_base")
MODES = ("test", "restricted")
LEVELS = ("read", "write", "none")

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


class StripeProvider:
    """Hands agents a Stripe test key or a verified restricted key; never creates live secrets."""

    name: ClassVar[str] = "stripe"
    presets: ClassVar[Mapping[str, Mapping[str, object]]] = PRESETS

    def validate(self, entry: CredentialPolicy) -> CredentialPolicy:
        """Check mode, permissions (a curated list of resources), environment and api_base."""
        if entry.options.get("mode") == "broker":  # the key stays in the broker
            return brokered.validate_brokered(entry)
        grantkit.check_keys(entry, OPTIONS)
        mode = entry.options.get("mode", "test")
        if mode not in MODES:
            raise OptionError(entry, "mode", f"{mode!r} is not one of {', '.join(MODES)}")
        options: dict[str, Any] = {"mode": mode}
        api_base = entry.options.get("api_base")
        if api_base is not None:
            if not isinstance(api_base, str) or not api_base.startswith(("https://", "http://")):
                raise OptionError(
                    entry, "api_base", f"expected an http(s) URL like {DEFAULT_API_BASE}"
                )
            options["api_base"] = api_base.rstrip("/")
        if mode == "test":
            for key in ("permissions", "environment"):
                if key in entry.options:
                    raise OptionError(entry, key, "only applies to mode: restricted")
            return replace(entry, options=options)
        environment = entry.options.get("environment", "test")
        if environment not in ("test", "live"):
            raise OptionError(entry, "environment", f"expected test or live, got {environment!r}")
        raw = entry.options.get("permissions")
        if not isinstance(raw, Mapping) or not raw:
            raise OptionError(
                entry,
                "permissions",
                "mode: restricted needs permissions, e.g. {customers: read, charges: read}",
            )
        permissions: dict[str, str] = {}
        for resource, level in raw.items():
            if resource not in RESOURCES:
                raise OptionError(
                    entry,
                    "permissions",
                    f"unknown resource {resource!r}; known: {', '.join(sorted(RESOURCES))}",
                )
            if level not in LEVELS or (level == "write" and not RESOURCES[resource].writable):
                allowed = LEVELS if RESOURCES[resource].writable else ("read", "none")
                raise OptionError(
                    entry,
                    f"permissions.{resource}",
                    f"{level!r} is not one of {', '.join(allowed)}",
                )
            permissions[str(resource)] = str(level)
        if all(level == "none" for level in permissions.values()):
            raise OptionError(entry, "permissions", "grants nothing; give at least one read")
        options.update(environment=environment, permissions=permissions)
        return replace(entry, options=options)

    # ------------------------------------------------------------------ plan / apply

    def plan(self, entry: CredentialPolicy, ctx: ProviderContext) -> Plan:
        """Plan offline: which test key to copy, or the Dashboard URL of the restricted key."""
        if entry.options.get("mode") == "broker":
            return brokered.plan_brokered(entry, ctx)
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
            raise OptionError(
                entry,
                None,
                f"no Stripe test-mode key (sk_test_… or rk_test_…) in {ctx.policy.source}"
                + (
                    f"; {entry.variable} holds a live key, which is never given to an agent"
                    if live
                    else ""
                )
                + f". Copy the test key from {keys_page(live=False)} into {ctx.policy.source} "
                "as STRIPE_TEST_SECRET_KEY, or use mode: restricted",
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

    def preflight(self, plan: Plan, ctx: ProviderContext) -> None:
        """A restricted key must be pasted: refuse up front when no prompt and none is kept."""
        if plan.grant.objects.get("mode") != "restricted" or ctx.prompter is not None:
            return
        kept = None
        if ctx.store is not None:
            try:
                kept = ctx.store.get(str(plan.grant.objects["store"]))
            except ConfigError:
                kept = None
        if kept is None:
            raise NonInteractiveError(
                f"{plan.variable}: a restricted key must be pasted; run provision in a "
                "terminal or pipe the rk_… key into its standard input"
            )

    def apply(self, plan: Plan, ctx: ProviderContext) -> Applied:
        """Copy the test key, or read, verify and keep the pasted restricted key."""
        if plan.grant.objects.get("brokered"):
            return brokered.apply_brokered(plan)
        if plan.grant.objects.get("mode") == "test":
            source = str(plan.private["source"])
            key = ctx.source_env.get(source)
            if key is None or not is_test_secret(key):
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
        if grant.objects.get("brokered"):
            return None
        return None

    def revoke(self, grant: Grant, ctx: ProviderContext) -> RevokeResult:
        """Forget the key (keyring) and say where to roll or delete it: only the Dashboard can."""
        if grant.objects.get("brokered"):
            return brokered.revoke_brokered(grant)
        live = grant.objects.get("environment") == "live"
        if grant.objects.get("mode") == "test":
            return RevokeResult(
                grant.id,
                True,
                f"nothing was created: the agent had your own test-mode key "
                f"({grant.objects.get('key', 'sk_test_…')}); roll it if it should stop working",
                manual=f"Roll the test key at {keys_page(live=False)}",
                still_valid=True,
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
            still_valid=True,
        )

    # ------------------------------------------------------------------ verify

    def verify(self, finding: Finding, ctx: VerifyContext) -> Verification:
        """Probe the key read-only; 403 names a missing permission, 429/5xx mean unknown."""
        return verify_key(finding, ctx)


PROVIDER: Provider = StripeProvider()
