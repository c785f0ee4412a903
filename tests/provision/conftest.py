"""Fixtures of the framework tests (defined in fakeprovider, a uniquely named module)."""

from __future__ import annotations

from fakeprovider import fake
from tests.support.cli import in_process_cli

__all__ = ["fake", "in_process_cli"]
