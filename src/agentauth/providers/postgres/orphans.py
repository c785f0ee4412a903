"""Finding Postgres roles agentauth created that no ledger holds (``revoke --scan``).

A role is agentauth's only when its name is exactly ``agentauth_<agent>_<8 hex>``
(:func:`~agentauth.providers.postgres.sql.is_role_of`), so ``agentauth_<agent>_backup`` or
``agentauth_<agent>`` made by a human is never returned. Removal is the provider's own
revoke (NOLOGIN, sessions ended, DROP OWNED in every database it touched, DROP ROLE).
"""

from __future__ import annotations

from collections.abc import Collection

from agentauth.model import CredentialPolicy
from agentauth.providers import kit
from agentauth.providers.base import Orphan, OrphanScanner, ProviderContext
from agentauth.providers.postgres import sql as pgsql
from agentauth.providers.postgres.connection import connect

_CANDIDATES = """
SELECT r.rolname, r.rolvaliduntil, r.rolcanlogin,
       (SELECT count(*) FROM pg_stat_activity a WHERE a.usename = r.rolname)
  FROM pg_roles r WHERE r.rolname LIKE 'agentauth\\_%' ORDER BY 1
"""


class PostgresOrphans:
    """The :class:`~agentauth.providers.base.OrphanScanner` of the Postgres provider."""

    def find_orphans(
        self, entry: CredentialPolicy, ctx: ProviderContext, held: Collection[str]
    ) -> list[Orphan]:
        """Roles of ``ctx.policy.agent`` on the server of ``entry``'s admin URL, not in ``held``."""
        admin = kit.admin_secret(entry.variable, ctx, "PostgreSQL admin URL")
        server = pgsql.endpoint(pgsql.parse_conninfo(admin.reveal()))
        with connect(admin, autocommit=True) as conn:
            rows = conn.execute(_CANDIDATES).fetchall()
        found = []
        for name, valid_until, can_login, sessions in rows:
            if not pgsql.is_role_of(str(name), ctx.policy.agent) or name in held:
                continue
            until = valid_until.isoformat(timespec="seconds") if valid_until else "never"
            note = f"valid until {until}; {'login' if can_login else 'nologin'}; "
            note += f"{sessions} session(s)"
            found.append(
                kit.orphan(
                    entry,
                    ctx,
                    kind="role",
                    name=str(name),
                    where=server,
                    objects={"role": str(name), "databases": [], "server": server},
                    note=note,
                )
            )
        return found


SCANNER: OrphanScanner = PostgresOrphans()
