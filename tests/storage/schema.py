"""Reading a database's schema from its own catalogue, and building databases at a revision, for
the migration tests. Alembic's bookkeeping table (alembic_version) is left out."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from sqlalchemy import Connection, text
from sqlmodel import SQLModel

from storage import tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from storage.database import create_engine
from storage.migrations import alembic_config

T = TypeVar("T")
BEFORE_MIGRATIONS = Path(__file__).parent / "before_migrations"
VERSION_TABLE = "alembic_version"


async def on_database(url: str, work: Callable[[Connection], T], *, commit: bool = False) -> T:
    """Run `work` on a connection to `url` (in a transaction committed if `commit`)."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            result = await connection.run_sync(work)
            if commit:
                await connection.commit()
            return result
    finally:
        await engine.dispose()


async def build_before_migrations(url: str) -> None:
    """A database as Resonanz created it before it had migrations (the recorded statements)."""
    def create(connection: Connection) -> None:
        for statement in before_migrations_statements(connection.dialect.name):
            connection.exec_driver_sql(statement)
    await on_database(url, create, commit=True)


def before_migrations_statements(dialect: str) -> list[str]:
    lines = (BEFORE_MIGRATIONS / f"{dialect}.sql").read_text(encoding="utf-8").splitlines()
    script = "\n".join(line for line in lines if not line.startswith("--"))
    return [statement.strip() for statement in script.split(";") if statement.strip()]


async def build_at(url: str, revision: str) -> None:
    """A database migrated from empty to `revision` (Alembic directly, no adoption)."""
    await on_database(url, lambda connection: command.upgrade(alembic_config(connection),
                                                              revision), commit=True)


async def build_from_models(url: str) -> None:
    """A database with the tables as the models describe them (SQLModel's create_all)."""
    await on_database(url, SQLModel.metadata.create_all, commit=True)


def revision_of(connection: Connection) -> list[str]:
    """The revisions in alembic_version, or an empty list (no such table or no row)."""
    if not connection.dialect.has_table(connection, VERSION_TABLE):
        return []
    rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars()
    return sorted(rows)


# ------------------------------------------------------------------------------- catalogues


def sqlite_master(connection: Connection) -> dict[str, str | None]:
    """Every table and index SQLite keeps, with its CREATE statement, whitespace normalised."""
    rows = connection.execute(text(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE tbl_name <> :version "
        "AND NOT (type = 'table' AND name LIKE 'sqlite_%')"), {"version": VERSION_TABLE})
    return {f"{kind} {name} on {table}": None if sql is None else _normalised(sql)
            for kind, name, table, sql in rows}


def catalogue(connection: Connection, *, column_order: bool = True) -> dict[str, Any]:
    """Each table's columns (type, nullability, default, key position), primary key, unique
    and foreign keys, checks, indexes and table options, as the database reports them.
    Without `column_order`, the order of columns is not part of it (columns added by a
    migration come last; the models may declare them elsewhere)."""
    if connection.dialect.name == "sqlite":
        return _sqlite_catalogue(connection, column_order)
    return _postgresql_catalogue(connection, column_order)


def _normalised(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip()


def _sqlite_catalogue(connection: Connection, column_order: bool) -> dict[str, Any]:
    found: dict[str, Any] = {}
    names = connection.execute(text(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name <> :version "
        "AND name NOT LIKE 'sqlite_%'"), {"version": VERSION_TABLE}).all()
    for name, sql in names:
        columns = [tuple(row[1:6]) + ((row[0],) if column_order else ())
                   for row in connection.exec_driver_sql(f'PRAGMA table_xinfo("{name}")')]
        indexes = []
        for _, index, unique, origin, partial in connection.exec_driver_sql(
                f'PRAGMA index_list("{name}")'):
            keys = [tuple(row[2:5]) for row in connection.exec_driver_sql(
                f'PRAGMA index_xinfo("{index}")') if row[5]]
            indexes.append((index, unique, origin, partial, keys))
        foreign_keys = [tuple(row[1:]) for row in connection.exec_driver_sql(
            f'PRAGMA foreign_key_list("{name}")')]
        found[name] = {
            "columns": sorted(columns, key=str),
            "indexes": sorted(indexes, key=str),
            "foreign keys": sorted(foreign_keys, key=str),
            "without rowid": bool(re.search(r"\)\s*WITHOUT\s+ROWID\s*$", sql, re.I)),
        }
    return found


_PG_TABLES = """
SELECT c.relname, c.relkind, c.relpersistence, c.reloptions
FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace
AND c.relkind IN ('r', 'p', 'S', 'v', 'm') AND c.relname <> :version
"""
_PG_COLUMNS = """
SELECT table_name, column_name, ordinal_position, data_type, character_maximum_length,
       numeric_precision, numeric_scale, datetime_precision, is_nullable, column_default,
       is_identity, is_generated, collation_name
FROM information_schema.columns WHERE table_schema = current_schema() AND table_name <> :version
"""
_PG_CONSTRAINTS = """
SELECT c.conrelid::regclass::text, c.conname, c.contype, pg_get_constraintdef(c.oid),
       c.condeferrable, c.condeferred
FROM pg_constraint c WHERE c.connamespace = current_schema()::regnamespace
AND c.conrelid::regclass::text <> :version
"""
_PG_INDEXES = """
SELECT tablename, indexname, indexdef FROM pg_indexes
WHERE schemaname = current_schema() AND tablename <> :version
"""


def _postgresql_catalogue(connection: Connection, column_order: bool) -> dict[str, Any]:
    def rows(query: str) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in connection.execute(text(query),
                                                         {"version": VERSION_TABLE})]

    found: dict[str, Any] = {}
    for name, kind, persistence, options in rows(_PG_TABLES):
        found[name] = {"kind": kind, "persistence": persistence, "options": options,
                       "columns": [], "constraints": [], "indexes": []}
    for table, column, position, *details in rows(_PG_COLUMNS):
        found[table]["columns"].append((column, *details) + ((position,) if column_order else ()))
    for table, *constraint in rows(_PG_CONSTRAINTS):
        found[table]["constraints"].append(tuple(constraint))
    for table, *index in rows(_PG_INDEXES):
        found[table]["indexes"].append(tuple(index))
    for table in found.values():
        for part in ("columns", "constraints", "indexes"):
            table[part].sort(key=str)
    return found
