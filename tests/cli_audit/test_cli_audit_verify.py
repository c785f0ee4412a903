"""``audit --verify`` shows what the provider confirmed, in every format, without the secret."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.cli_audit.cli_audit_helpers import assert_no_secret


@pytest.mark.postgres
def test_verify_against_the_local_postgres(
    cli: Callable[..., Any], tmp_path: Path, pg_admin_dsn: str
) -> None:
    password = secrets.token_urlsafe(18)  # trust auth: any password logs in as postgres
    url = f"postgresql://postgres:{password}@127.0.0.1:5432/postgres"
    app = tmp_path / "app"
    app.mkdir()
    (app / ".env").write_text(f"DATABASE_URL={url}\n")

    as_json = cli("audit", str(app), "--verify", "-f", "json")
    assert as_json.code == 0, as_json.err
    (finding,) = json.loads(as_json.out)["findings"]
    verification = finding["verification"]
    assert verification["status"] == "valid"
    assert "SUPERUSER" in verification["summary"]
    assert "admin-database" in verification["capabilities"]

    table = cli("audit", str(app), "--verify")
    assert "verified: valid" in table.out
    sarif = cli("audit", str(app), "--verify", "-f", "sarif")
    (result,) = json.loads(sarif.out)["runs"][0]["results"]
    assert result["properties"]["verification"] == "valid"
    assert_no_secret(as_json.both + table.both + sarif.both, (password, url))


def test_verify_without_network_is_unknown_not_an_error(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    app = tmp_path / "app"
    app.mkdir()
    # a closed local port: the provider cannot be asked, the audit still succeeds
    (app / ".env").write_text("REDIS_URL=redis://:Zq81mZpQx29sLkWv@127.0.0.1:9/0\n")
    result = cli("audit", str(app), "--verify", "-f", "json")
    assert result.code == 0, result.err
    findings = json.loads(result.out)["findings"]
    assert findings and all(f["verification"]["status"] == "unknown" for f in findings)
