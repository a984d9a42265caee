"""Storage of Q&A boards, questions and upvotes (upvotes are rows, counts are queries)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import bindparam, delete, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from facilitation.qna import (
    Board,
    BoardCounts,
    BoardMode,
    BoardView,
    Question,
    QuestionStatus,
    RankedQuestion,
)
from storage import qna_board
from storage.mapping import Chat, chat_from_row
from storage.sql import CHAT_PREFIX, insert_for, rows_by_id, table_of, upsert
from storage.tables import BoardRow, QuestionRow, UpvoteRow

_BOARDS = table_of(BoardRow)
_QUESTIONS = table_of(QuestionRow)
_UPVOTES = table_of(UpvoteRow)


@dataclass(frozen=True)
class StoredBoard:
    """A board with where it lives and who created it (a key, for moderation outside meetings)."""

    board: Board
    conversation_id: str
    creator_key: str
    locale: str = "en"
    meeting_id: str | None = None
    card_activity_id: str | None = None


@dataclass(frozen=True)
class UpvoteClick:
    """A click on a question's upvote button under the clicker's board-scoped key: it takes an
    upvote back when there is one, unless `add` ("upvote that one instead"), which only adds."""

    question_id: str
    voter_key: str
    add: bool = False


def _board(row: Any) -> StoredBoard:
    return StoredBoard(
        board=Board(id=row.id, mode=BoardMode(row.mode), created_at=row.created_at),
        conversation_id=row.conversation_id, creator_key=row.creator_key, locale=row.locale,
        meeting_id=row.meeting_id, card_activity_id=row.card_activity_id)


_question = qna_board.question_of


class QnaRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # ------------------------------------------------------------------ boards
    async def add_board(self, stored: StoredBoard) -> StoredBoard:
        """Store `stored` as its chat's board, unless the chat has one: the chat's board comes
        back either way. Two people who open a chat's first board at the same moment get the
        same board (on PostgreSQL the second insert waits for the first transaction's end)."""
        await self._session.execute(upsert(self._session, _BOARDS, ("conversation_id",)).values(
            id=stored.board.id, conversation_id=stored.conversation_id,
            meeting_id=stored.meeting_id, creator_key=stored.creator_key, locale=stored.locale,
            mode=stored.board.mode.value, created_at=stored.board.created_at,
            card_activity_id=stored.card_activity_id))
        board = await self.board_in(stored.conversation_id)
        assert board is not None  # inserted, or kept because the chat had one
        return board

    async def board_in(self, conversation_id: str) -> StoredBoard | None:
        row = (await self._session.execute(
            select(BoardRow).where(col(BoardRow.conversation_id) == conversation_id))).scalar()
        return None if row is None else _board(row)

    async def board(self, board_id: str) -> StoredBoard | None:
        return (await self.boards_by_id([board_id])).get(board_id)

    async def boards_by_id(self, board_ids: Iterable[str]) -> dict[str, StoredBoard]:
        """The boards among `board_ids` that exist, by id (one query)."""
        rows = await rows_by_id(self._session, _BOARDS, board_ids)
        return {board_id: _board(row) for board_id, row in rows.items()}

    async def boards_in_chats(self, board_ids: Iterable[str]
                              ) -> dict[str, tuple[StoredBoard, Chat | None]]:
        """The boards among `board_ids` that exist, each with its chat (None if the chat is
        unknown), by id (one query)."""
        rows = await rows_by_id(self._session, _BOARDS, board_ids, with_chat=True)
        return {board_id: (_board(row), chat_from_row(row, CHAT_PREFIX))
                for board_id, row in rows.items()}

    async def set_mode(self, board_id: str, mode: BoardMode) -> None:
        await self._session.execute(
            update(BoardRow).where(col(BoardRow.id) == board_id).values(mode=mode.value))

    async def set_card(self, board_id: str, activity_id: str) -> None:
        await self._session.execute(
            update(BoardRow).where(col(BoardRow.id) == board_id)
            .values(card_activity_id=activity_id))

    # ------------------------------------------------------------------ questions
    async def add_question(self, question: Question) -> Question:
        """Store `question` as the next on its board; it comes back with its place. (Two
        questions stored at the same moment on PostgreSQL may share a place; their ids then
        order them.)"""
        last = (await self._session.execute(
            select(func.coalesce(func.max(_QUESTIONS.c.number), 0))
            .where(_QUESTIONS.c.board_id == question.board_id))).scalar_one()
        stored = replace(question, number=last + 1)
        self._session.add(QuestionRow(
            id=stored.id, board_id=stored.board_id, text=stored.text,
            author_name=stored.author, status=stored.status.value,
            merged_into=stored.merged_into, asked_at=stored.asked_at,
            answered_at=stored.answered_at, number=stored.number))
        await self._session.flush()
        return stored

    async def question(self, question_id: str) -> Question | None:
        return (await self.questions_by_id([question_id])).get(question_id)

    async def questions_by_id(self, question_ids: Iterable[str]) -> dict[str, Question]:
        """The questions among `question_ids` that exist, by id (one query)."""
        rows = await rows_by_id(self._session, _QUESTIONS, question_ids)
        return {question_id: _question(row) for question_id, row in rows.items()}

    async def save_question(self, question: Question) -> None:
        await self._session.execute(
            update(QuestionRow).where(col(QuestionRow.id) == question.id).values(
                status=question.status.value, merged_into=question.merged_into,
                answered_at=question.answered_at))

    async def questions(self, board_id: str, status: QuestionStatus | None = None
                        ) -> list[Question]:
        """The board's questions (only those in `status`, if given), oldest first."""
        query = select(_QUESTIONS).where(_QUESTIONS.c.board_id == board_id)
        if status is not None:
            query = query.where(_QUESTIONS.c.status == status.value)
        rows = await self._session.execute(
            query.order_by(_QUESTIONS.c.asked_at, _QUESTIONS.c.number, _QUESTIONS.c.id))
        return [_question(row) for row in rows.all()]

    # ------------------------------------------------------------------ the board's top
    async def counts(self, board_id: str) -> BoardCounts:
        """How many questions are in each state (aggregates, no question is loaded)."""
        return await qna_board.board_counts(self._session, board_id)

    async def top(self, board: Board, *, open_rows: int, answered_rows: int,
                  pending_rows: int) -> BoardView:
        """The board in rank_board's order, cut to the first rows of each section (see
        storage/qna_board.py); the counts are the whole board's."""
        return await qna_board.board_top(self._session, board, open_rows=open_rows,
                                         answered_rows=answered_rows, pending_rows=pending_rows)

    async def ranked_by_id(self, question_ids: Iterable[str]) -> dict[str, RankedQuestion]:
        """These questions with their upvote counts, by id (one query)."""
        return await qna_board.ranked_by_id(self._session, question_ids)

    async def question_stamp(self, board_id: str) -> tuple[int, int]:
        """(how many questions, highest place) of the board: changes with every question."""
        return await qna_board.question_stamp(self._session, board_id)

    async def question_texts(self, board_id: str, *, from_number: int = 0
                             ) -> list[tuple[str, str, int, QuestionStatus]]:
        """(id, text, place, state) of the board's questions from `from_number` on."""
        return await qna_board.question_texts(self._session, board_id, from_number=from_number)

    # ------------------------------------------------------------------ upvotes
    async def toggle_upvote(self, question_id: str, voter_key: str) -> bool:
        """Upvote, or take an upvote back; returns whether the question is now upvoted."""
        [upvoted] = await self.click_upvotes([UpvoteClick(question_id, voter_key)])
        return upvoted

    async def upvote(self, question_id: str, voter_key: str) -> None:
        """Upvote (a repeat changes nothing)."""
        await self.click_upvotes([UpvoteClick(question_id, voter_key, add=True)])

    async def click_upvotes(self, clicks: Sequence[UpvoteClick]) -> list[bool]:
        """Apply the clicks in their order (the same key clicking one question twice toggles
        twice) with one read, then at most one DELETE and one INSERT, each run for many rows;
        returns whether each click's question is upvoted by its key after that click."""
        before = await self._upvoted_pairs(clicks)
        after = set(before)
        outcomes: list[bool] = []
        for click in clicks:
            pair = (click.question_id, click.voter_key)
            if click.add or pair not in after:
                after.add(pair)
                outcomes.append(True)
            else:
                after.discard(pair)
                outcomes.append(False)
        if taken_back := sorted(before - after):  # a fixed order: no deadlocks on PostgreSQL
            await self._session.execute(
                delete(_UPVOTES).where(_UPVOTES.c.question_id == bindparam("question"),
                                       _UPVOTES.c.voter_key == bindparam("key")),
                [{"question": question, "key": key} for question, key in taken_back])
        if added := sorted(after - before):
            # ON CONFLICT DO NOTHING: an upvote made meanwhile elsewhere stays one upvote.
            await self._session.execute(
                upsert(self._session, _UPVOTES, ("question_id", "voter_key")),
                [{"question_id": question, "voter_key": key} for question, key in added])
        return outcomes

    async def _upvoted_pairs(self, clicks: Sequence[UpvoteClick]) -> set[tuple[str, str]]:
        """Which of the clicks' (question, key) pairs are upvoted now."""
        if not clicks:
            return set()
        wanted = {(click.question_id, click.voter_key) for click in clicks}
        rows = await self._session.execute(
            select(_UPVOTES.c.question_id, _UPVOTES.c.voter_key).where(
                _UPVOTES.c.question_id.in_({question for question, _ in wanted}),
                _UPVOTES.c.voter_key.in_({key for _, key in wanted})))
        return {(question, key) for question, key in rows.all()} & wanted

    async def votes(self, board_id: str) -> dict[str, int]:
        rows = await self._session.execute(
            select(col(UpvoteRow.question_id), func.count())
            .join(QuestionRow, col(QuestionRow.id) == col(UpvoteRow.question_id))
            .where(col(QuestionRow.board_id) == board_id)
            .group_by(col(UpvoteRow.question_id)).order_by(col(UpvoteRow.question_id)))
        return {question_id: count for question_id, count in rows.all()}

    async def upvoted_by(self, board_id: str, voter_key: str) -> set[str]:
        """The questions this (board-scoped) key has upvoted, for the person's own view."""
        return (await self.upvoted_by_each(board_id, [voter_key]))[voter_key]

    async def upvoted_by_each(self, board_id: str, voter_keys: Iterable[str]
                              ) -> dict[str, set[str]]:
        """The questions of the board each of these keys has upvoted (one query); every key
        asked about is in the answer, with an empty set when it upvoted nothing."""
        mine: dict[str, set[str]] = {key: set() for key in voter_keys}
        if not mine:
            return mine
        rows = await self._session.execute(
            select(_UPVOTES.c.voter_key, _UPVOTES.c.question_id)
            .join(_QUESTIONS, _QUESTIONS.c.id == _UPVOTES.c.question_id)
            .where(_QUESTIONS.c.board_id == board_id, _UPVOTES.c.voter_key.in_(set(mine))))
        for key, question_id in rows.all():
            mine[key].add(question_id)
        return mine

    async def merge_upvotes(self, source_id: str, target_id: str) -> None:
        """Copy the source's upvotes to the target, then drop them: whoever upvoted both counts
        once. ON CONFLICT DO NOTHING also covers an upvote of the target made meanwhile."""
        copy = insert_for(self._session, UpvoteRow).from_select(
            ["question_id", "voter_key"],
            select(literal(target_id), col(UpvoteRow.voter_key))
            .where(col(UpvoteRow.question_id) == source_id))
        await self._session.execute(copy.on_conflict_do_nothing(
            index_elements=["question_id", "voter_key"]))
        await self._session.execute(delete(UpvoteRow)
                                    .where(col(UpvoteRow.question_id) == source_id))
