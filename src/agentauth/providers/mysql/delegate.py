"""Delegating a MySQL/MariaDB login: the sub-agent's user reads only a subset of tables.

``--only MYSQL_URL=shop.orders,shop.products`` (or a bare ``orders`` when the parent
reads a single database, or ``shop.*`` for a database the parent reads whole) gives
the child a user of its own with SELECT on those only, made by the provider's own plan
and apply; each must be one the parent may read. Decided offline, before anything exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from agentauth.errors import ConfigError
from agentauth.model import CredentialPolicy, Grant
from agentauth.providers.base import ExceedsParent, SubsetNarrowing
from agentauth.providers.mysql.sql import Target, parse_targets

# identity_name keeps 32 - len("agentauth__") - 6 characters of the agent's name
NAME_ROOM = 15


def _covered(held: Sequence[Target], wanted: Target) -> bool:
    return any(
        h.database == wanted.database and (h.table is None or h.table == wanted.table) for h in held
    )


class MySQLNarrowing(SubsetNarrowing):
    """The :class:`agentauth.providers.base.Narrowing` of MySQL: a subset of tables."""

    name_room = NAME_ROOM

    def subset(
        self, entry: CredentialPolicy, parent: Grant, options: dict[str, Any], rules: Sequence[str]
    ) -> dict[str, Any]:
        """The requested tables or databases, each one the parent may read."""
        held = parse_targets(entry)
        if not held:
            raise ConfigError(
                f"{entry.variable}: the policy entry names no databases or tables (the parent "
                "reads the URL's database), so a subset cannot be checked offline; list them"
            )
        databases = {t.database for t in held}
        qualified = []
        for rule in rules:
            if "." not in rule and len(databases) == 1:
                rule = f"{next(iter(databases))}.{rule}"
            qualified.append(rule)
        try:
            wanted = parse_targets(replace(entry, options={"tables": qualified}))
        except ConfigError as exc:
            raise ConfigError(f"--only {entry.variable}: {exc}") from None
        over = [f"table {t.label()}" for t in wanted if not _covered(held, t)]
        if over:
            raise ExceedsParent(over)
        options.pop("databases", None)
        options["tables"] = [t.label() for t in wanted]
        return options


NARROWING = MySQLNarrowing()
