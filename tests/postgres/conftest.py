"""Fixtures of the Postgres tests (defined in pgshop, a uniquely named importable module)."""

from __future__ import annotations

from tests.postgres.pgshop import read_env_ai, shop
from tests.support.cli import in_process_cli

__all__ = ["in_process_cli", "read_env_ai", "shop"]
