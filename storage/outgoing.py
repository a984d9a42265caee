"""Messages the bot has promised to send, kept until they arrive (the `outgoing` table).

A row is written before the request that caused the message is answered, and goes once the
connector accepted the message (after its item learnt the message id) or once it was given up
and reported. Each row belongs to the bot process that sends it (`owner`) for as long as that
process renews its claim; rows of a process that stopped renewing (it died) are taken over by
another one, or by the next start. Every change of a row names its owner, so a process that
lost a row (it stalled past its claim) cannot send it as well.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlmodel import col

from storage.sql import table_of
from storage.tables import OutgoingRow

_TABLE = table_of(OutgoingRow)
TICK = timedelta(microseconds=1)  # the finest step both databases keep


class OutgoingState(StrEnum):
    QUEUED = "queued"  # not on the wire: safe to post
    SENDING = "sending"  # a POST may be under way or may have arrived: never posted again
    SENT = "sent"  # arrived; its item is still to learn the message id


@dataclass(frozen=True)
class Outgoing:
    """One promised message. A private message has `member_id` (and `tenant_id`) and no
    conversation until its chat is opened. `binding` names the item that keeps the message's
    id (a feature's kind and the item's id). A failure is reported into `notice_conversation`
    in `notice_locale`; without it, only the log says so."""

    id: str
    service_url: str
    activity: dict[str, Any]
    conversation_id: str = ""
    bot_id: str = ""
    tenant_id: str = ""
    member_id: str | None = None
    binding: tuple[str, str] | None = None
    notice_conversation: str | None = None
    notice_locale: str | None = None
    state: OutgoingState = OutgoingState.QUEUED
    activity_id: str | None = None
    queued_at: datetime | None = None


LOAD_AT_ONCE = 500  # rows read at once by `load` (the rest come the next time)


class OutgoingStore:
    """The `outgoing` table, for one bot process (`owner`)."""

    def __init__(self, engine: AsyncEngine, owner: str, *, claim_for: timedelta) -> None:
        self._engine = engine
        self.owner = owner
        self.claim_for = claim_for
        self._last_queued: datetime | None = None

    async def add(self, messages: list[Outgoing], *, now: datetime) -> None:
        """Write `messages`, claimed by this process, in one transaction (committed on return)."""
        if not messages:
            return
        async with self._engine.begin() as connection:
            await connection.execute(_TABLE.insert(), self._rows(messages, now))

    async def add_in(self, session: AsyncSession, messages: list[Outgoing], *,
                     now: datetime) -> None:
        """Write `messages`, claimed by this process, in the caller's transaction (a unit of
        work's session): they are kept exactly when the change that causes them is, so that
        no crash between the two can keep the one without the other."""
        if messages:
            await session.execute(_TABLE.insert(), self._rows(messages, now))

    async def replace(self, message_id: str, notice: Outgoing, *, now: datetime) -> bool:
        """Cross off this process's message `message_id` and write `notice` (which reports it)
        in one transaction, so that a crash leaves either the message (reported again then) or
        the notice (sent then), never both (the message reported twice, or sent after it was
        reported) and never neither. False, and nothing written, if the message is no longer
        this process's: the process that took it over reports it."""
        async with self._engine.begin() as connection:
            removed = await connection.execute(delete(_TABLE).where(_mine(message_id,
                                                                          self.owner)))
            if not removed.rowcount:
                return False
            await connection.execute(_TABLE.insert(), self._rows([notice], now))
        return True

    async def mark(self, message_id: str, state: OutgoingState, *,
                   activity_id: str | None = None, conversation_id: str | None = None) -> bool:
        """Move one of this process's rows to `state`; False if it is no longer this process's."""
        values: dict[str, Any] = {"state": state.value}
        if activity_id is not None:
            values["activity_id"] = activity_id
        if conversation_id is not None:
            values["conversation_id"] = conversation_id
            values["member_id"] = None  # the chat is open: the person's id is not needed
        statement = update(_TABLE).where(_mine(message_id, self.owner)).values(**values)
        async with self._engine.begin() as connection:
            return bool((await connection.execute(statement)).rowcount)

    async def remove(self, message_id: str) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(delete(_TABLE).where(_mine(message_id, self.owner)))

    async def own_queued_ids(self, *, queued_before: datetime) -> list[str]:
        """Ids of this process's rows still waiting to be sent that were queued before
        `queued_before` (ids only: most of them are being sent, and need not be read)."""
        statement = (select(col(OutgoingRow.id)).where(self._waiting())
                     .where(col(OutgoingRow.queued_at) <= queued_before))
        async with self._engine.connect() as connection:
            return list((await connection.execute(statement)).scalars())

    async def load(self, message_ids: list[str]) -> list[Outgoing]:
        """This process's rows of `message_ids` that are still waiting, oldest first."""
        if not message_ids:
            return []
        statement = (select(_TABLE).where(self._waiting())
                     .where(col(OutgoingRow.id).in_(message_ids[:LOAD_AT_ONCE])))
        async with self._engine.connect() as connection:
            rows = (await connection.execute(statement)).all()
        return sorted((_message(row) for row in rows), key=_age)

    def _waiting(self) -> Any:
        """This process's rows that wait to be sent (not on the wire, not arrived)."""
        return ((col(OutgoingRow.owner) == self.owner)
                & (col(OutgoingRow.state) == OutgoingState.QUEUED.value))

    async def renew(self, *, now: datetime) -> None:
        """Keep this process's claim on its rows."""
        statement = (update(_TABLE).where(col(OutgoingRow.owner) == self.owner)
                     .values(claimed_until=now + self.claim_for))
        async with self._engine.begin() as connection:
            await connection.execute(statement)

    async def release(self, *, now: datetime) -> None:
        """Give this process's rows up at once (shutdown): the next process takes them."""
        statement = (update(_TABLE).where(col(OutgoingRow.owner) == self.owner)
                     .values(claimed_until=now))
        async with self._engine.begin() as connection:
            await connection.execute(statement)

    async def take_over(self, *, now: datetime, everything: bool = False) -> list[Outgoing]:
        """Claim the rows of other processes that stopped renewing them (every other process's
        rows: `everything`, for the only process on a database), oldest first."""
        claim = update(_TABLE).where(col(OutgoingRow.owner) != self.owner)
        if not everything:
            claim = claim.where(col(OutgoingRow.claimed_until) <= now)
        claim = claim.values(owner=self.owner, claimed_until=now + self.claim_for)
        async with self._engine.begin() as connection:
            rows = (await connection.execute(claim.returning(*_TABLE.c))).all()
        return sorted((_message(row) for row in rows), key=_age)

    def _rows(self, messages: list[Outgoing], now: datetime) -> list[dict[str, Any]]:
        """Rows for `messages`, each queued at a distinct, later time than any before it in
        this process (a microsecond apart at the same clock reading, and after a clock step
        back): a process that takes them over sends them in the order they were queued."""
        rows = []
        for message in messages:
            queued = now if self._last_queued is None else max(now, self._last_queued + TICK)
            self._last_queued = queued
            rows.append(_row(message, self.owner, now + self.claim_for, queued))
        return rows

    async def count(self) -> int:
        """How many messages wait (any owner): for tests and the health report."""
        async with self._engine.connect() as connection:
            return int((await connection.execute(select(func.count()).select_from(_TABLE)))
                       .scalar_one())


