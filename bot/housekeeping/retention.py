"""Retention: after a period a meeting keeps aggregates only; a meeting's data goes on request.

What the daily purge does, in order (docs/PRIVACY.md says the same for operators):
1. Meetings that ended more than `retention_days` ago keep an aggregates-only summary
   (facilitation.summaries.aggregates_only) and lose every text and name (storage.retention).
2. Summaries kept by an earlier version with their texts are reduced the same way.
3. Polls, questions and breakout rounds older than the period that belong to no ended meeting
   (chats without meeting events, a meeting whose end never came) are deleted one by one.
4. Lists of who is present that are older than the period go, even without `meetingEnd`;
   so do the rows of expired report links.
5. The SQLite files are rewritten so deleted values are gone from their bytes too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.meeting_ids import scope_of
from bot.summaries.gathering import compose, summary_from_json, summary_material, summary_to_json
from facilitation.policy import Policy
from facilitation.summaries import aggregates_only
from storage.meeting_repository import Meeting
from storage.repositories import Storage, UnitOfWork
from storage.retention import (
    delete_expired_links,
    delete_items_before,
    delete_meeting_data,
    forget_chat_if_unused,
    forget_old_presence,
    purged_summaries,
    remove_raw_texts,
    scrub_files,
)

logger = logging.getLogger(__name__)



async def purge_expired(storage: Storage, *, now: datetime, retention_days: int,
                        policy: Policy) -> int:
    """The retention purge (see the module docstring); returns how many meetings were reduced
    to their aggregates."""
    cutoff = now - timedelta(days=retention_days)
    async with storage.unit_of_work() as uow:
        due = await uow.meetings.ended_before(cutoff)
    for meeting in due:
        await _purge(storage, meeting, now, policy)
    async with storage.unit_of_work() as uow:
        rewritten = await _reduce_kept_summaries(uow)
        items = await delete_items_before(uow.session, cutoff)
        presence = await forget_old_presence(uow.session, cutoff=cutoff, now=now)
        await delete_expired_links(uow.session, now)
        await uow.commit()
    if due or rewritten or items or presence:
        await scrub_files(storage.engine)
        logger.info("retention: %s meetings reduced to aggregates, %s kept summaries "
                    "reduced, %s old items of chats without meeting events deleted, %s "
                    "presence lists deleted", len(due), rewritten, items, presence)
    return len(due)


async def _purge(storage: Storage, meeting: Meeting, now: datetime, policy: Policy) -> None:
    if meeting.summary_json:
        summary = summary_from_json(meeting.summary_json)
    else:
        async with storage.unit_of_work() as uow:
            material = await summary_material(uow, meeting, now=now,
                                              policy=policy, final=True)
        summary = await compose(material)
    async with storage.unit_of_work() as uow:
        await uow.meetings.keep_summary(meeting.id, summary_to_json(aggregates_only(summary)))
        await uow.meetings.set_title(meeting.id, "")
        await remove_raw_texts(uow.session, meeting.conversation_id, meeting.started_at,
                               meeting.ended_at or now,
                               teams_meeting_id=meeting.teams_meeting_id)
        await uow.meetings.mark_purged(meeting.id)
        await uow.commit()


async def _reduce_kept_summaries(uow: UnitOfWork) -> int:
    """Meetings purged by an earlier version, which kept texts in their summary and left poll
    texts, breakout topics and titles in the tables, are reduced now."""
    reduced = 0
    for meeting_id, kept in await purged_summaries(uow.session):
        summary = summary_from_json(kept)
        if summary.texts_removed:
            continue
        await uow.meetings.keep_summary(meeting_id, summary_to_json(aggregates_only(summary)))
        await uow.meetings.set_title(meeting_id, "")
        meeting = await uow.meetings.get(meeting_id)
        if meeting is not None and meeting.ended_at is not None:  # poll texts, topics too
            await remove_raw_texts(uow.session, meeting.conversation_id, meeting.started_at,
                                   meeting.ended_at, teams_meeting_id=meeting.teams_meeting_id)
        reduced += 1
    return reduced


@dataclass(frozen=True)
class Deleted:
    """What `delete_meeting` deleted."""

    meetings: int
    chat: bool  # the id named chats (a chat id, a Teams meeting id), and everything of them went

    def __bool__(self) -> bool:
        return bool(self.meetings or self.chat)


async def delete_meeting(storage: Storage, meeting_id: str, *, now: datetime) -> Deleted:
    """Delete everything of what the id names (bot.core.meeting_ids, as `export` reads it):
    Resonanz's meeting id or a report link, that meeting; a chat id, everything of the chat and
    the chat; the Teams meeting id, its occurrences, and everything of its meeting chat."""
    async with storage.unit_of_work() as uow:
        scope = await scope_of(uow, meeting_id)
        for meeting in scope.meetings:
            whole = meeting.conversation_id in scope.whole
            window = None if whole else (meeting.started_at, meeting.ended_at or now)
            await delete_meeting_data(uow.session, meeting.conversation_id, window,
                                      teams_meeting_id=meeting.teams_meeting_id)
            await uow.meetings.delete(meeting.id)
        for chat in scope.whole:
            await delete_meeting_data(uow.session, chat, None)
        for chat in scope.chats:
            await forget_chat_if_unused(uow.session, chat)
        await uow.commit()
    deleted = Deleted(len(scope.meetings), bool(scope.whole))
    if deleted:
        await scrub_files(storage.engine)
    return deleted


