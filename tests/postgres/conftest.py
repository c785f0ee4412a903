"""Fixtures of the Postgres tests (defined in pgshop, a uniquely named importable module)."""

from __future__ import annotations

from tests.postgres.pgshop import cli, read_env_ai, shop

__all__ = ["cli", "read_env_ai", "shop"]
