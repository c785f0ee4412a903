"""The error scrubber learns the source env's secrets, never its plain settings.

Issue 14: every value of ``.env`` was learned, so ``AWS_REGION=us-east-1`` was masked
inside an RDS host name in an error (``shop-prod.c9akciq32xyz.***.rds.amazonaws.com``).
"""

from __future__ import annotations

from pathlib import Path

from agentauth.config.policy import parse_policy
from agentauth.redact import Scrubber
from agentauth.service import provision as svc
from agentauth.service.context import secret_values

HOST = "shop-prod.c9akciq32xyz.us-east-1.rds.amazonaws.com"
PASSWORD = "S3cretPw-9xq"
STRIPE = "sk_live_" + "51HxYzAbCdEfGhIjKlMnOpQr5"
PASSED = "plainvalue123"
"""A value no rule recognises, passed to the agent by name: the policy says it is in play."""


def test_settings_are_not_learned_and_secrets_are(project: Path) -> None:
    (project / ".env").write_text(
        f"AWS_REGION=us-east-1\nAPP_ENV=production\nLOG_LEVEL=verbose\n"
        f"DATABASE_URL=postgresql://owner:{PASSWORD}@{HOST}:5432/shop\n"
        f"STRIPE_SECRET_KEY={STRIPE}\nVENDOR_THING={PASSED}\n",
        encoding="utf-8",
    )
    policy = parse_policy("agent: bot\ncredentials:\n  VENDOR_THING: pass\n")
    ctx = svc.build_context(project, policy, environ={})
    scrub = Scrubber(secret_values(ctx))
    said = scrub(
        f"cannot connect to {HOST} (production, verbose): password {PASSWORD} refused; "
        f"key {STRIPE}; thing {PASSED}"
    )
    assert f"cannot connect to {HOST} (production, verbose)" in said
    assert PASSWORD not in said and STRIPE not in said and PASSED not in said
