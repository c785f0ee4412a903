"""Shared test doubles and harnesses: one CLI runner, one in-memory secret store, one prompter.

Imported as ``tests.support`` (the repository root is on ``sys.path`` through
pytest's ``pythonpath``), never by bare module name.
"""
