"""The Q&A asking limit (5 questions in 5 minutes) holds across processes on PostgreSQL, and
what it stores cannot be joined with the asking key or across minutes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.qna.asking_limits import AskingLimits, SharedAskingLimits, asking_limits_for
from facilitation.qna import QUESTIONS_PER_WINDOW
from storage.database import create_engine
from storage.tables import AskingCountRow

NOW = datetime(2026, 11, 25, 9, 0, 30, tzinfo=UTC)
KEY = "a" * 64  # a board-scoped asking key


async def _rows(limits: SharedAskingLimits) -> list[AskingCountRow]:
    async with limits._engine.connect() as connection:
        return list((await connection.execute(select(AskingCountRow))).all())


@pytest.mark.postgres
async def test_questions_sent_to_two_processes_at_once_share_one_limit(two_storages):
    a, b = (SharedAskingLimits(storage.engine) for storage in two_storages)
    admitted = await asyncio.gather(*((a if n % 2 else b).admit(KEY, NOW) for n in range(12)))
    assert sum(admitted) == QUESTIONS_PER_WINDOW
    assert await a.admit("b" * 64, NOW)  # someone else is not held back
    assert not await b.admit(KEY, NOW + timedelta(minutes=4))
    assert await b.admit(KEY, NOW + timedelta(minutes=6))


@pytest.mark.postgres
async def test_a_limit_reached_in_one_minute_holds_for_the_whole_window(two_storages):
    a, b = (SharedAskingLimits(storage.engine) for storage in two_storages)
    for minute in range(QUESTIONS_PER_WINDOW):
        assert await (a, b)[minute % 2].admit(KEY, NOW + timedelta(minutes=minute))
    assert not await a.admit(KEY, NOW + timedelta(minutes=5))  # the first is 5 min ago
    assert await b.admit(KEY, NOW + timedelta(minutes=6))


@pytest.mark.postgres
async def test_counts_are_stored_under_a_tag_per_minute_and_expire(two_storages):
    limits = SharedAskingLimits(two_storages[0].engine)
    for minute in (0, 0, 1):
        await limits.admit(KEY, NOW + timedelta(minutes=minute))
    rows = await _rows(limits)
    assert sorted(row.count for row in rows) == [1, 2]
    assert len({row.tag for row in rows}) == 2  # another tag each minute ...
    assert all(KEY not in row.tag for row in rows)  # ... never the asking key itself
    await limits.expire(NOW + timedelta(minutes=6))
    assert [row.count for row in await _rows(limits)] == [1]
    await limits.expire(NOW + timedelta(minutes=7))
    assert await _rows(limits) == []


@pytest.mark.postgres
async def test_postgres_gets_the_shared_limit_and_sqlite_the_one_in_memory(postgres_url,
                                                                           tmp_path):
    engines = [create_engine(postgres_url), create_engine(f"sqlite:///{tmp_path / 'x.db'}")]
    try:
        shared, local = (asking_limits_for(engine) for engine in engines)
        assert isinstance(shared, SharedAskingLimits)
        assert type(local) is AskingLimits
    finally:
        for engine in engines:
            await engine.dispose()


async def test_the_memory_limit_forgets_people_after_the_window():
    limits = AskingLimits()
    assert await limits.admit(KEY, NOW)
    await limits.expire(NOW + timedelta(minutes=4))
    assert KEY in limits._recent
    await limits.expire(NOW + timedelta(minutes=5))
    assert KEY not in limits._recent
