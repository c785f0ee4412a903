"""Read-only questions the Postgres provider asks the server before provisioning.

Connected as the admin credential, it learns the server version, what the admin
may create and grant, which tables and owners exist in the schemas of the policy,
and the PUBLIC defaults that are not a boundary (TEMP, EXECUTE, SECURITY DEFINER).
Every query binds its values as parameters; nothing here changes the server.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

_ADMIN = """
SELECT current_setting('server_version_num')::int, current_user, current_database(),
       r.rolsuper, r.rolcreaterole,
       has_database_privilege(current_database(), 'CONNECT WITH GRANT OPTION'),
       has_database_privilege('public', current_database(), 'CONNECT'),
       has_database_privilege('public', current_database(), 'TEMPORARY'),
       pg_has_role(d.datdba, 'MEMBER')
  FROM pg_roles r, pg_database d
 WHERE r.rolname = current_user AND d.datname = current_database()
"""
_SCHEMAS = """
SELECT n.nspname, has_schema_privilege(n.oid, 'USAGE WITH GRANT OPTION'),
       has_schema_privilege('public', n.oid, 'CREATE'), pg_has_role(n.nspowner, 'MEMBER')
  FROM pg_namespace n WHERE n.nspname = ANY(%s)
"""
_RELATIONS = """
SELECT n.nspname, c.relname, c.relkind, pg_get_userbyid(c.relowner),
       has_table_privilege(c.oid, 'SELECT WITH GRANT OPTION'), pg_has_role(c.relowner, 'MEMBER')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = ANY(%s) AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
 ORDER BY 1, 2
"""
_COLUMNS = """
SELECT n.nspname, c.relname, a.attname
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = ANY(%s) AND a.attnum > 0 AND NOT a.attisdropped
"""
_FUNCTIONS = """
SELECT n.nspname, p.proname, pg_get_function_identity_arguments(p.oid), p.prosecdef,
       pg_get_userbyid(p.proowner)
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = ANY(%s) AND has_function_privilege('public', p.oid, 'EXECUTE')
 ORDER BY 1, 2
"""
# What every role may do on this server that is not a boundary, database-wide (issue 15).
_PUBLIC_CREATE = """
SELECT n.nspname, pg_has_role(n.nspowner, 'MEMBER')
  FROM pg_namespace n
 WHERE has_schema_privilege('public', n.oid, 'CREATE')
   AND n.nspname NOT LIKE 'pg\\_%%' AND n.nspname <> 'information_schema'
 ORDER BY 1
"""
_DEFINERS = """
SELECT n.nspname, p.proname, pg_get_function_identity_arguments(p.oid),
       pg_get_userbyid(p.proowner), pg_has_role(p.proowner, 'MEMBER'), p.oid::regprocedure::text
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE p.prosecdef AND has_function_privilege('public', p.oid, 'EXECUTE')
   AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND (n.nspname = ANY(%s) OR has_schema_privilege('public', n.oid, 'USAGE'))
 ORDER BY 1, 2
"""
LO_WRITERS = ("lo_create(oid)", "lo_creat(integer)", "lo_from_bytea(oid,bytea)")
_LO_WRITERS = """
SELECT f FROM unnest(%s::text[]) AS f
 WHERE has_function_privilege('public', f, 'EXECUTE')
"""
_PUBLIC_TABLES = """
SELECT n.nspname, c.relname
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
   AND has_table_privilege('public', c.oid, 'SELECT')
   AND (n.nspname = ANY(%s) OR has_schema_privilege('public', n.oid, 'USAGE'))
   AND n.nspname NOT IN ('pg_catalog', 'information_schema')
 ORDER BY 1, 2
"""
_OTHER_DATABASES = """
SELECT datname, has_database_privilege('public', oid, 'TEMPORARY')
  FROM pg_database
 WHERE datallowconn AND datname <> current_database()
   AND has_database_privilege('public', oid, 'CONNECT')
 ORDER BY 1
"""
_PUBLIC_FDW = """
SELECT 'foreign-data wrapper ' || fdwname FROM pg_foreign_data_wrapper
 WHERE has_foreign_data_wrapper_privilege('public', oid, 'USAGE')
UNION ALL
SELECT 'foreign server ' || srvname FROM pg_foreign_server
 WHERE has_server_privilege('public', oid, 'USAGE')
