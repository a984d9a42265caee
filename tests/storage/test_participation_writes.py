"""Participation keys are written apart from what they count (bot/core/meetings.py), on SQLite
and PostgreSQL: held when the content's transaction commits, written later several at a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.meetings import WRITE_AT_LEAST, WRITE_AT_MOST, Meetings
from bot.core.turn import Turn, TurnKind
from bot.delivery.transport import Address
from facilitation.anonymity import Person
from storage.repositories import Storage

CHAT = "19:chat@thread.v2"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2025, 3, 4, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def turn(number: int) -> Turn:
    return Turn(kind=TurnKind.MESSAGE, person=Person("tenant", f"29:user-{number}"),
                display_name=f"User {number}", language="en",
                address=Address("http://127.0.0.1:8/", CHAT, "28:bot"), tenant_id="tenant")


async def take_part(storage: Storage, meetings: Meetings, *numbers: int,
                    commit: bool = True) -> str:
    async with storage.unit_of_work() as uow:
        await meetings.took_part(uow, *(turn(n) for n in numbers))
        meeting = await uow.meetings.current(CHAT)
        assert meeting is not None
        if commit:
            await uow.commit()
    return meeting.id


async def stored(storage: Storage, meeting_id: str) -> int:
    async with storage.unit_of_work() as uow:
        return await uow.meetings.reached(meeting_id)


def new_meetings(clock: Clock) -> Meetings:
    ids = iter(f"m{n}" for n in range(1, 100))
    return Meetings(b"secret", clock, lambda: next(ids))


async def test_keys_are_held_at_commit_and_written_apart_once_enough_are_held(storage: Storage):
    clock = Clock()
    meetings = new_meetings(clock)
    meeting_id = await take_part(storage, meetings, 1)
    assert await stored(storage, meeting_id) == 0  # not with the content's transaction
    assert len(meetings.held(meeting_id)) == 1
    assert await meetings.write_reached(storage) == 0  # one alone is not written
    assert await stored(storage, meeting_id) == 0
    await take_part(storage, meetings, *range(2, WRITE_AT_LEAST + 1))
    assert await meetings.write_reached(storage) == WRITE_AT_LEAST
    assert await stored(storage, meeting_id) == WRITE_AT_LEAST
    assert meetings.held(meeting_id) == frozenset()


async def test_someone_counted_already_does_not_make_a_new_key_written_alone(storage: Storage):
    clock = Clock()
    meetings = new_meetings(clock)
    meeting_id = await take_part(storage, meetings, *range(1, WRITE_AT_LEAST + 1))
    assert await meetings.write_reached(storage) == WRITE_AT_LEAST
    await take_part(storage, meetings, 1, 2, 99)  # two counted already, one new
    assert await meetings.write_reached(storage) == 0
    assert len(meetings.held(meeting_id)) == 1
    async with storage.unit_of_work() as uow:  # a summary counts the held one too
        assert await uow.meetings.reached(meeting_id, also=meetings.held(meeting_id)) == (
            WRITE_AT_LEAST + 1)


async def test_a_key_held_long_enough_is_written_even_alone(storage: Storage):
    clock = Clock()
    meetings = new_meetings(clock)
    meeting_id = await take_part(storage, meetings, 1)
    clock.now += WRITE_AT_MOST - timedelta(seconds=1)
    assert await meetings.write_reached(storage) == 0
    clock.now += timedelta(seconds=1)
    assert await meetings.write_reached(storage) == 1
    assert await stored(storage, meeting_id) == 1


async def test_everything_held_is_written_when_asked_as_at_shutdown(storage: Storage):
    meetings = new_meetings(Clock())
    meeting_id = await take_part(storage, meetings, 1)
    assert await meetings.write_reached(storage, everything=True) == 1
    assert await stored(storage, meeting_id) == 1


async def test_a_transaction_rolled_back_counts_nobody(storage: Storage):
    meetings = new_meetings(Clock())
    meeting_id = await take_part(storage, meetings, 1, 2, 3, commit=False)
    assert meetings.held(meeting_id) == frozenset()
    assert await meetings.write_reached(storage, everything=True) == 0


async def test_the_keys_of_a_meeting_deleted_meanwhile_are_dropped(storage: Storage):
    meetings = new_meetings(Clock())
    meeting_id = await take_part(storage, meetings, 1, 2, 3)
    async with storage.unit_of_work() as uow:
        await uow.meetings.delete(meeting_id)
        await uow.commit()
    assert await meetings.write_reached(storage, everything=True) == 0
    assert meetings.held(meeting_id) == frozenset()
