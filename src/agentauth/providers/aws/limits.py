"""STS session-length limits, apart so that the options and the policy builder share them."""

from __future__ import annotations

MIN_DURATION = 900
"""AssumeRole's floor: 15 minutes."""
MAX_DURATION = 43200
"""A role's MaxSessionDuration ceiling: 12 hours."""
CHAINED_MAX_DURATION = 3600
"""AWS refuses more than 1 hour when a temporary credential assumes a role (role chaining)."""
