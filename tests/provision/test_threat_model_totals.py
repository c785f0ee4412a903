"""The threat model's total escape count is the sum of its per-server counts.

Each per-server line is checked against its escape table by that server's tests
(``test_the_threat_model_states_these_counts``); this keeps the total from drifting.
"""

from __future__ import annotations

import re
from pathlib import Path

THREAT_MODEL = Path(__file__).resolve().parents[2] / "docs" / "threat-model.md"


def test_the_total_is_the_sum_of_the_servers() -> None:
    text = THREAT_MODEL.read_text(encoding="utf-8")
    per_server = re.findall(
        r"^- (?:PostgreSQL|MariaDB|Redis): (\d+) attempted, (\d+) refused, (\d+) by design$",
        text,
        re.MULTILINE,
    )
    assert len(per_server) == 3
    sums = tuple(sum(int(row[i]) for row in per_server) for i in range(3))
    total = re.search(r"\*\*(\d+) attempted, (\d+) refused, (\d+) by design\*\*", text)
    assert total is not None
    assert tuple(int(g) for g in total.groups()) == sums
    assert sums[0] == sums[1] + sums[2]
