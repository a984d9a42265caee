"""The Q&A board as the board card's verbs find it: its card field, where it lives, who
created it."""

from __future__ import annotations

from bot.core.scope import Item, Place
from facilitation.anonymity import board_creator_key
from storage.qna_repository import StoredBoard
from storage.repositories import UnitOfWork


def place_of(stored: StoredBoard) -> Place:
    return Place(stored.board.id, stored.conversation_id, stored.meeting_id, stored.creator_key)


async def _get(uow: UnitOfWork, board_id: str) -> StoredBoard | None:
    return await uow.qna.board(board_id)


BOARD: Item[StoredBoard] = Item(field="board", missing="qna.no_board", get=_get,
                                place=place_of, creator_key=board_creator_key)
