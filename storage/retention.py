"""Deleting raw texts after the retention period, and a meeting's data on request."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.tables import (
    BallotRow,
    BoardRow,
    BreakoutMemberRow,
    BreakoutReportRow,
    BreakoutRow,
    PollDisclosureRow,
    PollDisclosureVoterRow,
    PollRow,
    QuestionRow,
    UpvoteRow,
)

REMOVED = ""


async def _poll_ids(session: AsyncSession, conversation_id: str, start: datetime,
                    end: datetime) -> list[str]:
    rows = await session.execute(select(col(PollRow.id)).where(
        col(PollRow.conversation_id) == conversation_id, col(PollRow.created_at) >= start,
        col(PollRow.created_at) <= end).order_by(col(PollRow.id)))
    return list(rows.scalars())


async def _question_ids(session: AsyncSession, conversation_id: str, start: datetime,
                        end: datetime) -> list[str]:
    rows = await session.execute(
        select(col(QuestionRow.id)).join(BoardRow, col(BoardRow.id) == col(QuestionRow.board_id))
        .where(col(BoardRow.conversation_id) == conversation_id, col(QuestionRow.asked_at) >= start,
               col(QuestionRow.asked_at) <= end).order_by(col(QuestionRow.id)))
    return list(rows.scalars())


async def _round_ids(session: AsyncSession, conversation_id: str, start: datetime,
                     end: datetime) -> list[str]:
    rows = await session.execute(select(col(BreakoutRow.id)).where(
        col(BreakoutRow.conversation_id) == conversation_id, col(BreakoutRow.created_at) >= start,
        col(BreakoutRow.created_at) <= end).order_by(col(BreakoutRow.id)))
    return list(rows.scalars())


async def remove_raw_texts(session: AsyncSession, conversation_id: str, start: datetime,
                           end: datetime) -> None:
    """Questions, open answers, group results and breakout names of a meeting are emptied;
    counts (ballots, upvotes, reports) and kept summaries remain."""
    polls = await _poll_ids(session, conversation_id, start, end)
    await session.execute(update(BallotRow).where(col(BallotRow.poll_id).in_(polls))
                          .values(answer=None, voter_name=None))
    await session.execute(delete(PollDisclosureRow)
                          .where(col(PollDisclosureRow.poll_id).in_(polls)))
    await session.execute(delete(PollDisclosureVoterRow)
                          .where(col(PollDisclosureVoterRow.poll_id).in_(polls)))
    questions = await _question_ids(session, conversation_id, start, end)
    await session.execute(update(QuestionRow).where(col(QuestionRow.id).in_(questions))
                          .values(text=REMOVED, author_name=None))
    rounds = await _round_ids(session, conversation_id, start, end)
    await session.execute(update(BreakoutReportRow).where(col(BreakoutReportRow.breakout_id)
                                                          .in_(rounds))
                          .values(points_json="[]", note=REMOVED))
    await session.execute(delete(BreakoutMemberRow).where(col(BreakoutMemberRow.breakout_id)
                                                          .in_(rounds)))
    # "Keep apart / together" name people by their Teams ids.
    await session.execute(update(BreakoutRow).where(col(BreakoutRow.id).in_(rounds))
                          .values(apart_json="[]", together_json="[]"))


async def delete_meeting_data(session: AsyncSession, conversation_id: str, start: datetime,
                              end: datetime) -> None:
    """Everything recorded during a meeting: polls and ballots, questions and upvotes,
    breakout rounds with their members and reports."""
    polls = await _poll_ids(session, conversation_id, start, end)
    await session.execute(delete(BallotRow).where(col(BallotRow.poll_id).in_(polls)))
    await session.execute(delete(PollDisclosureRow)
                          .where(col(PollDisclosureRow.poll_id).in_(polls)))
    await session.execute(delete(PollDisclosureVoterRow)
                          .where(col(PollDisclosureVoterRow.poll_id).in_(polls)))
    await session.execute(delete(PollRow).where(col(PollRow.id).in_(polls)))
    questions = await _question_ids(session, conversation_id, start, end)
    await session.execute(delete(UpvoteRow).where(col(UpvoteRow.question_id).in_(questions)))
    await session.execute(delete(QuestionRow).where(col(QuestionRow.id).in_(questions)))
    rounds = await _round_ids(session, conversation_id, start, end)
    await session.execute(delete(BreakoutReportRow).where(col(BreakoutReportRow.breakout_id)
                                                          .in_(rounds)))
    await session.execute(delete(BreakoutMemberRow).where(col(BreakoutMemberRow.breakout_id)
                                                          .in_(rounds)))
    await session.execute(delete(BreakoutRow).where(col(BreakoutRow.id).in_(rounds)))
