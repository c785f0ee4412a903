"""``audit`` never reports a phantom, yet still reports the real value it stands for."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentauth.broker import phantom
from agentauth.service.scan import AuditOptions, audit

REALS = {
    "STRIPE_SECRET_KEY": "sk_live_51NzQ8dKx7Lm2Pq9Rt4Vw6Yb8Cd0Ef2Gh4Ij6Kl8Mn0Op",
    "GITHUB_TOKEN": "ghp_R8mK2pQ7vX4nL9sD3fH6jW1tY5bC0aE2gZ4u",
    "OPENAI_API_KEY": "sk-proj-Vq3Lm8Nx2Rt6Wy9Zb4Cd7Fg1Hj5Kl0Mp3Qs6Tv9Xw2Ya5Bc8De1",
}


@pytest.mark.parametrize("variable", sorted(REALS))
def test_a_phantom_is_not_a_finding_but_the_real_value_is(tmp_path: Path, variable: str) -> None:
    real = REALS[variable]
    (tmp_path / ".env").write_text(f"{variable}={phantom.make(real)}\n")
    assert audit(AuditOptions(root=tmp_path)).findings == ()
    (tmp_path / ".env").write_text(f"{variable}={real}\n")
    assert [f.variable for f in audit(AuditOptions(root=tmp_path)).findings] == [variable]