ORDER BY 1
"""


@dataclass(frozen=True)
class Relation:
    """A table, view or sequence in one of the policy's schemas, as the admin sees it."""

    schema: str
    name: str
    kind: str
    owner: str
    grantable: bool
    """The admin may GRANT SELECT on it (owner, member of the owner, or WITH GRANT OPTION)."""
    owner_member: bool
    """The admin is a member of its owner (needed for ALTER DEFAULT PRIVILEGES FOR ROLE)."""

    @property
    def is_sequence(self) -> bool:
        """True for sequences (granted SELECT only, never USAGE: no nextval)."""
        return self.kind == "S"


@dataclass(frozen=True)
class ServerFacts:
    """What the admin credential can see and do on the server."""

    version: int
    admin: str
    database: str
    superuser: bool
    createrole: bool
    connect_grantable: bool
    public_connect: bool
    public_temp: bool
    database_owner: bool
    schemas: dict[str, tuple[bool, bool, bool]] = field(default_factory=dict)
    """schema -> (USAGE grantable, PUBLIC has CREATE, admin is a member of its owner)."""
    relations: tuple[Relation, ...] = ()
    columns: frozenset[tuple[str, str, str]] = frozenset()
    public_functions: tuple[tuple[str, str, str, bool, str], ...] = ()
    """(schema, name, arguments, SECURITY DEFINER, owner) executable by PUBLIC."""
    public_create: tuple[tuple[str, bool], ...] = ()
    """Every schema where PUBLIC may CREATE: (schema, the admin is a member of its owner)."""
    definers: tuple[tuple[str, str, str, str, bool, str], ...] = ()
    """SECURITY DEFINER functions PUBLIC may run in a reachable schema: (schema, name,
    arguments, owner, the admin is a member of the owner, the server-quoted signature)."""
    lo_writers: tuple[str, ...] = ()
    """Large-object creators PUBLIC may execute (they work in a read-only session)."""
    public_tables: tuple[tuple[str, str], ...] = ()
    """Tables and views PUBLIC may SELECT in a schema the agent can reach."""
    other_databases: tuple[tuple[str, bool], ...] = ()
    """Other databases PUBLIC may CONNECT to: (name, PUBLIC may also create TEMP tables)."""
    public_fdw: tuple[str, ...] = ()
    """Foreign-data wrappers and servers PUBLIC may use (CREATE SERVER / USER MAPPING)."""

    def relation(self, schema: str, name: str) -> Relation | None:
        """Return the relation named ``schema.name`` or None."""
        return next((r for r in self.relations if r.schema == schema and r.name == name), None)


def inspect(conn: Any, schemas: Sequence[str]) -> ServerFacts:
    """Ask the server (read-only) everything :mod:`postgres` needs to plan."""
    names = list(schemas)
    row = conn.execute(_ADMIN).fetchone()
    schema_rows = conn.execute(_SCHEMAS, [names]).fetchall()
    relations = tuple(Relation(*r) for r in conn.execute(_RELATIONS, [names]).fetchall())
    columns = frozenset(tuple(r) for r in conn.execute(_COLUMNS, [names]).fetchall())
    functions = tuple(tuple(r) for r in conn.execute(_FUNCTIONS, [names]).fetchall())
    definers = tuple(tuple(r) for r in conn.execute(_DEFINERS, [names]).fetchall())
    lo_writers = tuple(str(r[0]) for r in conn.execute(_LO_WRITERS, [list(LO_WRITERS)]))
    return ServerFacts(
        version=int(row[0]),
        admin=str(row[1]),
        database=str(row[2]),
        superuser=bool(row[3]),
        createrole=bool(row[4]),
        connect_grantable=bool(row[5]),
        public_connect=bool(row[6]),
        public_temp=bool(row[7]),
        database_owner=bool(row[8]),
        schemas={str(r[0]): (bool(r[1]), bool(r[2]), bool(r[3])) for r in schema_rows},
        relations=relations,
        columns=columns,
        public_functions=functions,
        public_create=tuple((str(r[0]), bool(r[1])) for r in conn.execute(_PUBLIC_CREATE)),
        definers=definers,
        lo_writers=lo_writers,
        public_tables=tuple((str(r[0]), str(r[1])) for r in conn.execute(_PUBLIC_TABLES, [names])),
        other_databases=tuple((str(r[0]), bool(r[1])) for r in conn.execute(_OTHER_DATABASES)),
        public_fdw=tuple(str(r[0]) for r in conn.execute(_PUBLIC_FDW)),
    )
