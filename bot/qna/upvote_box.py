"""Upvoting in groups (see bot/core/group_commit.py): one transaction per group of clicks, in which
each affected board is also read once, as the group leaves it, for every clicker's answer."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.group_commit import GATHER_SECONDS, GroupCommit, Pending
from bot.core.meetings import Meetings
from bot.core.scope import address_of, check_here
from bot.core.turn import Turn
from bot.delivery.transport import Address
from bot.qna.item import place_of
from bot.qna.live import board_view
from facilitation.errors import DomainError
from facilitation.qna import BoardView, Question, check_upvotable, question_on_board
from storage.qna_repository import StoredBoard, UpvoteClick
from storage.repositories import Chat, Storage


@dataclass(frozen=True)
class UpvoteRequest:
    """A click on one of the board's upvote buttons, by the person taking this turn."""

    turn: Turn
    board_id: str
    click: UpvoteClick


@dataclass(frozen=True)
class Upvoted:
    """A click stored, with the board as it is now and the clicker's own upvotes on it;
    `address` is the board's own chat, where its shared card is."""

    stored: StoredBoard
    upvoted: bool
    view: BoardView
    mine: frozenset[str]
    address: Address


_Click = Pending[UpvoteRequest, Upvoted]


class UpvoteBox:
    """Stores upvote clicks for the Q&A handlers."""

    def __init__(self, storage: Storage, meetings: Meetings, *,
                 gather_seconds: float = GATHER_SECONDS) -> None:
        self._storage = storage
        self._meetings = meetings
        self._group: GroupCommit[UpvoteRequest, Upvoted] = GroupCommit(
            self._write, gather_seconds=gather_seconds)

    async def click(self, request: UpvoteRequest) -> Upvoted:
        """Upvote or take the upvote back (with the other clicks queued now); raises the
        DomainError meant for this clicker (unknown board or question, a board of another chat
        or tenant, question not on the board)."""
        return await self._group.submit(request)

    async def _write(self, group: list[_Click]) -> None:
        async with self._storage.unit_of_work() as uow:
            # Each board with its chat, where it lives, in the read the group needs anyway.
            found = await uow.qna.boards_in_chats({p.request.board_id for p in group})
            boards = {board_id: stored for board_id, (stored, _) in found.items()}
            chats = {stored.conversation_id: chat for stored, chat in found.values()
                     if chat is not None}
            questions = await uow.qna.questions_by_id(
                {p.request.click.question_id for p in group if p.request.board_id in boards})
            accepted = [p for p in group if _accept(p, boards, chats, questions)]
            if not accepted:
                return
            outcomes = await uow.qna.click_upvotes([p.request.click for p in accepted])
            await self._meetings.took_part(uow, *(p.request.turn for p in accepted))
            clickers: dict[str, set[str]] = {}
            for pending in accepted:
                clickers.setdefault(pending.request.board_id, set()).add(
                    pending.request.click.voter_key)
            # Read before the commit, in the same transaction: the board as this group leaves
            # it (one read of its questions, one of its counts, one of all these clickers'
            # upvotes), without a second BEGIN (on SQLite, a second wait for the write lock).
            after = {board_id: (await board_view(uow, boards[board_id]),
                                await uow.qna.upvoted_by_each(board_id, keys))
                     for board_id, keys in clickers.items()}
            await uow.commit()
        for pending, upvoted in zip(accepted, outcomes, strict=True):
            request = pending.request
            view, mine = after[request.board_id]
            stored = boards[request.board_id]
            pending.resolve(Upvoted(stored, upvoted, view,
                                    frozenset(mine[request.click.voter_key]),
                                    address_of(chats[stored.conversation_id])))


def _accept(pending: _Click, boards: dict[str, StoredBoard], chats: dict[str, Chat],
            questions: dict[str, Question]) -> bool:
    """Whether the click can be stored (its board lives in the click's chat); if not, the
    clicker is answered with the error."""
    request = pending.request
    try:
        stored = boards.get(request.board_id)
        if stored is None:
            raise DomainError("qna.no_board")
        check_here(request.turn, place_of(stored), chats.get(stored.conversation_id))
        check_upvotable(question_on_board(questions.get(request.click.question_id),
                                          request.board_id))
    except DomainError as error:
        pending.fail(error)
        return False
    return True
