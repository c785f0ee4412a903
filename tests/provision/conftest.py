"""Fixtures of the framework tests (defined in fakeprovider, a uniquely named module)."""

from __future__ import annotations

from fakeprovider import fake

__all__ = ["fake"]
