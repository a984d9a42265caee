"""Storage of meetings, participation keys and report links."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.breakout_repository import presence_in
from storage.sql import table_of, upsert
from storage.tables import MeetingRow, ParticipationRow, PresenceRow, ReportLinkRow


@dataclass(frozen=True)
class Meeting:
    id: str
    conversation_id: str
    started_at: datetime
    teams_meeting_id: str | None = None
    title: str = ""
    ended_at: datetime | None = None
    attendees: int | None = None
    summary_json: str | None = None
    purged: bool = False


def _meeting(row: MeetingRow) -> Meeting:
    return Meeting(row.id, row.conversation_id, row.started_at, row.teams_meeting_id, row.title,
                   row.ended_at, row.attendees, row.summary_json, row.purged)


class MeetingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, meeting: Meeting) -> None:
        self._session.add(MeetingRow(
            id=meeting.id, conversation_id=meeting.conversation_id,
            teams_meeting_id=meeting.teams_meeting_id, title=meeting.title,
            started_at=meeting.started_at, ended_at=meeting.ended_at,
            attendees=meeting.attendees))
        await self._session.flush()

    async def get(self, meeting_id: str) -> Meeting | None:
        row = await self._session.get(MeetingRow, meeting_id)
        return None if row is None else _meeting(row)

    async def current(self, conversation_id: str) -> Meeting | None:
        """The chat's meeting that has not ended (the newest, should there be several)."""
        row = (await self._session.execute(
            select(MeetingRow).where(col(MeetingRow.conversation_id) == conversation_id,
                                     col(MeetingRow.ended_at).is_(None))
            .order_by(col(MeetingRow.started_at).desc(), col(MeetingRow.id).desc())
            .limit(1))).scalar()
        return None if row is None else _meeting(row)

    async def latest(self, conversation_id: str) -> Meeting | None:
        row = (await self._session.execute(
            select(MeetingRow).where(col(MeetingRow.conversation_id) == conversation_id)
            .order_by(col(MeetingRow.started_at).desc(), col(MeetingRow.id).desc())
            .limit(1))).scalar()
        return None if row is None else _meeting(row)

    async def series(self, conversation_id: str, *, until: datetime,
                     limit: int = 6) -> list[Meeting]:
        """The chat's meetings up to `until`, oldest first (at most `limit`, the newest)."""
        rows = (await self._session.execute(
            select(MeetingRow).where(col(MeetingRow.conversation_id) == conversation_id,
                                     col(MeetingRow.started_at) <= until)
            .order_by(col(MeetingRow.started_at).desc(), col(MeetingRow.id).desc()).limit(limit)
        )).scalars().all()
        return [_meeting(row) for row in reversed(rows)]

    async def of_teams_meeting(self, teams_meeting_id: str) -> list[Meeting]:
        rows = await self._session.execute(
            select(MeetingRow).where(col(MeetingRow.teams_meeting_id) == teams_meeting_id)
            .order_by(col(MeetingRow.started_at), col(MeetingRow.id)))
        return [_meeting(row) for row in rows.scalars()]

    async def end(self, meeting_id: str, *, at: datetime, attendees: int | None) -> None:
        await self._session.execute(update(MeetingRow).where(col(MeetingRow.id) == meeting_id)
                                    .values(ended_at=at, attendees=attendees))

    async def set_title(self, meeting_id: str, title: str) -> None:
        await self._session.execute(update(MeetingRow).where(col(MeetingRow.id) == meeting_id)
                                    .values(title=title[:512]))

    async def keep_summary(self, meeting_id: str, summary_json: str) -> None:
        await self._session.execute(update(MeetingRow).where(col(MeetingRow.id) == meeting_id)
                                    .values(summary_json=summary_json))

    async def mark_purged(self, meeting_id: str) -> None:
        await self._session.execute(update(MeetingRow).where(col(MeetingRow.id) == meeting_id)
                                    .values(purged=True))

    async def ended_before(self, moment: datetime) -> list[Meeting]:
        """Meetings that ended before `moment` and still hold raw texts."""
        rows = await self._session.execute(
            select(MeetingRow).where(col(MeetingRow.ended_at) < moment,
                                     col(MeetingRow.purged).is_(False))
            .order_by(col(MeetingRow.ended_at), col(MeetingRow.id)))
        return [_meeting(row) for row in rows.scalars()]

    async def delete(self, meeting_id: str) -> None:
        await self._session.execute(delete(ReportLinkRow)
                                    .where(col(ReportLinkRow.meeting_id) == meeting_id))
        await self._session.execute(delete(ParticipationRow)
                                    .where(col(ParticipationRow.meeting_id) == meeting_id))
        await self._session.execute(delete(MeetingRow).where(col(MeetingRow.id) == meeting_id))

    # ------------------------------------------------------------------ participation
    async def took_part(self, meeting_id: str, *participant_keys: str) -> None:
        """Count these participation keys as reached in the meeting (once each), written in
        key order (not in the order people took part)."""
        if not participant_keys:
            return
        statement = upsert(self._session, table_of(ParticipationRow),
                           ("meeting_id", "participant_key"))
        await self._session.execute(statement, [
            dict(meeting_id=meeting_id, participant_key=key)
            for key in sorted(set(participant_keys))])

    async def not_yet_reached(self, keys: dict[str, set[str]]) -> dict[str, set[str]]:
        """Of these participation keys by meeting id, those not stored yet, for the meetings
        that still exist (a meeting deleted meanwhile takes its keys with it)."""
        if not keys:
            return {}
        existing = set((await self._session.execute(
            select(col(MeetingRow.id)).where(col(MeetingRow.id).in_(keys)))).scalars())
        stored: dict[str, set[str]] = {}
        for meeting_id in existing:
            rows = await self._session.execute(
                select(col(ParticipationRow.participant_key))
                .where(col(ParticipationRow.meeting_id) == meeting_id,
                       col(ParticipationRow.participant_key).in_(keys[meeting_id])))
            stored[meeting_id] = set(rows.scalars())
        return {meeting_id: new for meeting_id in existing
                if (new := keys[meeting_id] - stored[meeting_id])}

    async def reached(self, meeting_id: str, also: Collection[str] = ()) -> int:
        """How many people took part: the keys stored, and those of `also` not stored yet. One
        statement, so one snapshot: keys written meanwhile are counted once, as stored or as not
        yet (in two statements on PostgreSQL they could be neither)."""
        keys = set(also)
        of_meeting = col(ParticipationRow.meeting_id) == meeting_id
        stored = select(func.count()).select_from(ParticipationRow).where(of_meeting)
        among = select(func.count()).select_from(ParticipationRow).where(
            of_meeting, col(ParticipationRow.participant_key).in_(keys))
        exists = select(func.count()).select_from(MeetingRow).where(
            col(MeetingRow.id) == meeting_id)
        counted, known, meeting = (await self._session.execute(select(
            stored.scalar_subquery(), among.scalar_subquery(), exists.scalar_subquery()))).one()
        return int(counted) + (len(keys) - int(known) if meeting else 0)

    async def attendees_now(self, conversation_id: str, teams_meeting_id: str) -> int | None:
        """Everyone Teams reported joining the chat's meeting (in that chat), or None without
        join events there."""
        count = int((await self._session.execute(
            select(func.count()).select_from(PresenceRow)
            .where(*presence_in(conversation_id, teams_meeting_id)))).scalar() or 0)
        return count or None

    # ------------------------------------------------------------------ report links
    async def add_link(self, token_hash: str, meeting_id: str, language: str,
                       expires_at: datetime) -> None:
        self._session.add(ReportLinkRow(token_hash=token_hash, meeting_id=meeting_id,
                                        language=language, expires_at=expires_at))
        await self._session.flush()

    async def link(self, token_hash: str, now: datetime) -> tuple[str, str] | None:
        """(meeting id, language) of a link that has not expired."""
        row = await self._session.get(ReportLinkRow, token_hash)
        if row is None or row.expires_at <= now:
            return None
        return row.meeting_id, row.language
