"""Deleting what the retention period or an operator says must go.

- `remove_raw_texts`: a meeting past the retention period keeps counts only: its questions,
  open answers, poll texts, breakout topics, group results and every name go.
- `delete_meeting_data` and `forget_chat_if_unused`: everything of a meeting (or a chat).
- `delete_items_before`: in chats without meeting events (or a meeting that never ended),
  polls, questions and breakout rounds are deleted one by one once they are older than the
  retention period.
- `forget_old_presence`: who was present, once a list is older than the retention period,
  even when Teams never said the meeting ended.
- `delete_expired_links`: report link rows once their link has expired.
- `scrub_files`: SQLite keeps deleted rows in free pages and in its write-ahead log until they
  are overwritten; rewriting the file and emptying the log removes them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlmodel import col

from storage.tables import (
    BallotRow,
    BoardRow,
    BreakoutMemberRow,
    BreakoutReportRow,
    BreakoutRow,
    ChatRow,
    MeetingRow,
    PollDisclosureRow,
    PollDisclosureVoterRow,
    PollRow,
    PresenceRow,
    QuestionRow,
    ReportLinkRow,
    TimerRunRow,
    UpvoteRow,
)

REMOVED = ""
RATING = "rating"  # facilitation.polls.PollKind.RATING: its scale is the bot's, not a person's
# A presence list's first sighting by the daily purge, kept in the timer table (which holds
# one moment per name): "presence:" and a digest of the chat and the Teams meeting id.
PRESENCE_SEEN = "presence:"

Window = tuple[datetime, datetime]


async def _poll_ids(session: AsyncSession, conversation_id: str, window: Window | None
                    ) -> list[str]:
    statement = select(col(PollRow.id)).where(col(PollRow.conversation_id) == conversation_id)
    if window is not None:
        statement = statement.where(col(PollRow.created_at) >= window[0],
                                    col(PollRow.created_at) <= window[1])
    return list((await session.execute(statement.order_by(col(PollRow.id)))).scalars())


async def _question_ids(session: AsyncSession, conversation_id: str, window: Window | None
                        ) -> list[str]:
    statement = (select(col(QuestionRow.id))
                 .join(BoardRow, col(BoardRow.id) == col(QuestionRow.board_id))
                 .where(col(BoardRow.conversation_id) == conversation_id))
    if window is not None:
        statement = statement.where(col(QuestionRow.asked_at) >= window[0],
                                    col(QuestionRow.asked_at) <= window[1])
    return list((await session.execute(statement.order_by(col(QuestionRow.id)))).scalars())


async def _round_ids(session: AsyncSession, conversation_id: str, window: Window | None
                     ) -> list[str]:
    statement = select(col(BreakoutRow.id)).where(
        col(BreakoutRow.conversation_id) == conversation_id)
    if window is not None:
        statement = statement.where(col(BreakoutRow.created_at) >= window[0],
                                    col(BreakoutRow.created_at) <= window[1])
    return list((await session.execute(statement.order_by(col(BreakoutRow.id)))).scalars())


async def remove_raw_texts(session: AsyncSession, conversation_id: str, start: datetime,
                           end: datetime, *, teams_meeting_id: str | None = None) -> None:
    """A meeting past the retention period keeps its counts (ballots, upvotes, reports) and
    nothing anyone typed or anyone's name:

    - polls lose their question, their options' labels (their places "#1", "#2" remain, a
      rating keeps its scale), open answers and the names of a named poll's voters;
    - questions lose their text and their asker's name;
    - breakout rounds lose their topics, their "keep apart / together" lists (Teams ids),
      their members (names, Entra ids) and what the groups brought back;
    - the shared cards' message ids go (nothing edits those cards any more);
    - the list of who is present in the chat's meeting goes, unless the chat has a meeting
      running now (then it is that meeting's list).
    """
    window = (start, end)
    polls = await _poll_ids(session, conversation_id, window)
    await session.execute(update(BallotRow).where(col(BallotRow.poll_id).in_(polls))
                          .values(answer=None, voter_name=None))
    await session.execute(delete(PollDisclosureRow)
                          .where(col(PollDisclosureRow.poll_id).in_(polls)))
    await session.execute(delete(PollDisclosureVoterRow)
                          .where(col(PollDisclosureVoterRow.poll_id).in_(polls)))
    for poll_id, kind, options in (await session.execute(
            select(col(PollRow.id), col(PollRow.kind), col(PollRow.options_json))
            .where(col(PollRow.id).in_(polls)))).all():
        places = options if kind == RATING else json.dumps(
            [f"#{place}" for place in range(1, len(json.loads(options)) + 1)])
        await session.execute(update(PollRow).where(col(PollRow.id) == poll_id).values(
            question=REMOVED, options_json=places, card_activity_id=None))
    questions = await _question_ids(session, conversation_id, window)
    await session.execute(update(QuestionRow).where(col(QuestionRow.id).in_(questions))
                          .values(text=REMOVED, author_name=None))
    rounds = await _round_ids(session, conversation_id, window)
    await session.execute(update(BreakoutReportRow).where(col(BreakoutReportRow.breakout_id)
                                                          .in_(rounds))
                          .values(points_json="[]", note=REMOVED))
    await session.execute(delete(BreakoutMemberRow).where(col(BreakoutMemberRow.breakout_id)
                                                          .in_(rounds)))
    await session.execute(update(BreakoutRow).where(col(BreakoutRow.id).in_(rounds))
                          .values(topics_json="[]", apart_json="[]", together_json="[]",
                                  card_activity_id=None))
    if teams_meeting_id and not await _runs_now(session, conversation_id):
        await forget_presence(session, conversation_id, teams_meeting_id)


async def _runs_now(session: AsyncSession, conversation_id: str) -> bool:
    return bool((await session.execute(
        select(func.count()).select_from(MeetingRow)
        .where(col(MeetingRow.conversation_id) == conversation_id,
               col(MeetingRow.ended_at).is_(None)))).scalar())


async def delete_meeting_data(session: AsyncSession, conversation_id: str,
                              window: Window | None, *,
                              teams_meeting_id: str | None = None) -> None:
    """Everything recorded in a chat during `window` (None: ever): polls with their ballots
    and disclosure state, questions with their upvotes, breakout rounds with their members and
    reports, and the chat's list of who is present in its meeting (Teams keeps one list per
    chat and meeting id, for every occurrence of a series: a running occurrence's list
    refills as people join). The meeting rows, their participation keys and report links go
    with `MeetingRepository.delete`; the chat itself with `forget_chat_if_unused`."""
    await _delete_polls(session, await _poll_ids(session, conversation_id, window))
    await _delete_questions(session, await _question_ids(session, conversation_id, window))
    await _delete_rounds(session, await _round_ids(session, conversation_id, window))
    if window is None:
        await session.execute(delete(PresenceRow)
                              .where(col(PresenceRow.conversation_id) == conversation_id))
    elif teams_meeting_id:
        await forget_presence(session, conversation_id, teams_meeting_id)


async def _delete_polls(session: AsyncSession, polls: Sequence[str]) -> None:
    await session.execute(delete(BallotRow).where(col(BallotRow.poll_id).in_(polls)))
    await session.execute(delete(PollDisclosureRow)
                          .where(col(PollDisclosureRow.poll_id).in_(polls)))
    await session.execute(delete(PollDisclosureVoterRow)
                          .where(col(PollDisclosureVoterRow.poll_id).in_(polls)))
    await session.execute(delete(PollRow).where(col(PollRow.id).in_(polls)))


async def _delete_questions(session: AsyncSession, questions: Sequence[str]) -> None:
    await session.execute(delete(UpvoteRow).where(col(UpvoteRow.question_id).in_(questions)))
    await session.execute(delete(QuestionRow).where(col(QuestionRow.id).in_(questions)))


async def _delete_rounds(session: AsyncSession, rounds: Sequence[str]) -> None:
    await session.execute(delete(BreakoutReportRow).where(col(BreakoutReportRow.breakout_id)
                                                          .in_(rounds)))
    await session.execute(delete(BreakoutMemberRow).where(col(BreakoutMemberRow.breakout_id)
                                                          .in_(rounds)))
    await session.execute(delete(BreakoutRow).where(col(BreakoutRow.id).in_(rounds)))


async def forget_chat_if_unused(session: AsyncSession, conversation_id: str) -> bool:
    """Delete the chat (its ids, service address and tenant) and its Q&A board once no
    question, poll, breakout round, meeting or presence list of it remains."""
    questions = (await session.execute(
        select(func.count()).select_from(QuestionRow)
        .join(BoardRow, col(BoardRow.id) == col(QuestionRow.board_id))
        .where(col(BoardRow.conversation_id) == conversation_id))).scalar()
    if questions:
        return False
    for table, column in ((PollRow, PollRow.conversation_id),
                          (BreakoutRow, BreakoutRow.conversation_id),
                          (MeetingRow, MeetingRow.conversation_id),
                          (PresenceRow, PresenceRow.conversation_id)):
        if (await session.execute(select(func.count()).select_from(table)
                                  .where(col(column) == conversation_id))).scalar():
            return False
    await session.execute(delete(BoardRow).where(col(BoardRow.conversation_id)
                                                 == conversation_id))
    await session.execute(delete(ChatRow).where(col(ChatRow.conversation_id)
                                                == conversation_id))
    return True


async def purged_summaries(session: AsyncSession) -> list[tuple[str, str]]:
    """(meeting id, kept summary) of every meeting past the retention period."""
    rows = await session.execute(
        select(col(MeetingRow.id), col(MeetingRow.summary_json))
        .where(col(MeetingRow.purged).is_(True), col(MeetingRow.summary_json).is_not(None))
        .order_by(col(MeetingRow.id)))
    return [(meeting_id, kept) for meeting_id, kept in rows.all() if kept is not None]


async def delete_expired_links(session: AsyncSession, now: datetime) -> int:
    """Report links that no longer open anything (a hash, a meeting id, a language, a time)."""
    result = await session.execute(delete(ReportLinkRow)
                                   .where(col(ReportLinkRow.expires_at) <= now))
    return int(getattr(result, "rowcount", 0) or 0)


# ---------------------------------------------------------------------------- items by age


async def delete_items_before(session: AsyncSession, cutoff: datetime) -> int:
    """Polls, questions and breakout rounds made before `cutoff` that belong to no meeting
    that has ended (those keep their counts, see `remove_raw_texts`): items of chats without
    meeting events and of meetings whose end never came. Boards made before `cutoff` that are
    left without questions go too. Returns how many items were deleted."""
    ended = await _ended_windows(session)

    def outside(conversation_id: str, moment: datetime) -> bool:
        return not any(start <= moment <= end for start, end in ended.get(conversation_id, ()))

    polls = [poll_id for poll_id, chat, moment in (await session.execute(
        select(col(PollRow.id), col(PollRow.conversation_id), col(PollRow.created_at))
        .where(col(PollRow.created_at) < cutoff))).all() if outside(chat, moment)]
    questions = [question_id for question_id, chat, moment in (await session.execute(
        select(col(QuestionRow.id), col(BoardRow.conversation_id), col(QuestionRow.asked_at))
        .join(BoardRow, col(BoardRow.id) == col(QuestionRow.board_id))
        .where(col(QuestionRow.asked_at) < cutoff))).all() if outside(chat, moment)]
    rounds = [round_id for round_id, chat, moment in (await session.execute(
        select(col(BreakoutRow.id), col(BreakoutRow.conversation_id), col(BreakoutRow.created_at))
        .where(col(BreakoutRow.created_at) < cutoff))).all() if outside(chat, moment)]
    await _delete_polls(session, polls)
    await _delete_questions(session, questions)
    await _delete_rounds(session, rounds)
    asked = select(col(QuestionRow.board_id)).distinct()
    await session.execute(delete(BoardRow).where(col(BoardRow.created_at) < cutoff,
                                                 col(BoardRow.id).not_in(asked)))
    return len(polls) + len(questions) + len(rounds)


async def _ended_windows(session: AsyncSession) -> dict[str, list[Window]]:
    windows: dict[str, list[Window]] = {}
    for chat, start, end in (await session.execute(
            select(col(MeetingRow.conversation_id), col(MeetingRow.started_at),
                   col(MeetingRow.ended_at)).where(col(MeetingRow.ended_at).is_not(None)))):
        if end is not None:
            windows.setdefault(chat, []).append((start, end))
    return windows


# ---------------------------------------------------------------------------- presence


async def forget_presence(session: AsyncSession, conversation_id: str,
                          teams_meeting_id: str) -> None:
    await session.execute(delete(PresenceRow).where(
        col(PresenceRow.conversation_id) == conversation_id,
        col(PresenceRow.meeting_id) == teams_meeting_id))
    await session.execute(delete(TimerRunRow).where(
        col(TimerRunRow.job) == _seen_job(conversation_id, teams_meeting_id)))


def _seen_job(conversation_id: str, teams_meeting_id: str) -> str:
    digest = hashlib.sha256(f"{conversation_id}\n{teams_meeting_id}".encode()).hexdigest()
    return PRESENCE_SEEN + digest[:48]


async def forget_old_presence(session: AsyncSession, *, cutoff: datetime,
                              now: datetime) -> int:
    """Delete every list of who is present whose newest sign of life is before `cutoff`.

    Presence rows carry no time (they must not tell when someone joined), so a list's age is
    the later of: when the daily purge first saw it, and the newest start or end of a meeting
    of its chat (a meeting's end deletes its list, so a list seen after that end is younger).
    A list the purge has not seen before is noted as seen `now`. Returns how many lists went.
    """
    lists = (await session.execute(
        select(col(PresenceRow.conversation_id), col(PresenceRow.meeting_id)).distinct()
    )).all()
    seen = dict((await session.execute(
        select(col(TimerRunRow.job), col(TimerRunRow.last_run_at))
        .where(col(TimerRunRow.job).startswith(PRESENCE_SEEN)))).all())
    latest = await _latest_meeting_moments(session, {chat for chat, _ in lists})
    forgotten = 0
    for chat, teams_meeting_id in lists:
        job = _seen_job(chat, teams_meeting_id)
        if job not in seen:
            session.add(TimerRunRow(job=job, last_run_at=now))
            continue
        moments = [seen[job]] + ([latest[chat]] if chat in latest else [])
        if max(moments) < cutoff:
            await forget_presence(session, chat, teams_meeting_id)
            forgotten += 1
    current = {_seen_job(chat, meeting) for chat, meeting in lists}
    stale = [job for job in seen if job not in current]
    await session.execute(delete(TimerRunRow).where(col(TimerRunRow.job).in_(stale)))
    await session.flush()
    return forgotten


async def _latest_meeting_moments(session: AsyncSession, chats: Iterable[str]
                                  ) -> dict[str, datetime]:
    latest: dict[str, datetime] = {}
    for chat, start, end in (await session.execute(
            select(col(MeetingRow.conversation_id), col(MeetingRow.started_at),
                   col(MeetingRow.ended_at))
            .where(col(MeetingRow.conversation_id).in_(list(chats))))).all():
        moment = max(start, end) if end is not None else start
        latest[chat] = max(latest.get(chat, moment), moment)
    return latest


# ---------------------------------------------------------------------------- the files


async def scrub_files(engine: AsyncEngine) -> bool:
    """After deleting, make the deleted values unreadable in the database files too. SQLite
    leaves deleted rows in free pages and keeps earlier versions of changed pages in its
    write-ahead log: VACUUM rewrites the file from the live rows, and a TRUNCATE checkpoint
    empties the log (it cannot while another connection still reads an older snapshot: then
    the log is emptied at a later checkpoint). Returns whether the log was emptied.

    PostgreSQL keeps dead row versions until its autovacuum reuses their space, and its own
    write-ahead log and backups for as long as it is configured to (docs/PRIVACY.md): nothing
    here can overwrite those, so nothing is done for it."""
    if engine.dialect.name != "sqlite":
        return False
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        await driver.execute("VACUUM")
        cursor = await driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        busy, _, _ = await cursor.fetchone()
        await cursor.close()
    return not busy

