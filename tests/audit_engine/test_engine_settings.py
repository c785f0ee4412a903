"""Issue 13's causes as real repositories write them, judged in the file they live in.

The catalog's own examples are classified as if read from ``.env``; these cases need
their real file name (``docker-compose.yml`` is a development file, ``README.md`` is
documentation, ``config/database.yml`` names its engine apart from the password).
"""

from __future__ import annotations

import pytest
from tests.audit_engine.audit_engine_helpers import Findings

from agentauth.engine.rules.samples import expand
from agentauth.model import Severity


def _found(findings: Findings, text: str, file: str) -> list[tuple[str, str, str | None]]:
    """(rule id, provider, variable) of every finding above info."""
    return [
        (f.rule_id, f.provider, f.variable)
        for f in findings(expand(text, file), file)
        if f.severity is not Severity.INFO
    ]


# ------------------------------------------------------------------ passwords as settings

RAILS = """\
default: &default
  adapter: postgresql
  encoding: unicode
  pool: <%= ENV.fetch("RAILS_MAX_THREADS") { 5 } %>

development:
  <<: *default
  database: shop_development

production:
  <<: *default
  database: shop_production
  username: shop
  password: @@b62:20@@
"""

DJANGO = """\
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.mysql",
        "NAME": "shop",
        "USER": "shop",
        "PASSWORD": "@@b62:18@@",
        "HOST": "db.acme-corp.io",
    }
}
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "OPTIONS": {"PASSWORD": "@@b62:18@@"},
    }
}
EMAIL_HOST_PASSWORD = "@@b62:16@@"
"""


@pytest.mark.parametrize(
    ("file", "text", "expected"),
    [
        (
            "docker-compose.yml",
            "services:\n  db:\n    image: postgres:16\n    environment:\n"
            "      POSTGRES_PASSWORD: @@b62:20@@\n",
            [("postgres-password", "postgres", "POSTGRES_PASSWORD")],
        ),
        (
            "compose.yaml",
            "services:\n  db:\n    environment:\n      - MYSQL_ROOT_PASSWORD=@@b62:20@@\n",
            [("mysql-password", "mysql", "MYSQL_ROOT_PASSWORD")],
        ),
        ("config/database.yml", RAILS, [("postgres-password", "postgres", "password")]),
        (
            "shop/settings.py",
            DJANGO,
            [
                ("mysql-password", "mysql", "PASSWORD"),
                ("generic-secret", "generic", "PASSWORD"),
                ("generic-secret", "generic", "EMAIL_HOST_PASSWORD"),
            ],
        ),
        (
            "infra/variables.tf",
            'variable "db_password" {\n  type    = string\n  default = "@@b62:20@@"\n}\n',
            [("database-password", "database", "db_password")],
        ),
        (
            "src/main/resources/application.yml",
            "spring:\n  datasource:\n    url: jdbc:postgresql://db.acme-corp.io/shop\n"
            "    username: shop\n    password: @@b62:20@@\n",
            [("postgres-password", "postgres", "password")],
        ),
    ],
)
def test_database_passwords_are_the_engines(
    findings: Findings, file: str, text: str, expected: list[tuple[str, str, str]]
) -> None:
    assert _found(findings, text, file) == expected


@pytest.mark.parametrize(
    "text",
    [
        RAILS.replace("@@b62:20@@", "<%= ENV['SHOP_DATABASE_PASSWORD'] %>"),
        DJANGO.replace('"@@b62:18@@"', 'os.environ["DB_PASSWORD"]').replace(
            'EMAIL_HOST_PASSWORD = "@@b62:16@@"', ""
        ),
        "services:\n  db:\n    environment:\n      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?}\n",
        'resource "aws_db_instance" "db" {\n  engine   = "postgres"\n'
        "  password = random_password.db.result\n}\n",
    ],
)
def test_database_password_references_are_not_findings(findings: Findings, text: str) -> None:
    assert _found(findings, text, "config/settings.py") == []


def test_the_superusers_password_administers_the_server(findings: Findings) -> None:
    text = expand("MYSQL_ROOT_PASSWORD=@@b62:20@@\nMYSQL_PASSWORD=@@b62:20@@\n")
    root, user = findings(text, ".env.production")
    assert "admin-database" in root.capabilities and root.severity is Severity.CRITICAL
    assert "admin-database" not in user.capabilities


# ------------------------------------------------------------------ audit agrees with init


def test_a_short_live_key_is_the_apps_key_in_env_and_a_stand_in_elsewhere(
    findings: Findings,
) -> None:
    """init and lock call any ``sk_live_`` value a credential; in .env so does the audit."""
    text = "STRIPE_SECRET_KEY=sk_live_4eC39HqLyj\n"
    assert _found(findings, text, ".env") == [("stripe-secret-key", "stripe", "STRIPE_SECRET_KEY")]
    assert _found(findings, text, "README.md") == []
    assert _found(findings, text, "src/payments.py") == []


# ------------------------------------------------------------------ files of their own kind


def test_wordpress_constants_are_read(findings: Findings) -> None:
    text = (
        "<?php\ndefine( 'DB_NAME', 'wordpress' );\ndefine( 'DB_USER', 'wp' );\n"
        "define( 'DB_PASSWORD', '@@b62:16@@9!' );\n"
        "define( 'AUTH_KEY', '@@b62:20@@#@@b62:20@@' );\n"
        "define( 'DB_HOST', getenv('DB_HOST') );\n"
    )
    assert _found(findings, text, "wp-config.php") == [
        ("database-password", "database", "DB_PASSWORD"),
        ("generic-secret", "generic", "AUTH_KEY"),
    ]


def test_netrc_entries_are_found_in_a_netrc(findings: Findings) -> None:
    text = (
        "machine api.heroku.com\n  login dev@acme-corp.io\n  password @@uuid@@\n"
        "machine github.com\n  login dev\n  password $GITHUB_TOKEN\n"
    )
    found = findings(expand(text, "netrc"), ".netrc")
    assert [(f.rule_id, f.extra.get("host")) for f in found] == [
        ("netrc-password", "api.heroku.com")
    ]


@pytest.mark.parametrize(
    ("file", "text"),
    [
        ("docs/install.md", "mysql://root:secret@db:3306/app"),
        ("README.rst", "DATABASE_URL=postgres://postgres:postgres@localhost:5432/dev"),
        ("app/db.py", "url = 'postgresql://%s:%s@%s/%s' % (user, pw, host, db)"),
        ("app/db.py", "URL = 'mysql://{}:{}@{}/{}'.format(user, pw, host, db)"),
    ],
)
def test_documented_and_formatted_urls_are_not_findings(
    findings: Findings, file: str, text: str
) -> None:
    assert _found(findings, text, file) == []


def test_a_local_default_password_in_a_loaded_env_file_is_still_reported(
    findings: Findings,
) -> None:
    (url,) = findings("DATABASE_URL=mysql://root:secret@db:3306/app\n", ".env")
    assert (url.rule_id, url.severity, url.ci_fail) == ("mysql-url", Severity.LOW, False)


def test_an_engine_named_in_another_file_of_a_history_buffer_does_not_count(
    findings: Findings,
) -> None:
    """``audit --history`` joins many files' added lines, separated by a break line."""
    from agentauth.engine.embedded import SEGMENT_BREAK

    database_yml = "production:\n  adapter: postgresql\n  password: @@b62:20@@\n"
    other = "  password: @@b62:20@@\n"
    text = database_yml + SEGMENT_BREAK.decode() + "\n" + other
    assert [r for r, _, _ in _found(findings, text, "history")] == [
        "postgres-password",
        "generic-secret",
    ]
