"""Deleting raw texts after the retention period, and a meeting's data on request."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.tables import (
    BallotRow,
    BoardRow,
    BreakoutMemberRow,
    BreakoutReportRow,
    BreakoutRow,
    PollDisclosureRow,
    PollRow,
    QuestionRow,
    UpvoteRow,
)

REMOVED = ""


async def _poll_ids(session: AsyncSession, conversation_id: str, start: datetime,
                    end: datetime) -> list[str]:
    rows = await session.execute(select(PollRow.id).where(
        PollRow.conversation_id == conversation_id, PollRow.created_at >= start,
        PollRow.created_at <= end).order_by(PollRow.id))
    return list(rows.scalars())


async def _question_ids(session: AsyncSession, conversation_id: str, start: datetime,
                        end: datetime) -> list[str]:
    rows = await session.execute(
        select(QuestionRow.id).join(BoardRow, BoardRow.id == QuestionRow.board_id)
        .where(BoardRow.conversation_id == conversation_id, QuestionRow.asked_at >= start,
               QuestionRow.asked_at <= end).order_by(QuestionRow.id))
    return list(rows.scalars())


async def _round_ids(session: AsyncSession, conversation_id: str, start: datetime,
                     end: datetime) -> list[str]:
    rows = await session.execute(select(BreakoutRow.id).where(
        BreakoutRow.conversation_id == conversation_id, BreakoutRow.created_at >= start,
        BreakoutRow.created_at <= end).order_by(BreakoutRow.id))
    return list(rows.scalars())


async def remove_raw_texts(session: AsyncSession, conversation_id: str, start: datetime,
                           end: datetime) -> None:
    """Questions, open answers, group results and breakout names of a meeting are emptied;
    counts (ballots, upvotes, reports) and kept summaries remain."""
    polls = await _poll_ids(session, conversation_id, start, end)
    await session.execute(update(BallotRow).where(BallotRow.poll_id.in_(polls))
                          .values(answer=None, voter_name=None))
    await session.execute(delete(PollDisclosureRow).where(PollDisclosureRow.poll_id.in_(polls)))
    questions = await _question_ids(session, conversation_id, start, end)
    await session.execute(update(QuestionRow).where(QuestionRow.id.in_(questions))
                          .values(text=REMOVED, author_name=None))
    rounds = await _round_ids(session, conversation_id, start, end)
    await session.execute(update(BreakoutReportRow).where(BreakoutReportRow.breakout_id
                                                          .in_(rounds))
                          .values(points_json="[]", note=REMOVED))
    await session.execute(delete(BreakoutMemberRow).where(BreakoutMemberRow.breakout_id
                                                          .in_(rounds)))
    # "Keep apart / together" name people by their Teams ids.
    await session.execute(update(BreakoutRow).where(BreakoutRow.id.in_(rounds))
                          .values(apart_json="[]", together_json="[]"))


async def delete_meeting_data(session: AsyncSession, conversation_id: str, start: datetime,
                              end: datetime) -> None:
    """Everything recorded during a meeting: polls and ballots, questions and upvotes,
    breakout rounds with their members and reports."""
    polls = await _poll_ids(session, conversation_id, start, end)
    await session.execute(delete(BallotRow).where(BallotRow.poll_id.in_(polls)))
    await session.execute(delete(PollDisclosureRow).where(PollDisclosureRow.poll_id.in_(polls)))
    await session.execute(delete(PollRow).where(PollRow.id.in_(polls)))
    questions = await _question_ids(session, conversation_id, start, end)
    await session.execute(delete(UpvoteRow).where(UpvoteRow.question_id.in_(questions)))
    await session.execute(delete(QuestionRow).where(QuestionRow.id.in_(questions)))
    rounds = await _round_ids(session, conversation_id, start, end)
    await session.execute(delete(BreakoutReportRow).where(BreakoutReportRow.breakout_id
                                                          .in_(rounds)))
    await session.execute(delete(BreakoutMemberRow).where(BreakoutMemberRow.breakout_id
                                                          .in_(rounds)))
    await session.execute(delete(BreakoutRow).where(BreakoutRow.id.in_(rounds)))
