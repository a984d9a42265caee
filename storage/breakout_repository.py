"""Storage of breakout rounds, their members and reports, and meeting presence."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from facilitation.breakout_rounds import BreakoutRound, Report, RoundStatus, Source
from storage.sql import insert_for
from storage.tables import BreakoutMemberRow, BreakoutReportRow, BreakoutRow, PresenceRow

PUBLISHED = (RoundStatus.RUNNING.value, RoundStatus.RECONVENED.value)


@dataclass(frozen=True)
class StoredRound:
    round: BreakoutRound
    conversation_id: str
    creator_key: str
    locale: str = "en"
    meeting_id: str | None = None
    card_activity_id: str | None = None


@dataclass(frozen=True)
class RoundMember:
    id: str
    name: str
    aad_object_id: str | None = None
    excluded: bool = False
    group: int | None = None
    role: str | None = None


@dataclass(frozen=True)
class PastPlacement:
    """Where someone was in an earlier round of the same chat (for fair new groups)."""

    round_id: str
    member_id: str
    group: int
    role: str | None


def _sets(raw: str) -> tuple[frozenset[str], ...]:
    return tuple(frozenset(ids) for ids in json.loads(raw))


def _dump_sets(sets: tuple[frozenset[str], ...]) -> str:
    return json.dumps([sorted(ids) for ids in sets])


def _round(row: BreakoutRow) -> StoredRound:
    round_ = BreakoutRound(
        id=row.id, status=RoundStatus(row.status), source=Source(row.source), groups=row.groups,
        created_at=row.created_at, size=row.size, duration_minutes=row.duration_minutes,
        topics=tuple(json.loads(row.topics_json)), apart=_sets(row.apart_json),
        together=_sets(row.together_json), started_at=row.started_at, ends_at=row.ends_at,
        reminded=row.reminded, time_up_sent=row.time_up_sent)
    return StoredRound(round_, row.conversation_id, row.creator_key, row.locale, row.meeting_id,
                       row.card_activity_id)


class _RoundValues(TypedDict):
    """A round's state as its row's columns (what `save` writes)."""

    status: str
    source: str
    groups: int
    size: int | None
    duration_minutes: int | None
    topics_json: str
    apart_json: str
    together_json: str
    started_at: datetime | None
    ends_at: datetime | None
    reminded: bool
    time_up_sent: bool


def _round_values(round_: BreakoutRound) -> _RoundValues:
    return _RoundValues(
        status=round_.status.value, source=round_.source.value, groups=round_.groups,
        size=round_.size, duration_minutes=round_.duration_minutes,
        topics_json=json.dumps(list(round_.topics), ensure_ascii=False),
        apart_json=_dump_sets(round_.apart), together_json=_dump_sets(round_.together),
        started_at=round_.started_at, ends_at=round_.ends_at, reminded=round_.reminded,
        time_up_sent=round_.time_up_sent)


class AlreadyReported(Exception):
    """This group's report exists already."""


class BreakoutRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # ------------------------------------------------------------------ rounds
    async def add_round(self, stored: StoredRound, members: list[RoundMember]) -> None:
        self._session.add(BreakoutRow(
            id=stored.round.id, conversation_id=stored.conversation_id,
            meeting_id=stored.meeting_id, creator_key=stored.creator_key, locale=stored.locale,
            created_at=stored.round.created_at, card_activity_id=stored.card_activity_id,
            **_round_values(stored.round)))
        await self._session.flush()
        for member in members:
            self._session.add(BreakoutMemberRow(
                breakout_id=stored.round.id, member_id=member.id, name=member.name,
                aad_object_id=member.aad_object_id, excluded=member.excluded))
        await self._session.flush()

    async def get(self, round_id: str) -> StoredRound | None:
        row = await self._session.get(BreakoutRow, round_id)
        return None if row is None else _round(row)

    async def save(self, round_: BreakoutRound) -> None:
        await self._session.execute(
            update(BreakoutRow).where(col(BreakoutRow.id) == round_.id)
            .values(**_round_values(round_)))

    async def set_card(self, round_id: str, activity_id: str) -> None:
        await self._session.execute(update(BreakoutRow).where(col(BreakoutRow.id) == round_id)
                                    .values(card_activity_id=activity_id))

    async def running(self) -> list[StoredRound]:
        rows = await self._session.execute(
            select(BreakoutRow).where(col(BreakoutRow.status) == RoundStatus.RUNNING.value)
            .order_by(col(BreakoutRow.created_at), col(BreakoutRow.id)))
        return [_round(row) for row in rows.scalars()]

    async def in_conversation(self, conversation_id: str) -> list[StoredRound]:
        rows = await self._session.execute(
            select(BreakoutRow).where(col(BreakoutRow.conversation_id) == conversation_id)
            .order_by(col(BreakoutRow.created_at), col(BreakoutRow.id)))
        return [_round(row) for row in rows.scalars()]

    # ------------------------------------------------------------------ members
    async def members(self, round_id: str) -> list[RoundMember]:
        rows = await self._session.execute(
            select(BreakoutMemberRow).where(col(BreakoutMemberRow.breakout_id) == round_id)
            .order_by(col(BreakoutMemberRow.name), col(BreakoutMemberRow.member_id)))
        return [RoundMember(r.member_id, r.name, r.aad_object_id, r.excluded, r.group_number,
                            r.role) for r in rows.scalars()]

    async def join(self, round_id: str, member: RoundMember) -> bool:
        """Add someone who opted in; returns False when they were in already (then they are
        included again if they had been excluded)."""
        exists = await self._session.get(BreakoutMemberRow, (round_id, member.id))
        if exists is not None:
            exists.excluded = False
            await self._session.flush()
            return False
        statement = insert_for(self._session, BreakoutMemberRow).values(
            breakout_id=round_id, member_id=member.id, name=member.name,
            aad_object_id=member.aad_object_id, excluded=False)
        result = await self._session.execute(statement.on_conflict_do_nothing(
            index_elements=["breakout_id", "member_id"]))
        return bool(getattr(result, "rowcount", 1))  # 0: someone joined them meanwhile

    async def set_excluded(self, round_id: str, excluded: set[str]) -> None:
        for member in await self.members(round_id):
            await self._session.execute(
                update(BreakoutMemberRow)
                .where(col(BreakoutMemberRow.breakout_id) == round_id,
                       col(BreakoutMemberRow.member_id) == member.id)
                .values(excluded=member.id in excluded))

    async def assign(self, round_id: str, placements: dict[str, tuple[int, str | None]]) -> None:
        """Store each member's group and role (facilitator, presenter or none)."""
        for member_id, (group, role) in sorted(placements.items()):
            await self._session.execute(
                update(BreakoutMemberRow)
                .where(col(BreakoutMemberRow.breakout_id) == round_id,
                       col(BreakoutMemberRow.member_id) == member_id)
                .values(group_number=group, role=role))

    async def earlier_placements(self, conversation_id: str,
                                 before: str) -> list[PastPlacement]:
        """Groups and roles of every published round of this chat except `before`."""
        rows = await self._session.execute(
            select(col(BreakoutMemberRow.breakout_id), col(BreakoutMemberRow.member_id),
                   col(BreakoutMemberRow.group_number), col(BreakoutMemberRow.role))
            .join(BreakoutRow, col(BreakoutRow.id) == col(BreakoutMemberRow.breakout_id))
            .where(col(BreakoutRow.conversation_id) == conversation_id,
                   col(BreakoutRow.id) != before,
                   col(BreakoutRow.status).in_(PUBLISHED),
                   col(BreakoutMemberRow.group_number).is_not(None))
            .order_by(col(BreakoutMemberRow.breakout_id), col(BreakoutMemberRow.member_id)))
        return [PastPlacement(r, m, g, role) for r, m, g, role in rows.all() if g is not None]

    # ------------------------------------------------------------------ reports
    async def add_report(self, round_id: str, report: Report, *, now: object) -> None:
        """Store a group's report; a second one for the same group raises AlreadyReported."""
        if await self._session.get(BreakoutReportRow, (round_id, report.group)) is not None:
            raise AlreadyReported(report.group)
        statement = insert_for(self._session, BreakoutReportRow).values(
            breakout_id=round_id, group_number=report.group,
            points_json=json.dumps(list(report.points), ensure_ascii=False), note=report.note,
            submitted_at=now)
        result = await self._session.execute(statement.on_conflict_do_nothing(
            index_elements=["breakout_id", "group_number"]))
        if not getattr(result, "rowcount", 1):
            raise AlreadyReported(report.group)

    async def reports(self, round_id: str) -> list[Report]:
        rows = await self._session.execute(
            select(BreakoutReportRow).where(col(BreakoutReportRow.breakout_id) == round_id)
            .order_by(col(BreakoutReportRow.group_number)))
        return [Report(r.group_number, tuple(json.loads(r.points_json)), r.note)
                for r in rows.scalars()]

    # ------------------------------------------------------------------ presence
    # Presence is a chat's: kept under the conversation the join and leave events came from and
    # the meeting they named, so an event elsewhere naming the same meeting id counts only there.
    async def set_presence(self, conversation_id: str, meeting_id: str, member: RoundMember,
                           present: bool) -> None:
        values = dict(conversation_id=conversation_id, meeting_id=meeting_id,
                      member_id=member.id, name=member.name,
                      aad_object_id=member.aad_object_id, present=present)
        statement = insert_for(self._session, PresenceRow).values(**values)
        await self._session.execute(statement.on_conflict_do_update(
            index_elements=["conversation_id", "meeting_id", "member_id"],
            set_=dict(name=member.name, aad_object_id=member.aad_object_id, present=present)))

    async def present(self, conversation_id: str, meeting_id: str) -> list[RoundMember] | None:
        """People present in the chat's meeting, or None when no join event was ever seen for
        it there."""
        rows = (await self._session.execute(
            select(PresenceRow).where(*presence_in(conversation_id, meeting_id))
            .order_by(col(PresenceRow.name), col(PresenceRow.member_id)))).scalars().all()
        if not rows:
            return None
        return [RoundMember(r.member_id, r.name, r.aad_object_id) for r in rows if r.present]

    async def forget_presence(self, conversation_id: str, meeting_id: str) -> None:
        await self._session.execute(delete(PresenceRow)
                                    .where(*presence_in(conversation_id, meeting_id)))


def presence_in(conversation_id: str, meeting_id: str
                ) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """The presence rows of one chat's meeting (a WHERE clause)."""
    return (col(PresenceRow.conversation_id) == conversation_id,
            col(PresenceRow.meeting_id) == meeting_id)

