"""Reading the top of a Q&A board with SQL: counts as aggregates, each section ORDER BY/LIMIT.

The orders are rank_board's (facilitation/qna.py), written as SQL: a board of 10,000
questions is not loaded and sorted in Python to show its first few.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from facilitation.qna import Board, BoardCounts, BoardView, Question, QuestionStatus, RankedQuestion
from storage.sql import table_of
from storage.tables import QuestionRow, UpvoteRow

_QUESTIONS = table_of(QuestionRow)
_UPVOTES = table_of(UpvoteRow)


async def board_counts(session: AsyncSession, board_id: str) -> BoardCounts:
    """How many questions of the board are in each state (one GROUP BY)."""
    rows = await session.execute(
        select(_QUESTIONS.c.status, func.count()).where(_QUESTIONS.c.board_id == board_id)
        .group_by(_QUESTIONS.c.status))
    by_status = {QuestionStatus(status): count for status, count in rows.all()}
    return BoardCounts(
        asked=sum(by_status.values()), answered=by_status.get(QuestionStatus.ANSWERED, 0),
        merged=by_status.get(QuestionStatus.MERGED, 0),
        dismissed=by_status.get(QuestionStatus.DISMISSED, 0),
        pending=by_status.get(QuestionStatus.PENDING, 0),
        open=by_status.get(QuestionStatus.OPEN, 0) + by_status.get(QuestionStatus.ANSWERING, 0))


async def board_top(session: AsyncSession, board: Board, *, open_rows: int, answered_rows: int,
                    pending_rows: int) -> BoardView:
    """The board as rank_board orders it, with only the first `open_rows` open, the newest
    `answered_rows` answered and the oldest `pending_rows` pending questions (every question
    being answered); the counts are the whole board's."""
    q = _QUESTIONS.c
    answering = await _ranked(session, board.id, QuestionStatus.ANSWERING,
                              (q.asked_at, q.number, q.id), None)
    by_votes = await _ranked(session, board.id, QuestionStatus.OPEN,
                             ("votes", q.asked_at, q.number, q.id), open_rows)
    answered = await _ranked(session, board.id, QuestionStatus.ANSWERED,
                             (func.coalesce(q.answered_at, q.asked_at).desc(), q.asked_at.desc(),
                              q.number.desc(), q.id.desc()), answered_rows)
    pending = await _ranked(session, board.id, QuestionStatus.PENDING,
                            (q.asked_at, q.number, q.id), pending_rows)
    return BoardView(board, answering, by_votes, answered, pending,
                     await board_counts(session, board.id))


async def _ranked(session: AsyncSession, board_id: str, status: QuestionStatus,
                  order: tuple[Any, ...], limit: int | None) -> tuple[RankedQuestion, ...]:
    """One section, `order` by its columns ("votes": upvotes, most first). Each question's
    upvotes are counted by a lookup in the upvote table's primary key (question, key): on
    SQLite that was faster than one GROUP BY over the board's upvotes joined in (4 ms against
    10 ms for the top 30 of 8,000 open questions)."""
    count = _upvotes_of_row()
    statement = (select(_QUESTIONS, count.label("votes"))
                 .where(_QUESTIONS.c.board_id == board_id, _QUESTIONS.c.status == status.value)
                 .order_by(*(count.desc() if part == "votes" else part for part in order)))
    if limit is not None:
        statement = statement.limit(limit)
    rows = await session.execute(statement)
    return tuple(RankedQuestion(question_of(row), row.votes) for row in rows.all())


def _upvotes_of_row() -> Any:
    return (select(func.count()).select_from(_UPVOTES)
            .where(_UPVOTES.c.question_id == _QUESTIONS.c.id).scalar_subquery())


async def ranked_by_id(session: AsyncSession, question_ids: Iterable[str]
                       ) -> dict[str, RankedQuestion]:
    """These questions with their upvotes (one query), by id; unknown ids are left out."""
    wanted = sorted(set(question_ids))
    if not wanted:
        return {}
    rows = await session.execute(select(_QUESTIONS, _upvotes_of_row().label("votes"))
                                 .where(_QUESTIONS.c.id.in_(wanted)))
    return {row.id: RankedQuestion(question_of(row), row.votes) for row in rows.all()}


async def question_stamp(session: AsyncSession, board_id: str) -> tuple[int, int]:
    """How many questions the board has and its highest place: what changes when one is
    asked (or removed), in any process."""
    count, highest = (await session.execute(
        select(func.count(), func.coalesce(func.max(_QUESTIONS.c.number), 0))
        .where(_QUESTIONS.c.board_id == board_id))).one()
    return int(count), int(highest)


async def question_texts(session: AsyncSession, board_id: str, *, from_number: int = 0
                         ) -> list[tuple[str, str, int, QuestionStatus]]:
    """(id, text, place, state) of the board's questions from place `from_number` on, in
    order."""
    rows = await session.execute(
        select(_QUESTIONS.c.id, _QUESTIONS.c.text, _QUESTIONS.c.number, _QUESTIONS.c.status)
        .where(_QUESTIONS.c.board_id == board_id, _QUESTIONS.c.number >= from_number)
        .order_by(_QUESTIONS.c.number, _QUESTIONS.c.id))
    return [(question_id, text, number, QuestionStatus(status))
            for question_id, text, number, status in rows.all()]


def question_of(row: Any) -> Question:
    return Question(id=row.id, board_id=row.board_id, text=row.text, asked_at=row.asked_at,
                    status=QuestionStatus(row.status), author=row.author_name,
                    merged_into=row.merged_into, answered_at=row.answered_at,
                    number=row.number)
