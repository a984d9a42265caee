"""The read-only unit of work, on SQLite and PostgreSQL: it reads what was committed, cannot
write, and on SQLite never takes the write lock (so it reads while another process holds it)."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from storage.database import read_only_unit_of_work
from storage.repositories import Chat, Storage
from tests.storage.test_contract import _add_poll

OTHER_CHAT = Chat("19:other@thread.v2", "http://127.0.0.1:9/", "tenant", "28:bot", "MCMy")


@contextmanager
def sql_sent() -> Iterator[list[str]]:
    """Every statement any engine sends meanwhile, transaction control included."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        seen.append(" ".join(sql.split()).upper())

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


async def test_it_reads_what_was_committed(storage: Storage) -> None:
    stored = await _add_poll(storage)
    async with read_only_unit_of_work(storage) as uow:
        assert await uow.polls.get("p1") == stored


async def test_a_write_in_it_fails_and_nothing_is_stored(storage: Storage) -> None:
    async with read_only_unit_of_work(storage) as uow:
        with pytest.raises(DBAPIError, match=r"(?i)read.?only"):
            await uow.chats.remember(OTHER_CHAT)
    async with storage.unit_of_work() as uow:
        assert await uow.chats.get(OTHER_CHAT.conversation_id) is None


async def test_there_is_nothing_to_commit(storage: Storage) -> None:
    async with read_only_unit_of_work(storage) as uow:
        with pytest.raises(TypeError):
            await uow.commit()


async def test_writing_units_of_work_still_write_afterwards(storage: Storage) -> None:
    async with read_only_unit_of_work(storage) as uow:
        await uow.polls.get("p1")
    async with storage.unit_of_work() as uow:
        await uow.chats.remember(OTHER_CHAT)
        await uow.commit()
    async with read_only_unit_of_work(storage) as uow:
        assert await uow.chats.get(OTHER_CHAT.conversation_id) == OTHER_CHAT


async def test_on_sqlite_it_begins_deferred_never_immediate(storage: Storage) -> None:
    if storage.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")
    await _add_poll(storage)
    with sql_sent() as seen:
        async with read_only_unit_of_work(storage) as uow:
            await uow.polls.get("p1")
    assert "BEGIN DEFERRED" in seen
    assert not [sql for sql in seen if "IMMEDIATE" in sql], seen


async def test_on_sqlite_it_reads_while_another_process_holds_the_write_lock(
        storage: Storage) -> None:
    if storage.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")
    stored = await _add_poll(storage)
    holder = sqlite3.connect(str(storage.engine.url.database), isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        holder.execute("DELETE FROM chat")  # uncommitted: the reader must not see it
        started = time.monotonic()
        async with read_only_unit_of_work(storage) as uow:
            assert await asyncio.wait_for(uow.polls.get("p1"), timeout=5) == stored
            assert await uow.chats.get(stored.conversation_id) is not None
        assert time.monotonic() - started < 1.0  # no busy timeout waited out
    finally:
        holder.execute("ROLLBACK")
        holder.close()


async def test_on_postgresql_its_transaction_is_read_only(storage: Storage) -> None:
    if storage.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's READ ONLY transactions")
    async with read_only_unit_of_work(storage) as uow:
        assert (await uow.session.execute(text("SHOW transaction_read_only"))).scalar() == "on"
    async with storage.unit_of_work() as uow:  # the pool's connections are not left read-only
        assert (await uow.session.execute(text("SHOW transaction_read_only"))).scalar() == "off"