def _mine(message_id: str, owner: str) -> Any:
    return (col(OutgoingRow.id) == message_id) & (col(OutgoingRow.owner) == owner)


def _row(message: Outgoing, owner: str, claimed_until: datetime,
         queued_at: datetime) -> dict[str, Any]:
    kind, ref = message.binding if message.binding is not None else (None, None)
    return {"id": message.id, "service_url": message.service_url,
            "conversation_id": message.conversation_id, "bot_id": message.bot_id,
            "tenant_id": message.tenant_id, "member_id": message.member_id,
            "activity": json.dumps(message.activity, ensure_ascii=False),
            "binding_kind": kind, "binding_ref": ref,
            "notice_conversation": message.notice_conversation,
            "notice_locale": message.notice_locale, "state": message.state.value,
            "activity_id": message.activity_id, "owner": owner,
            "claimed_until": claimed_until, "queued_at": queued_at}


def _message(row: Any) -> Outgoing:
    binding = ((row.binding_kind, row.binding_ref)
               if row.binding_kind is not None and row.binding_ref is not None else None)
    return Outgoing(id=row.id, service_url=row.service_url, activity=json.loads(row.activity),
                    conversation_id=row.conversation_id, bot_id=row.bot_id,
                    tenant_id=row.tenant_id, member_id=row.member_id, binding=binding,
                    notice_conversation=row.notice_conversation,
                    notice_locale=row.notice_locale, state=OutgoingState(row.state),
                    activity_id=row.activity_id, queued_at=row.queued_at)


def _age(message: Outgoing) -> tuple[datetime, str]:
    return (message.queued_at or datetime.min.replace(tzinfo=UTC), message.id)
