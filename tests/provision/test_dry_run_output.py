"""``provision --dry-run`` says what ``provision`` would: no plan for a broken policy, the
same keyring warning for a GitHub App entry (acceptance found both wrong)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

NOT_KEPT = "no secure keyring to keep the GitHub token for `agentauth revoke`"


@pytest.fixture
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A machine whose only keyring backend fails (headless Linux without the file store)."""
    import keyring.core

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    keyring.core._keyring_backend = None  # type: ignore[attr-defined]
    yield
    keyring.core._keyring_backend = None  # type: ignore[attr-defined]


def _github_app(project: Path, tmp_path: Path, permissions: str) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = tmp_path / "app.pem"
    pem.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.TraditionalOpenSSL,
                                      serialization.NoEncryption()))  # fmt: skip
    pem.chmod(0o600)
    (project / ".env").write_text("GITHUB_TOKEN=ghp_" + "a1B2" * 9 + "\nPORT=3000\n")
    (project / "agentauth.yaml").write_text(
        "agent: bot\nttl: 1h\ncredentials:\n  GITHUB_TOKEN:\n    provider: github\n"
        f"    mode: app\n    app_id: 1\n    private_key_file: {pem}\n"
        "    api_url: http://127.0.0.1:9\n    repositories: [acme/web]\n"
        f"    permissions: {{{permissions}}}\n"
    )


def test_a_policy_error_prints_no_plan(
    project: Path, tmp_path: Path, cli: Callable[..., tuple[int, str, str]]
) -> None:
    _github_app(project, tmp_path, "content: read")
    code, out, err = cli("provision", "--dry-run", "-C", str(project))
    assert code == 2
    assert out == ""  # it printed an empty ".env.ai (values masked):" header
    assert err.count("error:") == 1 and "unknown GitHub permission" in err
    assert "did you mean contents?" in err


def test_the_dry_run_warns_of_the_missing_keyring_as_provision_does(
    project: Path, tmp_path: Path, cli: Callable[..., tuple[int, str, str]], no_keyring: None
) -> None:
    _github_app(project, tmp_path, "contents: read")
    code, out, err = cli("provision", "--dry-run", "-C", str(project))
    assert code == 0, err
    assert "Mint a one-hour installation token" in out
    assert f"warning: GITHUB_TOKEN: {NOT_KEPT}" in err
    # provision itself says it once, before anything is minted (here the API is unreachable)
    code, _out, err = cli("provision", "--yes", "-C", str(project))
    assert code != 0
    assert err.count(NOT_KEPT) == 1, err
