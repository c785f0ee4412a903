"""A sub-agent's delegated phantom through ``run``'s live broker: its rules only, until revoked.

The orchestrator runs under ``agentauth run``; it starts a reviewer with the real
``agentauth delegate`` (GET only of a credential its parent may also POST with). The
reviewer's curl calls go through the proxy: the allowed one reaches the stub with the
real key, the parent-only one is refused before the upstream sees anything, and after
``agentauth revoke`` of the reviewer's grant the same allowed call is refused too.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from pytest_httpserver import HTTPServer
from test_broker_run import REAL, _cli, _request_events, project  # noqa: F401

CHILD = (
    'curl -sS -H "Authorization: Bearer $OPENAI_API_KEY" https://api.openai.test/v1/models; echo; '
    'curl -sS -X POST -H "Authorization: Bearer $OPENAI_API_KEY" https://api.openai.test/v1/files;'
    ' echo; {keyring} {aa} revoke -y --agent "$AGENTAUTH_AGENT" >/dev/null; '
    'curl -sS -H "Authorization: Bearer $OPENAI_API_KEY" https://api.openai.test/v1/models; echo; '
    'echo "$OPENAI_API_KEY" | cut -c1-17'
)


def test_a_delegated_phantom_through_the_run_broker(
    project: tuple[Path, dict[str, str], HTTPServer],  # noqa: F811
) -> None:
    root, env, api = project
    policy = root / "agentauth.yaml"
    rule = "      - GET /v1/models\n"
    policy.write_text(policy.read_text().replace(rule, rule + "      - POST /v1/files\n"))
    api.expect_request("/v1/models", headers={"Authorization": f"Bearer {REAL}"}).respond_with_data(
        '{"data": ["gpt"]}', content_type="application/json"
    )
    aa = f"{sys.executable} -m agentauth"
    keyring = " ".join(f"{k}={v}" for k, v in env.items() if "KEYRING" in k or k == "PYTHONPATH")
    (root / "child.sh").write_text(CHILD.format(aa=aa, keyring=keyring) + "\n")
    script = f"{aa} delegate --to reviewer --only 'OPENAI_API_KEY=GET /v1/models' -- sh child.sh"
    # The signing key in its 0600 file: the run's child gets no test keyring variables.
    bare = {k: v for k, v in env.items() if "KEYRING" not in k}
    make_key = "from agentauth.state import signing; signing.private_key()"
    subprocess.run([sys.executable, "-c", make_key], env=bare, check=True, timeout=60)
    provisioned = _cli(root, env, "provision", "--yes")
    assert provisioned.returncode == 0, provisioned.stderr
    out = _cli(root, env, "run", "--", "sh", "-c", script)
    assert out.returncode == 0, out.stdout + out.stderr
    allowed, parent_only, after_revoke, shown = [x for x in out.stdout.splitlines() if x][-4:]
    events = _request_events(env, root)
    grant = re.search(r"claude-code>reviewer: (\S+) OPENAI_API_KEY delegated", out.stderr)
    assert grant is not None, out.stdout
    # Logged under the sub-agent's chain, not the parent's name; the allowed one names its rule.
    assert [(e["agent"], e["grant"], e["method"], e["decision"]) for e in events] == [
        ("claude-code>reviewer", grant.group(1), "GET", "allowed"),
        ("claude-code>reviewer", grant.group(1), "POST", "refused"),
        ("claude-code>reviewer", grant.group(1), "GET", "refused"),
    ]
    assert events[0]["reason"] == "GET /v1/models"
    assert shown == "sk-proj-AGENTAUTH"  # the reviewer holds a capability phantom, no real key
    assert json.loads(allowed) == {"data": ["gpt"]}
    refused = json.loads(parent_only)
    # Like a policy refusal: the variable, the delegation's rules and the policy line.
    assert refused["message"] == (
        "agentauth: POST /v1/files is not allowed for OPENAI_API_KEY as delegated to "
        f"claude-code>reviewer (grant {grant.group(1)}) (agentauth.yaml:{_entry_line(policy)})"
    )
    assert refused["allowed"] == ["GET /v1/models"]
    assert refused["variable"] == "OPENAI_API_KEY"
    assert refused["agent"] == "claude-code>reviewer"
    assert refused["policy"] == f"agentauth.yaml:{_entry_line(policy)}"
    assert json.loads(after_revoke)["message"] == (
        f"agentauth: the phantom of OPENAI_API_KEY was revoked (grant {grant.group(1)})"
    )
    assert len(api.log) == 1  # only the allowed call reached the upstream
    assert REAL not in out.stdout + out.stderr


def _entry_line(policy: Path) -> int:
    """The line of the brokered entry (where a policy refusal points)."""
    lines = policy.read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.strip() == "OPENAI_API_KEY:")
