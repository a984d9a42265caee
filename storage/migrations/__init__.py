"""Schema migrations: bringing a database to the newest revision and adopting one made before
migrations existed. Alembic is configured here in code (no alembic.ini), so an installed
`resonanz` finds its revisions (`versions/`) from any working directory."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, MetaData, inspect, text

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent
FIRST_REVISION = "0001"
# What a comparison of a database with tables looks at besides tables, columns, nullability,
# indexes, unique constraints and foreign keys (Alembic's autogenerate comparison).
COMPARISON: dict[str, Any] = {"compare_type": True, "compare_server_default": True}
_WITHOUT_ROWID = re.compile(r"\)\s*WITHOUT\s+ROWID\s*;?\s*$", re.IGNORECASE)


class SchemaError(RuntimeError):
    """The database's schema is not one this version can bring up to date; nothing was
    changed."""


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration for Resonanz's revisions; env.py runs them on `connection`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    return config


def connection_of(config: Config) -> Connection:
    """The connection env.py runs the migrations on (handed in by `alembic_config`)."""
    connection = config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise CommandError("Resonanz runs its migrations on a connection it hands in "
                           "(storage.migrations.upgrade); there is no alembic.ini")
    return connection


def upgrade(connection: Connection) -> None:
    """Bring the schema behind `connection` to the newest revision, within the caller's
    transaction: an empty database gets every table, one made before migrations existed is
    adopted (checked against the first revision, then stamped with it), and the revisions a
    database lacks are applied in order. A database at a revision this version does not know
    (a newer version upgraded it) or one whose tables are not the first revision's raises
    SchemaError, unchanged."""
    config = alembic_config(connection)
    script = ScriptDirectory.from_config(config)
    current = MigrationContext.configure(connection).get_current_heads()
    heads = script.get_heads()
    if set(current) == set(heads):
        return
    _refuse_unknown(script, current, heads)
    if not current and _made_before_migrations(connection, script):
        _adopt(config, connection, script)
    command.upgrade(config, "head")
    logger.info("database: schema upgraded from revision %s to %s",
                ", ".join(current) or "(empty database)", ", ".join(heads))


def first_tables(script: ScriptDirectory | None = None) -> MetaData:
    """The tables of the first revision: the schema Resonanz made before it had migrations."""
    script = script or ScriptDirectory.from_config(alembic_config())
    tables: MetaData = script.get_revision(FIRST_REVISION).module.tables()
    return tables


def differences(connection: Connection, metadata: MetaData, *,
                other_tables: bool = True) -> list[str]:
    """How the schema behind `connection` differs from `metadata`: Alembic's autogenerate
    comparison, and on SQLite whether tables are WITHOUT ROWID (which Alembic does not see).
    With `other_tables=False`, tables that `metadata` does not name are not looked at."""

    def looked_at(name: str | None, kind: str, parents: Any) -> bool:
        return other_tables or kind != "table" or name in metadata.tables

    context = MigrationContext.configure(connection, opts={**COMPARISON,
                                                           "include_name": looked_at})
    found = [_describe(difference) for difference in compare_metadata(context, metadata)]
    return found + _rowid_differences(connection, metadata)


def _refuse_unknown(script: ScriptDirectory, current: Sequence[str],
                    heads: Sequence[str]) -> None:
    for revision in current:
        try:
            script.get_revision(revision)
        except CommandError:
            raise SchemaError(
                f"the database is at schema revision {revision}, which this version of "
                f"Resonanz does not know (its newest is {', '.join(heads)}): a newer version "
                "has upgraded it. Run that version, or restore the backup taken before the "
                "update (docs/DEPLOY.md, Updating)") from None


def _made_before_migrations(connection: Connection, script: ScriptDirectory) -> bool:
    """Whether a database without a schema revision holds tables of the first revision."""
    existing = set(inspect(connection).get_table_names())
    return bool(existing and existing & set(first_tables(script).tables))


def _adopt(config: Config, connection: Connection, script: ScriptDirectory) -> None:
    """A database created before migrations (SQLModel's create_all, no alembic_version): if its
    tables are the first revision's, stamp it with that revision."""
    found = differences(connection, first_tables(script), other_tables=False)
    if found:
        raise SchemaError(
            "the database has Resonanz's tables but no schema revision (it was created before "
            "migrations existed), and they differ from the first revision, so it was left "
            "unchanged: " + "; ".join(found))
    command.stamp(config, FIRST_REVISION)
    logger.info("database: created before schema migrations; its tables match revision %s, "
                "adopted as that revision", FIRST_REVISION)


def _rowid_differences(connection: Connection, metadata: MetaData) -> list[str]:
    if connection.dialect.name != "sqlite":
        return []
    rows = connection.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'table'"))
    created = {name: sql for name, sql in rows}
    found = []
    for table in metadata.tables.values():
        if table.name not in created:
            continue  # a missing table is reported by the comparison
        wanted = table.dialect_options["sqlite"]["with_rowid"] is not False
        has = not _WITHOUT_ROWID.search(created[table.name])
        if wanted != has:
            found.append(f"table {table.name} is {'with' if has else 'WITHOUT'} ROWID, "
                         f"expected {'with' if wanted else 'WITHOUT'} ROWID")
    return found


def _describe(difference: Any) -> str:
    """One of compare_metadata's differences (a tuple, or a list of them for one column), e.g.
    "add_column poll colour" or "modify_nullable poll status False True"."""
    if isinstance(difference, list):
        return "; ".join(_describe(part) for part in difference)
    operation, *details = difference
    return " ".join([operation, *(_name(detail) for detail in details
                                  if detail is not None and not isinstance(detail, dict))])


def _name(detail: Any) -> str:
    name = detail if isinstance(detail, str) else getattr(detail, "name", None)
    if isinstance(name, str):
        return name
    columns = getattr(detail, "columns", None)
    if columns is not None:  # an unnamed constraint
        return f"{type(detail).__name__}({', '.join(column.name for column in columns)})"
    return str(detail)
