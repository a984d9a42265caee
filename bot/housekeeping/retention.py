"""Retention: raw texts go after a period (aggregates stay); a meeting's data goes on request."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from bot.i18n import language_of
from bot.summaries.gathering import compose, summary_material, summary_to_json
from facilitation.policy import Policy
from storage.meeting_repository import Meeting
from storage.repositories import Storage, UnitOfWork
from storage.retention import delete_meeting_data, remove_raw_texts

logger = logging.getLogger(__name__)

FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)


async def purge_expired(storage: Storage, *, now: datetime, retention_days: int,
                        policy: Policy) -> int:
    """Empty the raw texts of meetings that ended more than `retention_days` ago, keeping
    their summary (as far as `policy` lets it show); returns how many meetings were purged."""
    cutoff = now - timedelta(days=retention_days)
    async with storage.unit_of_work() as uow:
        due = await uow.meetings.ended_before(cutoff)
    for meeting in due:
        await _purge(storage, meeting, now, policy)
    if due:
        logger.info("purged the raw texts of %s meetings", len(due))
    return len(due)


async def _purge(storage: Storage, meeting: Meeting, now: datetime, policy: Policy) -> None:
    kept = meeting.summary_json
    if not kept:
        async with storage.unit_of_work() as uow:
            material = await summary_material(uow, meeting, language=language_of("en"), now=now,
                                              policy=policy)
        kept = summary_to_json(await compose(material))
    async with storage.unit_of_work() as uow:
        await uow.meetings.keep_summary(meeting.id, kept)
        await remove_raw_texts(uow.session, meeting.conversation_id, meeting.started_at,
                               meeting.ended_at or now)
        await uow.meetings.mark_purged(meeting.id)
        await uow.commit()


async def delete_meeting(storage: Storage, meeting_id: str, *, now: datetime) -> int:
    """Delete everything of a meeting: by Resonanz's meeting id, the Teams meeting id, or a
    chat id (then every meeting of the chat). Returns how many meetings were deleted."""
    async with storage.unit_of_work() as uow:
        meetings = await _matching(uow, meeting_id)
        for meeting in meetings:
            await delete_meeting_data(uow.session, meeting.conversation_id,
                                      meeting.started_at, meeting.ended_at or now)
            await uow.meetings.delete(meeting.id)
        await uow.commit()
    return len(meetings)


async def _matching(uow: UnitOfWork, meeting_id: str) -> list[Meeting]:
    single = await uow.meetings.get(meeting_id)
    if single is not None:
        return [single]
    by_teams = await uow.meetings.of_teams_meeting(meeting_id)
    if by_teams:
        return by_teams
    return await uow.meetings.series(meeting_id, until=FAR_FUTURE, limit=100_000)
