"""The breakout round as its cards' verbs find it: its card field, where it lives, who
created it."""

from __future__ import annotations

from bot.core.scope import Item, Place
from facilitation.anonymity import breakout_creator_key
from storage.breakout_repository import StoredRound
from storage.repositories import UnitOfWork


def place_of(stored: StoredRound) -> Place:
    return Place(stored.round.id, stored.conversation_id, stored.meeting_id, stored.creator_key)


async def _get(uow: UnitOfWork, round_id: str) -> StoredRound | None:
    return await uow.breakouts.get(round_id)


ROUND: Item[StoredRound] = Item(field="breakout", missing="breakout.unknown", get=_get,
                                place=place_of, creator_key=breakout_creator_key)
