"""Repositories and the unit of work: explicit queries, append-only ballots, aggregate tallies."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CursorResult, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlmodel import col

from facilitation.errors import DomainError
from facilitation.polls import (
    BallotChoice,
    Poll,
    PollKind,
    PollStatus,
    Tally,
    tally_answers,
    tally_choices,
)
from storage.breakout_repository import BreakoutRepository
from storage.disclosure_repository import DisclosureRepository
from storage.mapping import Chat as Chat  # where the shell has always found it
from storage.mapping import apply_poll, chat_from_row, poll_from_row
from storage.meeting_repository import MeetingRepository
from storage.qna_repository import QnaRepository
from storage.sql import CHAT_PREFIX, insert_for, rows_by_id, table_of, upsert
from storage.tables import BallotRow, BoardRow, BreakoutRow, ChatRow, OutgoingRow, PollRow

#: From this many open answers on, grouping them runs in a worker thread: thousands take a
#: noticeable fraction of a second, which the event loop (every other vote) must not wait for.
GROUP_IN_A_THREAD_FROM = 500


@dataclass(frozen=True)
class StoredPoll:
    """A poll with where it lives: its chat, its meeting, its card, and its creator's key."""

    poll: Poll
    conversation_id: str
    creator_key: str
    locale: str = "en"
    meeting_id: str | None = None
    card_activity_id: str | None = None


class BallotOutcome(StrEnum):
    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


class ForeignChat(DomainError):
    """The conversation is stored under another tenant: a chat never changes its tenant, and
    nothing is done in it from another (the answer says so in the person's language)."""

    code = "scope.foreign_chat"


class ChatRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def remember(self, chat: Chat) -> None:
        """Store how to reach a chat, or refresh it: a known chat takes the new service URL,
        bot id and meeting (Teams may move a chat to another service URL), never another
        tenant. A conversation stored under another tenant raises ForeignChat, unchanged."""
        values = dict(conversation_id=chat.conversation_id, service_url=chat.service_url,
                      tenant_id=chat.tenant_id, bot_id=chat.bot_id, meeting_id=chat.meeting_id)
        statement = insert_for(self._session, ChatRow).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=["conversation_id"],
            set_={k: v for k, v in values.items() if k not in ("conversation_id", "tenant_id")},
            where=table_of(ChatRow).c.tenant_id == statement.excluded.tenant_id,
        )
        result = await self._session.execute(statement)
        assert isinstance(result, CursorResult)  # an INSERT's result
        if not result.rowcount:  # the WHERE above held back the update: another tenant's
            raise ForeignChat()

    async def of_meeting(self, meeting_id: str) -> list[str]:
        """Conversation ids of a meeting: chats with this meeting id, or the chat itself."""
        rows = await self._session.execute(
            select(col(ChatRow.conversation_id))
            .where((col(ChatRow.meeting_id) == meeting_id)
                   | (col(ChatRow.conversation_id) == meeting_id))
            .order_by(col(ChatRow.conversation_id)))
        return list(rows.scalars())

    async def get(self, conversation_id: str) -> Chat | None:
        row = await self._session.get(ChatRow, conversation_id)
        return None if row is None else chat_from_row(row)


class PollRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, stored: StoredPoll) -> None:
        row = PollRow(
            id=stored.poll.id, conversation_id=stored.conversation_id,
            meeting_id=stored.meeting_id, creator_key=stored.creator_key, locale=stored.locale,
            card_activity_id=stored.card_activity_id, question="", options_json="[]",
            kind="", results="", status="", created_at=stored.poll.created_at,
        )
        self._session.add(apply_poll(row, stored.poll))
        await self._session.flush()

    async def get(self, poll_id: str) -> StoredPoll | None:
        row = await self._session.get(PollRow, poll_id)
        return None if row is None else _stored(row)

    async def get_many(self, poll_ids: Iterable[str]) -> dict[str, StoredPoll]:
        """The polls among `poll_ids` that exist, by id (one query)."""
        rows = await rows_by_id(self._session, table_of(PollRow), poll_ids)
        return {poll_id: _stored(row) for poll_id, row in rows.items()}

    async def get_many_in_chats(self, poll_ids: Iterable[str]
                                ) -> dict[str, tuple[StoredPoll, Chat | None]]:
        """The polls among `poll_ids` that exist, each with its chat (None if the chat is
        unknown), by id (one query)."""
        rows = await rows_by_id(self._session, table_of(PollRow), poll_ids, with_chat=True)
        return {poll_id: (_stored(row), chat_from_row(row, CHAT_PREFIX))
                for poll_id, row in rows.items()}

    async def save(self, poll: Poll) -> None:
        """Persist a poll's new state (status, reveal, closing times)."""
        row = await self._session.get(PollRow, poll.id)
        if row is None:
            raise KeyError(poll.id)
        apply_poll(row, poll)
        await self._session.flush()

    async def set_card(self, poll_id: str, activity_id: str) -> None:
        """Remember the message id of the poll's shared card, for later edits."""
        await self._session.execute(
            update(PollRow).where(col(PollRow.id) == poll_id).values(card_activity_id=activity_id)
        )

    async def adopt_card(self, poll_id: str, activity_id: str) -> bool:
        """Take `activity_id` as the poll's shared card, only if the poll has none, no post of
        its card is still on its way (`outgoing`), and the message is no other item's card;
        whether it was taken."""
        taken = (exists().where(col(PollRow.card_activity_id) == activity_id)
                 | exists().where(col(BoardRow.card_activity_id) == activity_id)
                 | exists().where(col(BreakoutRow.card_activity_id) == activity_id))
        # Item ids are unique across kinds: any message bound to this id is the poll's card.
        pending = exists().where(col(OutgoingRow.binding_ref) == poll_id)
        result = await self._session.execute(
            update(PollRow)
            .where(col(PollRow.id) == poll_id, col(PollRow.card_activity_id).is_(None),
                   ~taken, ~pending)
            .values(card_activity_id=activity_id))
        assert isinstance(result, CursorResult)  # an UPDATE's result
        return bool(result.rowcount)

    async def due(self, now: datetime) -> list[StoredPoll]:
        """Open polls whose auto-close time has come, oldest first."""
        rows = await self._session.execute(
            select(PollRow)
            .where(col(PollRow.status) == PollStatus.OPEN.value, col(PollRow.closes_at) <= now)
            .order_by(col(PollRow.closes_at), col(PollRow.id))
        )
        return [_stored(row) for row in rows.scalars()]

    async def open_with_cards(self) -> list[StoredPoll]:
        """Open polls whose shared card was posted (to bring those cards up to date)."""
        rows = await self._session.execute(
            select(PollRow).where(col(PollRow.status) == PollStatus.OPEN.value,
                                  col(PollRow.card_activity_id).is_not(None))
            .order_by(col(PollRow.created_at), col(PollRow.id)))
        return [_stored(row) for row in rows.scalars()]

    async def in_conversation(self, conversation_id: str) -> list[StoredPoll]:
        rows = await self._session.execute(
            select(PollRow).where(col(PollRow.conversation_id) == conversation_id)
            .order_by(col(PollRow.created_at), col(PollRow.id))
        )
        return [_stored(row) for row in rows.scalars()]


def _stored(row: PollRow) -> StoredPoll:
    return StoredPoll(
        poll=poll_from_row(row), conversation_id=row.conversation_id, creator_key=row.creator_key,
        locale=row.locale, meeting_id=row.meeting_id, card_activity_id=row.card_activity_id,
    )


@dataclass(frozen=True)
class BallotWrite:
    """A ballot to record: what was chosen under a poll-scoped key (a name only for polls
    created as not anonymous)."""

    poll_id: str
    voter_key: str
    choice: BallotChoice
    voter_name: str | None = None


class BallotRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def cast(self, poll_id: str, voter_key: str, choice: BallotChoice,
                   voter_name: str | None = None) -> BallotOutcome:
        """Record a ballot; a second ballot under the same key replaces the first."""
        [outcome] = await self.cast_many([BallotWrite(poll_id, voter_key, choice, voter_name)])
        return outcome

    async def cast_many(self, ballots: Sequence[BallotWrite]) -> list[BallotOutcome]:
        """Record ballots in their order (a later one under the same key replaces an earlier
        one) with one read and one write; the outcome of each, as `cast` one by one says."""
        current = await self._current(ballots)
        outcomes: list[BallotOutcome] = []
        latest: dict[tuple[str, str], BallotWrite] = {}
        for ballot in ballots:
            key = (ballot.poll_id, ballot.voter_key)
            before = current.get(key)
            if before == ballot.choice:
                outcomes.append(BallotOutcome.UNCHANGED)
                continue
            outcomes.append(BallotOutcome.NEW if before is None else BallotOutcome.CHANGED)
            current[key] = ballot.choice
            latest[key] = ballot
        if latest:
            statement = upsert(self._session, table_of(BallotRow), ("poll_id", "voter_key"),
                               ("choices", "answer", "voter_name"))
            await self._session.execute(statement, [
                dict(poll_id=b.poll_id, voter_key=b.voter_key, choices=b.choice.mask,
                     answer=b.choice.text, voter_name=b.voter_name) for b in latest.values()])
        return outcomes

    async def _current(self, ballots: Sequence[BallotWrite]
                       ) -> dict[tuple[str, str], BallotChoice]:
        keys: dict[str, set[str]] = {}
        for ballot in ballots:
            keys.setdefault(ballot.poll_id, set()).add(ballot.voter_key)
        current: dict[tuple[str, str], BallotChoice] = {}
        for poll_id, voter_keys in keys.items():
            rows = await self._session.execute(
                select(col(BallotRow.voter_key), col(BallotRow.choices), col(BallotRow.answer))
                .where(col(BallotRow.poll_id) == poll_id,
                       col(BallotRow.voter_key).in_(voter_keys)))
            for voter_key, mask, answer in rows.all():
                current[(poll_id, voter_key)] = BallotChoice(mask=mask, text=answer)
        return current

    async def mine(self, poll_id: str, voter_key: str) -> BallotChoice | None:
        """The ballot stored under this key, for showing a voter their own choice."""
        row = (await self._session.execute(
            select(col(BallotRow.choices), col(BallotRow.answer))
            .where(col(BallotRow.poll_id) == poll_id, col(BallotRow.voter_key) == voter_key)
        )).first()
        return None if row is None else BallotChoice(mask=row.choices, text=row.answer)

    async def tally(self, poll: Poll) -> Tally:
        """Aggregate a poll's ballots; individual ballots never leave this method."""
        if poll.kind is PollKind.TEXT:
            if poll.is_open:  # answers are grouped and listed only once the poll has closed
                return Tally(ballots=await self.count(poll.id))
            answers = await self.answers(poll.id)
            if len(answers) < GROUP_IN_A_THREAD_FROM:
                return tally_answers(answers)
            return await asyncio.to_thread(tally_answers, answers)  # a town hall's: ~1 s
        rows = await self._session.execute(
            select(col(BallotRow.choices), func.count()).where(col(BallotRow.poll_id) == poll.id)
            .group_by(col(BallotRow.choices)).order_by(col(BallotRow.choices))
        )
        return tally_choices(len(poll.options), {mask: count for mask, count in rows.all()})

    async def count(self, poll_id: str) -> int:
        """How many ballots a poll has."""
        return int((await self._session.execute(
            select(func.count()).select_from(BallotRow)
            .where(col(BallotRow.poll_id) == poll_id))).scalar_one())

    async def answers(self, poll_id: str) -> list[str]:
        """Every open-text answer of a poll, in text order (nothing says who or when)."""
        rows = await self._session.execute(
            select(col(BallotRow.answer)).where(col(BallotRow.poll_id) == poll_id,
                                                col(BallotRow.answer).is_not(None))
            .order_by(col(BallotRow.answer)))
        return [answer for answer in rows.scalars() if answer is not None]

    async def names_by_option(self, poll: Poll) -> list[list[str]]:
        """For polls created as not anonymous: who chose each option, sorted by name."""
        if poll.anonymous:
            return [[] for _ in poll.options]
        rows = await self._session.execute(
            select(col(BallotRow.voter_name), col(BallotRow.choices))
            .where(col(BallotRow.poll_id) == poll.id).order_by(col(BallotRow.voter_name))
        )
        names: list[list[str]] = [[] for _ in poll.options]
        for name, mask in rows.all():
            for index in BallotChoice(mask=mask).indexes:
                if index < len(names):
                    names[index].append(name or "?")
        return names


class UnitOfWork:
    """One transaction: `async with uow_factory() as uow: ...; await uow.commit()`."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def __aenter__(self) -> UnitOfWork:
        self._after_commit: list[Callable[[], None]] = []
        self.session = self._sessions()
        self.chats = ChatRepository(self.session)
        self.polls = PollRepository(self.session)
        self.ballots = BallotRepository(self.session)
        self.disclosures = DisclosureRepository(self.session)
        self.qna = QnaRepository(self.session)
        self.breakouts = BreakoutRepository(self.session)
        self.meetings = MeetingRepository(self.session)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.session.rollback()
        await self.session.close()

    async def commit(self) -> None:
        await self.session.commit()
        actions, self._after_commit = self._after_commit, []
        for action in actions:
            action()

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run `action` once this transaction has committed (never if it is rolled back)."""
        self._after_commit.append(action)


class Storage:
    """Makes units of work on one engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self._sessions)

    async def close(self) -> None:
        await self.engine.dispose()
