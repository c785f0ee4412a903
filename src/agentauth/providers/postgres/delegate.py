"""Delegating a Postgres login: the sub-agent's role reads only the named subset of tables.

``--only DATABASE_URL=orders,public.customers`` gives the child a role of its own
(``agentauth_<parent>__<child>_…``) holding SELECT on those tables only; each must be
one the parent may read (a table it was granted, or any table of a schema it was granted
whole). The role is made by the provider's own plan and apply, so it gets the parent's
limits and a ``VALID UNTIL`` no later than the parent's, and revoking it is a normal
revoke. Nothing here talks to the server: the subset is decided offline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from agentauth.errors import ConfigError
from agentauth.model import CredentialPolicy, Grant
from agentauth.providers.base import ExceedsParent, SubsetNarrowing
from agentauth.providers.postgres import sql as pgsql

# role_name keeps 63 - len("agentauth_") - 9 characters of the agent's name
NAME_ROOM = 44


def _tables(options: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(str(s), str(t)) for s, t in options.get("tables", [])]


def may_read(options: Mapping[str, Any], schema: str, table: str) -> bool:
    """True when a role with ``options`` (validated) may read ``schema.table``."""
    tables = _tables(options)
    if tables:
        return (schema, table) in tables
    return schema in options.get("schemas", [])


class PostgresNarrowing(SubsetNarrowing):
    """The :class:`agentauth.providers.base.Narrowing` of Postgres: a subset of tables."""

    name_room = NAME_ROOM

    def subset(
        self, entry: CredentialPolicy, parent: Grant, options: dict[str, Any], rules: Sequence[str]
    ) -> dict[str, Any]:
        """The requested tables, each one the parent may read."""
        schemas = list(options.get("schemas") or ["public"])
        wanted: list[tuple[str, str]] = []
        for rule in rules:
            try:
                schema, table = pgsql.split_qualified(rule, schemas[0])
                pgsql.check_identifier(schema, "schema")
                pgsql.check_identifier(table, "table")
            except ValueError as exc:
                raise ConfigError(f"--only {entry.variable}={rule}: {exc}") from None
            if (schema, table) not in wanted:
                wanted.append((schema, table))
        over = [f"table {s}.{t}" for s, t in wanted if not may_read(options, s, t)]
        if over:
            raise ExceedsParent(over)
        columns = {
            key: cols
            for key, cols in dict(options.get("columns") or {}).items()
            if pgsql.split_qualified(key, schemas[0]) in wanted
        }
        options.update(
            schemas=sorted({s for s, _ in wanted}),
            tables=[[s, t] for s, t in wanted],
            columns=columns,
            # the parent's sequences come with whole schemas, which the child does not get
            sequences=False,
        )
        return options


NARROWING = PostgresNarrowing()
