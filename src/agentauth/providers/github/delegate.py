"""Delegating GitHub: a child installation token on a subset of the parent's repositories.

``--only GITHUB_TOKEN=acme/web,contents:read`` lists repositories (``owner/name``) and
permissions (``name:level``); either kind may be left out to keep the parent's. Each
repository must be one of the parent's, each permission one the parent holds at that
level or higher, checked before GitHub is called. The child's token is minted by the
provider's own App path (``POST /app/installations/{id}/access_tokens`` with exactly
those ``repositories`` and ``permissions``), kept for ``revoke`` under the child's grant.

A pasted token (``mode: pat``) cannot be narrowed: GitHub has no API that derives a
smaller token from a PAT, so it is refused with that reason (``mode: broker`` delegates
a subset of its rules instead).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agentauth.errors import ConfigError
from agentauth.model import CredentialPolicy, Grant
from agentauth.providers.base import ExceedsParent, SubsetNarrowing
from agentauth.providers.github.options import parse

RANK = {"read": 1, "write": 2, "admin": 3}
# the token is named by GitHub; the chain shows in the ledger and the log only
NAME_ROOM = 63


class GitHubNarrowing(SubsetNarrowing):
    """The :class:`agentauth.providers.base.Narrowing` of GitHub: repositories, permissions."""

    name_room = NAME_ROOM

    def narrow(
        self, entry: CredentialPolicy, parent: Grant, rules: Sequence[str] | None
    ) -> dict[str, Any]:
        """Refuse a pasted-token parent; reuse the parent's installation (no second lookup)."""
        if parse(entry).mode != "app":
            raise ConfigError(
                f"{entry.variable}: a pasted token (mode: pat) cannot be narrowed, GitHub has "
                "no API to derive a smaller token from it; use mode: app, or mode: broker to "
                "delegate a subset of its rules"
            )
        options = super().narrow(entry, parent, rules)
        if parent.objects.get("installation_id") is not None:
            options["installation_id"] = int(parent.objects["installation_id"])
        return options

    def subset(
        self, entry: CredentialPolicy, parent: Grant, options: dict[str, Any], rules: Sequence[str]
    ) -> dict[str, Any]:
        """The requested repositories and permissions, each within the parent's."""
        held = parse(entry)
        owned = {r.lower(): r for r in held.repositories}
        repos, perms, over = [], {}, []
        for rule in rules:
            if "/" in rule:
                if rule.lower() not in owned:
                    over.append(f"repository {rule}")
                repos.append(owned.get(rule.lower(), rule))
                continue
            name, _, level = rule.partition(":")
            if level not in RANK:
                raise ConfigError(
                    f"--only {entry.variable}={rule}: write owner/repo or permission:level "
                    "(read, write or admin), e.g. acme/web,contents:read"
                )
            if RANK[level] > RANK.get(str(held.permissions.get(name, "")), 0):
                over.append(f"permission {name}:{level}")
            perms[name] = level
        if over:
            raise ExceedsParent(over)
        if repos:
            options["repositories"] = repos
        if perms:
            # metadata:read comes with every token; keep it as the parent's entry has it
            if "metadata" in held.permissions:
                perms.setdefault("metadata", "read")
            options["permissions"] = perms
        return options


NARROWING = GitHubNarrowing()
