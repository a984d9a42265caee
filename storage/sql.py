"""SQL that differs between SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from sqlalchemy import Table, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlmodel import SQLModel


def table_of(model: type[SQLModel]) -> Table:
    """The table behind a table class (its `__table__`, which SQLModel does not declare)."""
    table = inspect(model).local_table
    assert isinstance(table, Table)
    return table


def dialect_of(bind: AsyncSession | AsyncEngine) -> str:
    """"postgresql" or "sqlite": the database behind a session or an engine."""
    engine = bind.bind if isinstance(bind, AsyncSession) else bind
    return engine.dialect.name if engine is not None else "sqlite"


def insert_for(bind: AsyncSession | AsyncEngine, table: Any) -> Any:
    """An INSERT with ON CONFLICT support, in the dialect of the database behind `bind`."""
    return _insert(dialect_of(bind))(table)


def _insert(dialect: str) -> Callable[[Any], Any]:
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def upsert(session: AsyncSession, table: Table, keys: tuple[str, ...],
           update: tuple[str, ...] = (), *, add: tuple[str, ...] = ()) -> Any:
    """INSERT ... ON CONFLICT (keys): the `update` columns take the new values, the `add`
    columns add them to the stored ones, and without either the row stays as it is. Built once
    per database dialect and reused: on the vote path, building the statement cost more than
    running it."""
    return _upsert(dialect_of(session), table, keys, update, add)


@cache
def _upsert(dialect: str, table: Table, keys: tuple[str, ...], update: tuple[str, ...],
            add: tuple[str, ...]) -> Any:
    statement = _insert(dialect)(table)
    if not update and not add:
        return statement.on_conflict_do_nothing(index_elements=list(keys))
    new = statement.excluded
    changes = {column: new[column] for column in update}
    changes |= {column: table.c[column] + new[column] for column in add}
    return statement.on_conflict_do_update(index_elements=list(keys), set_=changes)


async def rows_by_id(session: AsyncSession, table: Table, ids: Iterable[str]) -> dict[str, Any]:
    """The rows of `table` among `ids` that exist, by id (one query)."""
    rows = await session.execute(select(table).where(table.c.id.in_(set(ids))))
    return {row.id: row for row in rows.all()}
