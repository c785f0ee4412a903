"""Finding IAM roles and users agentauth created that no ledger holds (``revoke --scan``).

IAM names are the policy's choice too (``name: agentauth-...``), so the name alone
proves nothing: an object counts only when it starts with ``agentauth-`` and carries
the tags :meth:`~agentauth.providers.aws.provider.AwsProvider.apply` sets
(``agentauth=true``, ``agentauth-agent=<agent>``, ``agentauth-grant=<id>``). Removal is
the provider's own revoke, which checks the ``agentauth-grant`` tag once more.
"""

from __future__ import annotations

from collections.abc import Collection
from functools import partial
from typing import Any

from agentauth.model import CredentialPolicy, GrantId
from agentauth.providers import kit
from agentauth.providers.aws.client import call, connect, region_for, source_credentials
from agentauth.providers.base import Orphan, OrphanScanner, ProviderContext

PREFIX = "agentauth-"

# kind, list call, its result key, the name field, the tag call, its name parameter, mode
_KINDS = (
    ("IAM role", "list_roles", "Roles", "RoleName", "list_role_tags", "RoleName", "role"),
    ("IAM user", "list_users", "Users", "UserName", "list_user_tags", "UserName", "user"),
)


class AwsOrphans:
    """The :class:`~agentauth.providers.base.OrphanScanner` of the AWS provider."""

    def find_orphans(
        self, entry: CredentialPolicy, ctx: ProviderContext, held: Collection[str]
    ) -> list[Orphan]:
        """Tagged roles and users of ``ctx.policy.agent`` in the account, not in ``held``."""
        creds = source_credentials(ctx.source_env, ctx.policy.source)
        scrub = creds.scrubber()
        option = entry.options.get("region")
        region = region_for(option if isinstance(option, str) else None, ctx.source_env,
                            ctx.environ)  # fmt: skip
        conn = connect(creds, region, (ctx.source_env, ctx.environ))
        iam = conn.client("iam")
        where = f"IAM ({region})"
        found: list[Orphan] = []
        for kind, lister, key, field, tagger, param, mode in _KINDS:
            listed = call(f"iam:{lister}", scrub, partial(_pages, iam, lister, key))
            for item in listed:
                name = str(item[field])
                if not name.startswith(PREFIX) or name in held:
                    continue
                raw = call(
                    f"iam:{tagger}", scrub, partial(_pages, iam, tagger, "Tags", **{param: name})
                )
                owner = _owner(raw, ctx.policy.agent)
                if not owner or owner in held:
                    continue
                objects = {
                    "mode": mode,
                    f"{mode}_name": name,
                    "region": region,
                    "endpoints": {k: v for k, v in conn.endpoints.items() if v},
                }
                found.append(
                    kit.orphan(
                        entry,
                        ctx,
                        kind=kind,
                        name=name,
                        where=where,
                        objects=objects,
                        note=f"tag agentauth-grant={owner}",
                        grant_id=GrantId(owner),
                    )
                )
        return found


def _owner(tags: list[Any], agent: str) -> str:
    """The ``agentauth-grant`` tag when the object is agentauth's and ``agent``'s, else ""."""
    found = {str(t.get("Key")): str(t.get("Value")) for t in tags}
    if found.get("agentauth") != "true" or found.get("agentauth-agent") != agent:
        return ""
    return found.get("agentauth-grant", "")


def _pages(iam: Any, method: str, key: str, **params: Any) -> list[Any]:
    return [item for page in iam.get_paginator(method).paginate(**params) for item in page[key]]


SCANNER: OrphanScanner = AwsOrphans()
