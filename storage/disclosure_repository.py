"""What each open poll's shared card last disclosed, kept where every bot process sees it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from facilitation.polls import Tally
from storage.mapping import tally_from_json, tally_to_json
from storage.sql import insert_for, table_of, upsert
from storage.tables import PollDisclosureRow


@dataclass(frozen=True)
class DisclosureState:
    """The breakdown on the shared card, ballots cast or changed since, and the last one's time."""

    shown: Tally | None = None
    changes: int = 0
    last_ballot_at: datetime | None = None


class DisclosureRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def state(self, poll_id: str, *, lock: bool = False) -> DisclosureState:
        """The poll's state; `lock` holds its row until the transaction ends, so ballots
        counted meanwhile wait and are counted after a breakdown this transaction publishes."""
        if lock:
            await self._session.execute(
                insert_for(self._session, PollDisclosureRow).values(poll_id=poll_id, changes=0)
                .on_conflict_do_nothing(index_elements=["poll_id"]))
        query = select(PollDisclosureRow).where(col(PollDisclosureRow.poll_id) == poll_id)
        row = (await self._session.execute(query.with_for_update() if lock else query)).scalar()
        if row is None:
            return DisclosureState()
        shown = None if row.shown_json is None else tally_from_json(row.shown_json)
        return DisclosureState(shown, row.changes, row.last_ballot_at)

    async def counted(self, changes: Mapping[str, int], at: datetime) -> None:
        """Ballots were cast or changed: `changes` per poll id, the last of them at `at`.
        Polls are locked in id order, so concurrent writers never wait on each other in a
        circle."""
        statement = upsert(self._session, table_of(PollDisclosureRow), ("poll_id",),
                           ("last_ballot_at",), add=("changes",))
        for poll_id in sorted(changes):
            await self._session.execute(statement, dict(
                poll_id=poll_id, changes=changes[poll_id], last_ballot_at=at))

    async def published(self, poll_id: str, shown: Tally) -> None:
        """The shared card now shows `shown`: count changes afresh from here."""
        statement = insert_for(self._session, PollDisclosureRow).values(
            poll_id=poll_id, shown_json=tally_to_json(shown), changes=0)
        await self._session.execute(statement.on_conflict_do_update(
            index_elements=["poll_id"], set_={"shown_json": statement.excluded.shown_json,
                                              "changes": 0}))
