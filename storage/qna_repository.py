"""Storage of Q&A boards, questions and upvotes (upvotes are rows, counts are queries)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from facilitation.qna import Board, BoardMode, Question, QuestionStatus
from storage.sql import insert_for
from storage.tables import BoardRow, QuestionRow, UpvoteRow


@dataclass(frozen=True)
class StoredBoard:
    """A board with where it lives and who created it (a key, for moderation outside meetings)."""

    board: Board
    conversation_id: str
    creator_key: str
    locale: str = "en"
    meeting_id: str | None = None
    card_activity_id: str | None = None


def _board(row: BoardRow) -> StoredBoard:
    return StoredBoard(
        board=Board(id=row.id, mode=BoardMode(row.mode), created_at=row.created_at),
        conversation_id=row.conversation_id, creator_key=row.creator_key, locale=row.locale,
        meeting_id=row.meeting_id, card_activity_id=row.card_activity_id)


def _question(row: QuestionRow) -> Question:
    return Question(id=row.id, board_id=row.board_id, text=row.text, asked_at=row.asked_at,
                    status=QuestionStatus(row.status), author=row.author_name,
                    merged_into=row.merged_into, answered_at=row.answered_at)


class QnaRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # ------------------------------------------------------------------ boards
    async def add_board(self, stored: StoredBoard) -> None:
        self._session.add(BoardRow(
            id=stored.board.id, conversation_id=stored.conversation_id,
            meeting_id=stored.meeting_id, creator_key=stored.creator_key, locale=stored.locale,
            mode=stored.board.mode.value, created_at=stored.board.created_at,
            card_activity_id=stored.card_activity_id))
        await self._session.flush()

    async def board_in(self, conversation_id: str) -> StoredBoard | None:
        row = (await self._session.execute(
            select(BoardRow).where(BoardRow.conversation_id == conversation_id))).scalar()
        return None if row is None else _board(row)

    async def board(self, board_id: str) -> StoredBoard | None:
        row = await self._session.get(BoardRow, board_id)
        return None if row is None else _board(row)

    async def set_mode(self, board_id: str, mode: BoardMode) -> None:
        await self._session.execute(
            update(BoardRow).where(BoardRow.id == board_id).values(mode=mode.value))

    async def set_card(self, board_id: str, activity_id: str) -> None:
        await self._session.execute(
            update(BoardRow).where(BoardRow.id == board_id).values(card_activity_id=activity_id))

    # ------------------------------------------------------------------ questions
    async def add_question(self, question: Question) -> None:
        self._session.add(QuestionRow(
            id=question.id, board_id=question.board_id, text=question.text,
            author_name=question.author, status=question.status.value,
            merged_into=question.merged_into, asked_at=question.asked_at,
            answered_at=question.answered_at))
        await self._session.flush()

    async def question(self, question_id: str) -> Question | None:
        row = await self._session.get(QuestionRow, question_id)
        return None if row is None else _question(row)

    async def save_question(self, question: Question) -> None:
        await self._session.execute(
            update(QuestionRow).where(QuestionRow.id == question.id).values(
                status=question.status.value, merged_into=question.merged_into,
                answered_at=question.answered_at))

    async def questions(self, board_id: str) -> list[Question]:
        rows = await self._session.execute(
            select(QuestionRow).where(QuestionRow.board_id == board_id)
            .order_by(QuestionRow.asked_at, QuestionRow.id))
        return [_question(row) for row in rows.scalars()]

    # ------------------------------------------------------------------ upvotes
    async def toggle_upvote(self, question_id: str, voter_key: str) -> bool:
        """Upvote, or take an upvote back; returns whether the question is now upvoted."""
        removed = await self._session.execute(delete(UpvoteRow).where(
            UpvoteRow.question_id == question_id, UpvoteRow.voter_key == voter_key))
        if getattr(removed, "rowcount", 0):
            return False
        await self.upvote(question_id, voter_key)
        return True

    async def upvote(self, question_id: str, voter_key: str) -> None:
        """Upvote (a repeat changes nothing)."""
        statement = insert_for(self._session, UpvoteRow).values(
            question_id=question_id, voter_key=voter_key)
        await self._session.execute(statement.on_conflict_do_nothing(
            index_elements=["question_id", "voter_key"]))

    async def votes(self, board_id: str) -> dict[str, int]:
        rows = await self._session.execute(
            select(UpvoteRow.question_id, func.count())
            .join(QuestionRow, QuestionRow.id == UpvoteRow.question_id)
            .where(QuestionRow.board_id == board_id)
            .group_by(UpvoteRow.question_id).order_by(UpvoteRow.question_id))
        return {question_id: count for question_id, count in rows.all()}

    async def upvoted_by(self, board_id: str, voter_key: str) -> set[str]:
        """The questions this (board-scoped) key has upvoted, for the person's own view."""
        rows = await self._session.execute(
            select(UpvoteRow.question_id)
            .join(QuestionRow, QuestionRow.id == UpvoteRow.question_id)
            .where(QuestionRow.board_id == board_id, UpvoteRow.voter_key == voter_key)
            .order_by(UpvoteRow.question_id))
        return set(rows.scalars())

    async def merge_upvotes(self, source_id: str, target_id: str) -> None:
        """Copy the source's upvotes to the target, then drop them: whoever upvoted both counts
        once. ON CONFLICT DO NOTHING also covers an upvote of the target made meanwhile."""
        copy = insert_for(self._session, UpvoteRow).from_select(
            ["question_id", "voter_key"],
            select(literal(target_id), UpvoteRow.voter_key)
            .where(UpvoteRow.question_id == source_id))
        await self._session.execute(copy.on_conflict_do_nothing(
            index_elements=["question_id", "voter_key"]))
        await self._session.execute(delete(UpvoteRow).where(UpvoteRow.question_id == source_id))
