"""With two processes on one database every timer fires once: auto-closing a poll, a breakout
reminder, the daily purge."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.core.meetings import Meetings
from bot.delivery.transport import Address
from bot.housekeeping.scheduler import close_due_polls, purge_if_due, tell_breakout_groups
from facilitation.breakout_rounds import BreakoutRound, RoundStatus, Source
from facilitation.policy import Policy
from facilitation.polls import PollDraft, PollStatus, open_poll
from storage.breakout_repository import StoredRound
from storage.coordination import claim_run
from storage.database import create_engine, create_schema
from storage.repositories import Chat, Storage, StoredPoll, UnitOfWork

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
CHAT = Chat("19:timers@thread.v2", "http://127.0.0.1:9/", "tenant", "28:bot")


@dataclass
class Recorder:
    """Stands in for the live cards and the outbox of one process: notes what it was asked."""

    refreshed: list[str] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)

    def refresh(self, stored: StoredPoll, address: Address) -> None:
        self.refreshed.append(stored.poll.id)

    def message(self, address: Address, activity: dict[str, Any]) -> dict[str, Any]:
        return activity

    async def promise(self, messages: list[dict[str, Any]]) -> None:
        self.sent += [activity["text"] for activity in messages]

    async def promise_in(self, uow: UnitOfWork, messages: list[dict[str, Any]]) -> None:
        """Noted as sent once the transaction commits, as DurableSends sends them then."""
        uow.after_commit(lambda: self.sent.extend(activity["text"] for activity in messages))


@dataclass
class Process:
    """What the timer jobs use of Services."""

    storage: Storage
    clock: Any
    live: Recorder = field(default_factory=Recorder)
    policy: Policy = field(default_factory=Policy)
    # The process's own participation keys (none held here), written before the purge.
    meetings: Meetings = field(default_factory=lambda: Meetings(b"secret", lambda: NOW,
                                                                lambda: "m1"))

    @property
    def sends(self) -> Recorder:
        return self.live

    def part(self, kind: type) -> Process:
        """Stands in for the features' parts too: the poll cards' `live`."""
        return self


async def processes(storages: tuple[Storage, Storage], now: datetime) -> list[Process]:
    """Both processes, with a database connection open already (as running ones have), so
    that their timer jobs really run at the same time."""
    both = [Process(storage, lambda: now) for storage in storages]
    for process in both:
        async with process.storage.unit_of_work() as uow:
            await uow.chats.get(CHAT.conversation_id)
    return both


async def _poll_closing_at(storage: Storage, closes: datetime) -> None:
    poll = open_poll(PollDraft("Q?", ("A", "B"), auto_close_minutes=5), poll_id="p1",
                     now=closes - timedelta(minutes=5))
    async with storage.unit_of_work() as uow:
        await uow.chats.remember(CHAT)
        await uow.polls.add(StoredPoll(poll, CHAT.conversation_id, creator_key="k",
                                       card_activity_id="msg-1"))
        await uow.commit()


async def _round_ending_at(storage: Storage, ends: datetime) -> None:
    round_ = BreakoutRound(id="r1", status=RoundStatus.RUNNING, source=Source.ROSTER, groups=2,
                           created_at=ends - timedelta(minutes=20), duration_minutes=10,
                           started_at=ends - timedelta(minutes=10), ends_at=ends)
    async with storage.unit_of_work() as uow:
        await uow.chats.remember(CHAT)
        await uow.breakouts.add_round(StoredRound(round_, CHAT.conversation_id, "k"), [])
        await uow.commit()


@pytest.mark.postgres
async def test_a_due_poll_is_closed_by_one_process(two_storages):
    await _poll_closing_at(two_storages[0], NOW)
    both = await processes(two_storages, NOW + timedelta(seconds=1))
    closed = []
    for _ in range(5):  # both processes' timers keep ticking
        closed += await asyncio.gather(*(close_due_polls(p) for p in both))
    assert sum(closed) == 1
    assert sum(len(p.live.refreshed) for p in both) == 1
    async with two_storages[1].unit_of_work() as uow:
        assert (await uow.polls.get("p1")).poll.status is PollStatus.CLOSED


@pytest.mark.postgres
async def test_a_breakout_reminder_is_posted_by_one_process(two_storages):
    await _round_ending_at(two_storages[0], NOW + timedelta(minutes=1))
    both = await processes(two_storages, NOW)
    told = []
    for _ in range(5):
        told += await asyncio.gather(*(tell_breakout_groups(p) for p in both))
    assert sum(told) == 1
    assert [text for p in both for text in p.sends.sent] == [
        "⏳ 2 minutes left in the breakout groups."]


@pytest.mark.postgres
async def test_the_daily_purge_is_claimed_by_one_process_a_day(two_storages):
    engines = [storage.engine for storage in two_storages] * 4
    day = timedelta(days=1)
    first = await asyncio.gather(*(claim_run(e, "purge", now=NOW, every=day) for e in engines))
    assert sum(first) == 1
    later = NOW + timedelta(hours=23)
    assert not any(await asyncio.gather(*(claim_run(e, "purge", now=later, every=day)
                                          for e in engines)))
    next_day = NOW + timedelta(days=1, minutes=1)
    again = await asyncio.gather(*(claim_run(e, "purge", now=next_day, every=day)
                                   for e in engines))
    assert sum(again) == 1


async def test_the_daily_purge_claim_works_on_sqlite_too(tmp_path: Path):
    engine = create_engine(f"sqlite:///{tmp_path / 'timers.db'}")
    await create_schema(engine)
    try:
        day = timedelta(days=1)
        assert await claim_run(engine, "purge", now=NOW, every=day)
        assert not await claim_run(engine, "purge", now=NOW + timedelta(hours=1), every=day)
        assert await claim_run(engine, "purge", now=NOW + day, every=day)
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_of_two_processes_one_purges_and_the_other_skips(two_storages):
    both = await processes(two_storages, NOW)
    ran = await asyncio.gather(*(purge_if_due(p, retention_days=90) for p in both))
    assert sorted(ran) == [False, True]
