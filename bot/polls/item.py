"""The poll as the poll card's verbs find it: its card field, where it lives, who created it."""

from __future__ import annotations

from bot.core.scope import Item, Place
from facilitation.anonymity import creator_key
from storage.repositories import StoredPoll, UnitOfWork


def place_of(stored: StoredPoll) -> Place:
    return Place(stored.poll.id, stored.conversation_id, stored.meeting_id, stored.creator_key)


async def _get(uow: UnitOfWork, poll_id: str) -> StoredPoll | None:
    return await uow.polls.get(poll_id)


POLL: Item[StoredPoll] = Item(field="poll", missing="poll.unknown", get=_get, place=place_of,
                              creator_key=creator_key)
