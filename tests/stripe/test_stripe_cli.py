"""Stripe through the real CLI: a restricted key pasted on stdin, verified against the stub."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from tests.support.cli import run_cli

LIVE_SK = "sk_live_51Hx" + "Q" * 90 + "9f2a"
GOOD_RK = "rk_test_51Hx" + "G" * 90 + "abcd"
WIDE_RK = "rk_test_51Hx" + "W" * 90 + "wide"


def _cli(project: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return run_cli(*args, "-C", str(project), cwd=project, input=stdin, full_env=True)


def _setup(project: Path, base: str) -> None:
    (project / ".env").write_text(f"STRIPE_SECRET_KEY={LIVE_SK}\n")
    (project / "agentauth.yaml").write_text(
        "version: 1\nagent: support-bot\ncredentials:\n"
        "  STRIPE_SECRET_KEY:\n    provider: stripe\n    mode: restricted\n"
        "    permissions: {customers: read, charges: read}\n"
        f"    api_base: {base}\n"
    )


def test_restricted_key_from_stdin_is_verified_and_written(stripe_stub: Any, project: Path) -> None:
    stripe_stub.allow(GOOD_RK, "customers", "charges")
    _setup(project, stripe_stub.base)
    dry = _cli(project, "provision", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "dashboard.stripe.com/test/apikeys/create?name=agentauth-support-bot" in dry.stdout
    done = _cli(project, "provision", "--yes", stdin=GOOD_RK + "\n")
    assert done.returncode == 0, done.stderr
    env_ai = (project / ".env.ai").read_text()
    assert f"STRIPE_SECRET_KEY={GOOD_RK}" in env_ai
    assert LIVE_SK not in env_ai
    status = _cli(project, "status")
    assert "manual" in status.stdout
    revoked = _cli(project, "revoke", "--all", "--yes")
    # no API can delete a restricted key: "not revoked", its own exit code, the manual step
    assert revoked.returncode == 4, revoked.stderr
    assert "NOT REVOKED" in revoked.stdout
    assert "https://dashboard.stripe.com/test/apikeys" in revoked.stdout + revoked.stderr
    assert GOOD_RK not in (project / ".env.ai").read_text()
    home = Path(os.environ["AGENTAUTH_HOME"])
    state = "".join(f.read_text(errors="replace") for f in home.rglob("*") if f.is_file())
    for text in (
        dry.stdout,
        dry.stderr,
        done.stdout,
        done.stderr,
        status.stdout,
        revoked.stdout,
        revoked.stderr,
        state,
    ):
        assert GOOD_RK not in text
        assert LIVE_SK not in text


def test_a_too_wide_key_fails_provisioning_and_writes_nothing(
    stripe_stub: Any, project: Path
) -> None:
    stripe_stub.allow(WIDE_RK, "customers", "charges", "refunds")
    _setup(project, stripe_stub.base)
    done = _cli(project, "provision", "--yes", stdin=WIDE_RK + "\n")
    assert done.returncode == 1
    assert "can read refunds, which the policy does not grant" in done.stderr
    assert WIDE_RK not in done.stdout + done.stderr
    assert not (project / ".env.ai").exists()


def test_no_key_on_stdin_is_a_clear_error(stripe_stub: Any, project: Path) -> None:
    _setup(project, stripe_stub.base)
    done = _cli(project, "provision", "--yes")
    assert done.returncode == 2
    assert "nothing on standard input" in done.stderr


def test_the_dashboard_link_is_one_line_in_a_narrow_pipe(stripe_stub: Any, project: Path) -> None:
    """The manual step's URL must stay clickable/copyable: rich wrapped it at 80 columns."""
    stripe_stub.allow(GOOD_RK, "customers", "charges")
    _setup(project, stripe_stub.base)
    done = run_cli(
        "provision", "--yes", "-C", str(project), cwd=project, input=GOOD_RK + "\n",
        env={"COLUMNS": "80"}, full_env=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    url = (
        "https://dashboard.stripe.com/test/apikeys/create?name=agentauth-support-bot"
        "&permissions[]=rak_charge_read&permissions[]=rak_customer_read"
    )
    shown = [line for line in done.stderr.splitlines() if "apikeys/create" in line]
    assert shown and all(line.endswith(url) for line in shown), done.stderr
