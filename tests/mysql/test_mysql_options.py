"""Offline checks of the MySQL provider: policy options, identifier quoting, grant parsing."""

from __future__ import annotations

from typing import Any

import pytest

from agentauth.errors import ConfigError
from agentauth.model import Severity
from agentauth.providers.mysql.provider import (
    PROVIDER,
    create_statements,
    describe_grants,
    parse_targets,
    quote_ident,
)


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        ({"access": "read-write"}, "read-only users only"),
        ({"tables": ["orders"]}, "database.table"),
        ({"tables": ["a.b.c"]}, "database.table"),
        ({"tables": ["`unterminated.t"]}, "unterminated"),
        ({"databases": ["x" * 65]}, "1 to 64"),
        ({"databases": ["trailing "]}, "end with a space"),
        ({"databases": ["nul\x00"]}, "NUL"),
        ({"max_connections": 0}, "max_connections"),
        ({"max_connections": True}, "max_connections"),
        ({"max_statement_time": "30"}, "max_statement_time"),
        ({"tables": "shop.orders", "colour": "red"}, "unknown option 'colour'"),
        ({"tables": [3]}, "not a non-empty string"),
    ],
)
def test_bad_options_name_the_key_and_line(
    options: dict[str, Any], needle: str, mk_entry: Any
) -> None:
    with pytest.raises(ConfigError) as info:
        PROVIDER.validate(mk_entry(line=9, **options))
    assert "line 9: credentials." in str(info.value)
    assert needle in str(info.value)


def test_validate_normalises_defaults(mk_entry: Any) -> None:
    out = PROVIDER.validate(mk_entry(tables="shop.orders"))
    assert out.options == {
        "access": "read-only",
        "tables": ["shop.orders"],
        "max_connections": 3,
        "max_statement_time": 30,
    }


def test_targets_accept_backtick_quoted_names_and_fold_tables_into_whole_databases(
    mk_entry: Any,
) -> None:
    targets = parse_targets(
        mk_entry(
            databases=["shop"],
            tables=["shop.orders", "`my.db`.`we``ird`", "logs.*", "`my.db`.`we``ird`"],
        )
    )
    assert [t.label() for t in targets] == ["shop.*", "my.db.we`ird", "logs.*"]
    assert [t.sql() for t in targets] == ["`shop`.*", "`my.db`.`we``ird`", "`logs`.*"]


def test_quote_ident_doubles_backticks() -> None:
    assert quote_ident("a`b") == "`a``b`"
    assert quote_ident("x'; DROP TABLE y; --") == "`x'; DROP TABLE y; --`"


def test_literals_refuse_anything_but_generated_values() -> None:
    with pytest.raises(ValueError):
        create_statements("evil'user", "pw", (), max_connections=1, max_statement_time=None)


def test_grant_parsing_never_keeps_the_password_hash() -> None:
    lines = [
        "GRANT USAGE ON *.* TO `app`@`%` IDENTIFIED BY PASSWORD "
        "'*F601E599195F0AF57BE9DD93DA412F4AF21383D5'",
        "GRANT SELECT, INSERT, UPDATE, DELETE ON `shop`.* TO `app`@`%`",
    ]
    result = describe_grants(lines)
    assert "F601E599" not in repr(result)
    assert result.severity is Severity.HIGH
    assert set(result.capabilities) == {
        "write-production-data",
        "delete-production-data",
        "read-production-data",
    }
    assert result.summary == "DELETE, INSERT, SELECT, UPDATE on shop.*"


def test_all_privileges_on_one_database_is_high_and_global_is_critical() -> None:
    one = describe_grants(["GRANT ALL PRIVILEGES ON `shop`.* TO `a`@`%`"])
    assert one.severity is Severity.HIGH
    every = describe_grants(["GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION"])
    assert every.severity is Severity.CRITICAL
    assert "admin-database" in every.capabilities
    usage = describe_grants(["GRANT USAGE ON *.* TO `a`@`%`"])
    assert usage.capabilities == ()
    assert usage.summary == "no privileges beyond USAGE"
