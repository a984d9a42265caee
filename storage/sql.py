"""SQL that differs between SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from sqlalchemy import Table, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlmodel import SQLModel

from storage.mapping import CHAT_FIELDS
from storage.tables import ChatRow


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


async def rows_by_id(session: AsyncSession, table: Table, ids: Iterable[str], *,
                     with_chat: bool = False) -> dict[str, Any]:
    """The rows of `table` among `ids` that exist, by id (one query). `with_chat`: each row also
    carries its chat's columns (storage.mapping.CHAT_FIELDS, named CHAT_PREFIX + field, None
    where the chat is unknown), joined on the conversation id."""
    if with_chat:
        statement: Any = _with_chat(table)
    else:
        statement = select(table)
    rows = await session.execute(statement.where(table.c.id.in_(set(ids))))
    return {row.id: row for row in rows.all()}


CHAT_PREFIX = "chat_"


@cache
def _with_chat(table: Table) -> Any:
    chats = table_of(ChatRow)
    columns = [chats.c[name].label(CHAT_PREFIX + name) for name in CHAT_FIELDS]
    return select(table, *columns).outerjoin(
        chats, chats.c.conversation_id == table.c.conversation_id)
