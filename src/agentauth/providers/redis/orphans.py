"""Finding Redis ACL users agentauth created that no ledger holds (``revoke --scan``).

A user is agentauth's only when its name is exactly ``agentauth_<agent>_<6 hex>``
(:func:`~agentauth.providers.kit.is_identity_of`); ``default`` and a look-alike made by
a human are never returned. Removal is the provider's own revoke (ACL DELUSER, then
its clients killed).
"""

from __future__ import annotations

from collections.abc import Collection

from agentauth.model import CredentialPolicy
from agentauth.providers import kit
from agentauth.providers.base import Orphan, OrphanScanner, ProviderContext
from agentauth.providers.redis.connection import SCHEMES, connect, database, translate
from agentauth.providers.redis.provider import USER_NAME_LIMIT


class RedisOrphans:
    """The :class:`~agentauth.providers.base.OrphanScanner` of the Redis provider."""

    def find_orphans(
        self, entry: CredentialPolicy, ctx: ProviderContext, held: Collection[str]
    ) -> list[Orphan]:
        """ACL users of ``ctx.policy.agent`` on ``entry``'s server, not in ``held``."""
        admin = kit.admin_secret(entry.variable, ctx, "Redis URL")
        url = kit.parse_server_url(admin, SCHEMES, "Redis")
        try:
            with connect(url) as client:
                raw = client.execute_command("ACL", "USERS")
        except Exception as exc:
            raise translate(exc, url, "listing the ACL users", admin) from None
        names = sorted(n.decode() if isinstance(n, bytes) else str(n) for n in raw)
        found = []
        for name in names:
            if (
                not kit.is_identity_of(name, ctx.policy.agent, limit=USER_NAME_LIMIT)
                or name in held
            ):
                continue
            found.append(
                kit.orphan(
                    entry,
                    ctx,
                    kind="ACL user",
                    name=name,
                    where=url.address,
                    objects={"user": name, "address": url.address, "db": database(url)},
                )
            )
        return found


SCANNER: OrphanScanner = RedisOrphans()
