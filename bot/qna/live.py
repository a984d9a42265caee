"""Keeps each chat's shared Q&A board card up to date through coalesced edits."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from bot.cards.elements import as_activity
from bot.core.rechecks import Rechecks
from bot.delivery.outbox import Outbox
from bot.delivery.transport import Address
from bot.i18n import Language, language_of
from bot.qna.cards import Viewer, render_board, rows_needed
from bot.qna.duplicates import DuplicateSearch
from facilitation.qna import BoardView
from storage.qna_repository import StoredBoard
from storage.repositories import Storage, UnitOfWork


async def board_view(uow: UnitOfWork, stored: StoredBoard, viewer: Viewer | None = None
                     ) -> BoardView:
    """The board in display order, as `uow` sees it, read only as far as a card for `viewer`
    shows it (the counts are the whole board's): a few small queries, whatever its size."""
    open_rows, answered_rows, pending_rows = rows_needed(viewer)
    return await uow.qna.top(stored.board, open_rows=open_rows, answered_rows=answered_rows,
                             pending_rows=pending_rows)


def render_personal(view: BoardView, upvoted: Iterable[str], language: Language,
                    viewer: Viewer) -> dict[str, Any]:
    """The board as one person sees it, with their own upvotes marked."""
    return render_board(view, language=language,
                        viewer=replace(viewer, upvoted=frozenset(upvoted)))


class LiveBoards:
    def __init__(self, storage: Storage, outbox: Outbox) -> None:
        self._storage = storage
        self._outbox = outbox
        self.rechecks = Rechecks()
        self.duplicates = DuplicateSearch(storage)

    async def view(self, board_id: str, voter_key: str | None = None,
                   viewer: Viewer | None = None
                   ) -> tuple[StoredBoard, BoardView, frozenset[str]] | None:
        """The board in display order (as far as `viewer`'s card shows it), and which
        questions `voter_key` has upvoted."""
        async with self._storage.unit_of_work() as uow:
            stored = await uow.qna.board(board_id)
            if stored is None:
                return None
            view = await board_view(uow, stored, viewer)
            mine = await uow.qna.upvoted_by(board_id, voter_key) if voter_key else set()
        return stored, view, frozenset(mine)

    async def personal_card(self, board_id: str, language: Language, viewer: Viewer,
                            voter_key: str | None = None) -> dict[str, Any] | None:
        loaded = await self.view(board_id, voter_key, viewer)
        if loaded is None:
            return None
        _, view, mine = loaded
        return render_personal(view, mine, language, viewer)

    async def shared_card(self, board_id: str) -> dict[str, Any] | None:
        loaded = await self.view(board_id)
        if loaded is None:
            return None
        stored, view, _ = loaded
        return render_board(view, language=language_of(stored.locale))

    def refresh(self, stored: StoredBoard, address: Address) -> None:
        """Schedule an edit of the shared board (coalesced with pending ones)."""
        if stored.card_activity_id is None:
            # Maybe another process has just posted the card: look again once it is stored
            # (bot/core/rechecks.py).
            self.rechecks.ask(("board", stored.board.id),
                              lambda: self._refresh_if_bound(stored.board.id, address))
            return
        board_id = stored.board.id
        self._outbox.edit(address, ("board", board_id), stored.card_activity_id,
                          lambda: self._render(board_id))

    async def _refresh_if_bound(self, board_id: str, address: Address) -> None:
        async with self._storage.unit_of_work() as uow:
            stored = await uow.qna.board(board_id)
        if stored is not None and stored.card_activity_id is not None:
            self.refresh(stored, address)

    async def posted(self, board_id: str, address: Address, activity_id: str) -> None:
        """The board card got its message id: remember it, then catch up with what changed."""
        async with self._storage.unit_of_work() as uow:
            await uow.qna.set_card(board_id, activity_id)
            await uow.commit()
            stored = await uow.qna.board(board_id)
        if stored is not None:
            self.refresh(stored, address)

    async def _render(self, board_id: str) -> dict[str, Any] | None:
        content = await self.shared_card(board_id)
        return None if content is None else as_activity(content)
