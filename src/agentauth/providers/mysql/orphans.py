"""Finding MySQL/MariaDB users agentauth created that no ledger holds (``revoke --scan``).

A user is agentauth's only when its name is exactly ``agentauth_<agent>_<6 hex>``
(:func:`~agentauth.providers.kit.is_identity_of`); a look-alike made by a human is never
returned. Listing reads ``mysql.user``, so the admin needs SELECT on it (an admin that
may CREATE USER usually has it); removal is the provider's own revoke.
"""

from __future__ import annotations

from collections.abc import Collection

from agentauth.errors import ProviderError
from agentauth.model import CredentialPolicy
from agentauth.providers import kit
from agentauth.providers.base import Orphan, OrphanScanner, ProviderContext
from agentauth.providers.mysql.connection import SCHEMES, connect, describe_error
from agentauth.providers.mysql.provider import USER_NAME_LIMIT

_USERS = "SELECT User, Host FROM mysql.user WHERE User LIKE 'agentauth\\_%' ORDER BY 1, 2"


class MySQLOrphans:
    """The :class:`~agentauth.providers.base.OrphanScanner` of the MySQL provider."""

    def find_orphans(
        self, entry: CredentialPolicy, ctx: ProviderContext, held: Collection[str]
    ) -> list[Orphan]:
        """Users of ``ctx.policy.agent`` on the server of ``entry``'s admin URL, not in ``held``."""
        admin = kit.admin_secret(entry.variable, ctx, "MySQL URL")
        url = kit.parse_server_url(admin, SCHEMES, "MySQL")
        import pymysql

        with connect(url) as conn, conn.cursor() as cur:
            try:
                cur.execute(_USERS)
            except pymysql.err.MySQLError as exc:
                raise ProviderError(
                    f"cannot list the users on {url.address} as {url.username!r} "
                    f"({describe_error(exc)}); it needs SELECT on mysql.user to scan"
                ) from None
            rows = [(str(user), str(host)) for user, host in cur.fetchall()]
        found = []
        for user, host in rows:
            if not kit.is_identity_of(user, ctx.policy.agent, limit=USER_NAME_LIMIT):
                continue
            if user in held:
                continue
            found.append(
                kit.orphan(
                    entry,
                    ctx,
                    kind="user",
                    name=f"{user}@{host}",
                    where=url.address,
                    objects={"user": user, "host": host, "address": url.address},
                )
            )
        return found


SCANNER: OrphanScanner = MySQLOrphans()
