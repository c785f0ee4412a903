"""Fixtures of the delegation, attestation and log-chain tests."""

from __future__ import annotations

from tests.support.cli import in_process_cli

__all__ = ["in_process_cli"]
