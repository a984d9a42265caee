"""Which meeting a chat is in, and who took part in it (as meeting-scoped keys).

Participation keys are written apart from what they count. With the anonymity secret, a key
names its person; written in the transaction that stores an anonymous question (or a ballot,
an upvote), it would name the asker to anyone holding a copy of the database files. So the
keys are held in memory when the content's transaction commits, and written later in their
own transactions, several at a time and in key order (`write_reached`: the housekeeping timer
when enough are held, checked every few seconds; before the daily purge; at shutdown). A
summary counts the keys held as well as those written, without writing them: asking for one
right after an anonymous question must not write its asker's key alone.

With several bot processes on one PostgreSQL database each holds and writes its own keys: a
summary gathered in one process counts another's latest participants once that process has
written them, at most `WRITE_AT_MOST` later (a process that crashes loses the keys it held,
so "people reached" may then count a few people too few, never a choice).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.core.scope import chat_of
from bot.core.turn import Turn
from facilitation.anonymity import scoped_key, to_the_minute
from storage.meeting_repository import Meeting
from storage.repositories import Storage, UnitOfWork

# New keys are written once at least this many are held (not one right after the content it
# counts), or once the oldest has been held this long; before the purge and at shutdown always.
WRITE_AT_LEAST = 3
WRITE_AT_MOST = timedelta(seconds=30)


class Meetings:
    """A chat's current meeting starts with Teams' meetingStart event or, without meeting
    events, with the first activity; it ends with meetingEnd (or the next start)."""

    def __init__(self, secret: bytes, clock: Callable[[], datetime],
                 new_id: Callable[[], str]) -> None:
        self._secret = secret
        self._clock = clock
        self._new_id = new_id
        self._held: dict[str, set[str]] = {}  # participation keys by meeting id, not written
        self._held_since: datetime | None = None
        self._writing_now: dict[str, set[str]] = {}  # taken from _held by write_reached
        self._writing = asyncio.Lock()

    async def current(self, uow: UnitOfWork, turn: Turn, *,
                      since: datetime | None = None) -> Meeting:
        """The chat's meeting now, started if there is none (at `since`, the moment of the
        activity that starts it, so that activity belongs to it)."""
        meeting = await uow.meetings.current(turn.address.conversation_id)
        if meeting is not None:
            return meeting
        return await self.start(uow, turn, at=since)

    async def start(self, uow: UnitOfWork, turn: Turn, title: str = "",
                    at: datetime | None = None) -> Meeting:
        await uow.chats.remember(chat_of(turn))
        meeting = Meeting(id=self._new_id(), conversation_id=turn.address.conversation_id,
                          started_at=at or self._clock(), teams_meeting_id=turn.meeting_id,
                          title=title)
        await uow.meetings.add(meeting)
        return meeting

    async def took_part(self, uow: UnitOfWork, *turns: Turn,
                        since: datetime | None = None) -> None:
        """Count the people as reached in their chats' meetings: keys scoped to the meeting,
        held once `uow` commits and written apart from it (see the module docstring), so they
        cannot be joined with ballots, questions or upvotes."""
        by_chat: dict[str, list[Turn]] = {}
        for turn in turns:
            by_chat.setdefault(turn.address.conversation_id, []).append(turn)
        keys: list[tuple[str, str]] = []
        for chat_turns in by_chat.values():
            meeting = await self._counting_for(uow, chat_turns[0], since)
            keys += [(meeting.id, scoped_key(self._secret, f"meeting:{meeting.id}", turn.person))
                     for turn in chat_turns]
        uow.after_commit(lambda: self._hold(keys))

    async def _counting_for(self, uow: UnitOfWork, turn: Turn,
                            since: datetime | None) -> Meeting:
        """The meeting a vote, question or upvote counts for: the chat's current one, else its
        latest (a vote after the meeting's end on a poll still open). Only a chat's very first
        activity starts one here, to the minute: a meeting row written with a vote must not
        carry the vote's moment."""
        conversation_id = turn.address.conversation_id
        meeting = (await uow.meetings.current(conversation_id)
                   or await uow.meetings.latest(conversation_id))
        if meeting is not None:
            return meeting
        moment = since or self._clock()
        return await self.start(uow, turn, at=to_the_minute(moment))

    def _hold(self, keys: list[tuple[str, str]]) -> None:
        if keys and not self._held:
            self._held_since = self._clock()
        for meeting_id, key in keys:
            self._held.setdefault(meeting_id, set()).add(key)

    async def write_reached(self, storage: Storage, *, everything: bool = False) -> int:
        """Write the held participation keys in one transaction of their own, in key order,
        once there are enough new ones or the oldest is old enough (`everything`: now, as
        before a summary and at shutdown). Returns how many new keys were written."""
        async with self._writing:
            if not self._held:
                return 0
            held, since = self._held, self._held_since
            self._held, self._held_since, self._writing_now = {}, None, held
            try:
                async with storage.unit_of_work() as uow:
                    new = await uow.meetings.not_yet_reached(held)
                    count = sum(len(keys) for keys in new.values())
                    due = everything or count >= WRITE_AT_LEAST or (
                        since is not None and self._clock() - since >= WRITE_AT_MOST)
                    if not due:
                        self._hold_again(new, since)  # nothing written: no transaction shows
                        return 0
                    for meeting_id in sorted(new):
                        await uow.meetings.took_part(meeting_id, *new[meeting_id])
                    await uow.commit()
            except BaseException:
                self._hold_again(held, since)
                raise
            finally:
                self._writing_now = {}
            return count

    def held(self, meeting_id: str) -> frozenset[str]:
        """The meeting's participation keys held here and not written yet: a summary counts
        them too, so that asking for one does not make anyone's key be written alone."""
        return frozenset(self._held.get(meeting_id, set())
                         | self._writing_now.get(meeting_id, set()))

    def _hold_again(self, keys: dict[str, set[str]], since: datetime | None) -> None:
        for meeting_id, meeting_keys in keys.items():
            self._held.setdefault(meeting_id, set()).update(meeting_keys)
        if self._held:
            times = [moment for moment in (since, self._held_since) if moment is not None]
            self._held_since = min(times) if times else self._clock()
