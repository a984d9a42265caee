"""What each open poll's shared card last disclosed, kept where every bot process sees it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from facilitation.polls import Tally
from storage.mapping import tally_from_json, tally_to_json
from storage.sql import insert_for, table_of, upsert
from storage.tables import PollDisclosureRow, PollDisclosureVoterRow, PollRow


@dataclass(frozen=True)
class DisclosureState:
    """The breakdown on the shared card, and how many people cast or changed a ballot since."""

    shown: Tally | None = None
    changes: int = 0


class DisclosureRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def state(self, poll_id: str, *, lock: bool = False) -> DisclosureState:
        """The poll's state; `lock` holds its row until the transaction ends, so ballots
        counted meanwhile wait and are counted after a breakdown this transaction publishes."""
        if lock:
            await self.lock([poll_id])
        row = (await self._session.execute(
            select(PollDisclosureRow).where(col(PollDisclosureRow.poll_id) == poll_id))).scalar()
        changes = (await self._session.execute(
            select(func.count()).select_from(PollDisclosureVoterRow)
            .where(col(PollDisclosureVoterRow.poll_id) == poll_id))).scalar_one()
        shown = None if row is None or row.shown_json is None else tally_from_json(row.shown_json)
        return DisclosureState(shown, changes)

    async def lock(self, poll_ids: Iterable[str]) -> None:
        """Hold the disclosure rows of these polls (those that exist) until the transaction
        ends, in id order, as closing and publishing do first: whoever locks next then reads
        the poll as the one before left it (on PostgreSQL; SQLite runs one writer at a time)."""
        polls = table_of(PollRow)
        statement = insert_for(self._session, table_of(PollDisclosureRow)).from_select(
            ["poll_id"], select(polls.c.id).where(polls.c.id == bindparam("poll_id")))
        statement = statement.on_conflict_do_update(
            index_elements=["poll_id"], set_={"poll_id": statement.excluded.poll_id})
        for poll_id in sorted(set(poll_ids)):
            await self._session.execute(statement, {"poll_id": poll_id})

    async def counted(self, voters: Mapping[str, Iterable[str]]) -> None:
        """Ballots were cast or changed: the voters' counting keys per poll id. Each poll's row
        is locked (in id order, so concurrent writers never wait on each other in a circle)
        before its voters are noted, so a breakdown being published meanwhile is either before
        them or after them, never between."""
        await self.lock(voters)
        note = upsert(self._session, table_of(PollDisclosureVoterRow), ("poll_id", "counting_key"))
        for poll_id in sorted(voters):
            await self._session.execute(note, [dict(poll_id=poll_id, counting_key=key)
                                               for key in sorted(set(voters[poll_id]))])

    async def published(self, poll_id: str, shown: Tally) -> None:
        """The shared card now shows `shown`: count voters afresh from here."""
        statement = insert_for(self._session, PollDisclosureRow).values(
            poll_id=poll_id, shown_json=tally_to_json(shown))
        await self._session.execute(statement.on_conflict_do_update(
            index_elements=["poll_id"], set_={"shown_json": statement.excluded.shown_json}))
        await self._session.execute(delete(PollDisclosureVoterRow).where(
            col(PollDisclosureVoterRow.poll_id) == poll_id))
