"""A vote and a close at the same moment, through the real ballot box, on SQLite and a real
PostgreSQL server: the close wins or the vote does, never a ballot stored in a closed poll
(its card would then change the exact final result by that one vote)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.meetings import Meetings
from bot.polls.ballot_box import BallotBox, VoteRequest
from facilitation.errors import PollClosed
from facilitation.polls import PollDraft, close_poll, open_poll
from storage.repositories import Chat, Storage, StoredPoll
from tests.storage.test_participation_writes import CHAT, turn
from tests.storage.waiting import wait_until_blocked

NOW = datetime(2025, 3, 4, 10, 0, tzinfo=UTC)


async def _open_poll(storage: Storage) -> StoredPoll:
    stored = StoredPoll(open_poll(PollDraft("Ship it?", ("Yes", "No")), poll_id="p1", now=NOW),
                        CHAT, creator_key="c" * 64, locale="en")
    async with storage.unit_of_work() as uow:
        await uow.chats.remember(Chat(CHAT, "http://127.0.0.1:8/", "tenant", "28:bot"))
        await uow.polls.add(stored)
        await uow.commit()
    return stored


def _ballot_box(storage: Storage) -> BallotBox:
    ids = iter(f"m{n}" for n in range(1, 100))
    return BallotBox(storage, Meetings(b"secret", lambda: NOW, lambda: next(ids)),
                     gather_seconds=0)


async def test_a_vote_arriving_while_the_poll_closes_is_refused_not_stored(storage: Storage):
    stored = await _open_poll(storage)
    box = _ballot_box(storage)
    async with storage.unit_of_work() as closing:  # as bot.polls.handlers closes a poll
        await closing.disclosures.lock([stored.poll.id])
        voting = asyncio.create_task(box.cast(VoteRequest(turn(1), "p1", "k1", "c1", "0", None)))
        await wait_until_blocked(storage, closing, voting)
        await closing.polls.save(close_poll(stored.poll, now=NOW + timedelta(minutes=1)))
        await closing.commit()
    with pytest.raises(PollClosed):
        await voting
    async with storage.unit_of_work() as uow:
        closed = await uow.polls.get("p1")
        assert closed is not None and not closed.poll.is_open
        assert (await uow.ballots.tally(closed.poll)).ballots == 0


async def test_a_vote_before_the_close_is_in_the_closed_result(storage: Storage):
    stored = await _open_poll(storage)
    counted = await _ballot_box(storage).cast(VoteRequest(turn(1), "p1", "k1", "c1", "0", None))
    assert counted.stored.poll.is_open
    async with storage.unit_of_work() as closing:
        await closing.disclosures.lock([stored.poll.id, "no-such-poll"])  # unknown ids: skipped
        await closing.polls.save(close_poll(stored.poll, now=NOW + timedelta(minutes=1)))
        await closing.commit()
    async with storage.unit_of_work() as uow:
        closed = await uow.polls.get("p1")
        assert closed is not None
        assert (await uow.ballots.tally(closed.poll)).counts == (1, 0)
