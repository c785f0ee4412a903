"""Shared test doubles and harnesses: one of each, imported as ``tests.support.<module>``.

``cli`` (run_cli, in_process and the ``cli`` fixture), ``contexts`` (make_ctx), ``postgres``
(the superuser fixtures, create/drop database), ``gitrepo`` (git in a throwaway repo),
``doubles`` (MemorySecretStore, FakePrompter), ``testkeyring`` (the file-backed keyring),
``walkthrough`` (run a docs/walkthrough-*.md's sh blocks word for word).
The repository root is on ``sys.path`` through pytest's ``pythonpath``; never import these by
bare module name.
"""
