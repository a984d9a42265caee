"""Which meeting a chat is in, and who took part in it (as meeting-scoped keys)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.core.scope import chat_of
from bot.core.turn import Turn
from facilitation.anonymity import scoped_key
from storage.meeting_repository import Meeting
from storage.repositories import UnitOfWork


class Meetings:
    """A chat's current meeting starts with Teams' meetingStart event or, without meeting
    events, with the first activity; it ends with meetingEnd (or the next start)."""

    def __init__(self, secret: bytes, clock: Callable[[], datetime],
                 new_id: Callable[[], str]) -> None:
        self._secret = secret
        self._clock = clock
        self._new_id = new_id

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
        stored apart from what they chose, so they cannot be joined with ballots or upvotes."""
        by_chat: dict[str, list[Turn]] = {}
        for turn in turns:
            by_chat.setdefault(turn.address.conversation_id, []).append(turn)
        for chat_turns in by_chat.values():
            meeting = await self.current(uow, chat_turns[0], since=since)
            await uow.meetings.took_part(meeting.id, *(
                scoped_key(self._secret, f"meeting:{meeting.id}", turn.person)
                for turn in chat_turns))
