"""The meeting as the summary card's verbs find it: its card field and where it lives."""

from __future__ import annotations

from bot.core.scope import Item, Place
from storage.meeting_repository import Meeting
from storage.repositories import UnitOfWork


def place_of(meeting: Meeting) -> Place:
    return Place(meeting.id, meeting.conversation_id, meeting.teams_meeting_id)


async def _get(uow: UnitOfWork, meeting_id: str) -> Meeting | None:
    return await uow.meetings.get(meeting_id)


MEETING: Item[Meeting] = Item(field="meeting", missing="summary.no_meeting", get=_get,
                              place=place_of)
