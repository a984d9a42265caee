"""Casting ballots in groups (see bot/core/group_commit.py): one transaction per group of votes."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.group_commit import GATHER_SECONDS, GroupCommit, Pending
from bot.core.meetings import Meetings
from bot.core.scope import address_of, check_here
from bot.core.turn import Turn
from bot.delivery.transport import Address
from bot.polls.item import place_of
from facilitation.errors import DomainError, UnknownPoll
from facilitation.polls import BallotChoice, ballot_from_input
from storage.repositories import BallotOutcome, BallotWrite, Chat, Storage, StoredPoll


@dataclass(frozen=True)
class VoteRequest:
    """A card click that casts a ballot: the raw card input under the voter's poll key, and the
    key they are counted under towards the next breakdown (not joinable with the ballot)."""

    turn: Turn
    poll_id: str
    voter_key: str
    counting_key: str
    choice: str | None
    text: str | None


@dataclass(frozen=True)
class Counted:
    """A vote stored (or found unchanged) in the poll as it is now; `address` is the poll's
    own chat, where its shared card is."""

    stored: StoredPoll
    choice: BallotChoice
    outcome: BallotOutcome
    address: Address


_Vote = Pending[VoteRequest, Counted]


@dataclass(frozen=True)
class _Accepted:
    pending: _Vote
    stored: StoredPoll
    choice: BallotChoice
    chat: Chat


class BallotBox:
    """Casts votes for the poll handlers."""

    def __init__(self, storage: Storage, meetings: Meetings, *,
                 gather_seconds: float = GATHER_SECONDS) -> None:
        self._storage = storage
        self._meetings = meetings
        self._group: GroupCommit[VoteRequest, Counted] = GroupCommit(
            self._write, gather_seconds=gather_seconds)

    async def cast(self, request: VoteRequest) -> Counted:
        """Store the vote (with the others queued now); raises the DomainError meant for this
        voter (unknown poll, a poll of another chat or tenant, closed poll, invalid choice)."""
        return await self._group.submit(request)

    async def _write(self, group: list[_Vote]) -> None:
        async with self._storage.unit_of_work() as uow:
            # Each poll with its chat, where it lives, in the read the group needs anyway; read
            # again once the accepted votes' disclosure rows are held, as a close holds them
            # first: a close that commits meanwhile is seen, and no ballot lands in a poll just
            # closed. A refused vote writes nothing, not even a lock.
            poll_ids = [p.request.poll_id for p in group]
            polls = await uow.polls.get_many_in_chats(poll_ids)
            accepted = [a for p in group if (a := _accept(p, polls)) is not None]
            if accepted:
                await uow.disclosures.lock(a.stored.poll.id for a in accepted)
                polls = await uow.polls.get_many_in_chats(poll_ids)
                accepted = [a for p in accepted if (a := _accept(p.pending, polls)) is not None]
            outcomes = await uow.ballots.cast_many([
                BallotWrite(a.stored.poll.id, a.pending.request.voter_key, a.choice,
                            None if a.stored.poll.anonymous else a.pending.request.turn
                            .display_name)
                for a in accepted])
            # Everyone who voted counts towards the next breakdown, a vote repeated unchanged
            # too: if only changes counted, when the card moves would tell who changed.
            voters: dict[str, list[str]] = {}
            for a in accepted:
                voters.setdefault(a.stored.poll.id, []).append(a.pending.request.counting_key)
            if voters:
                await uow.disclosures.counted(voters)
            await self._meetings.took_part(uow, *(a.pending.request.turn for a in accepted))
            await uow.commit()
        for a, outcome in zip(accepted, outcomes, strict=True):
            a.pending.resolve(Counted(a.stored, a.choice, outcome, address_of(a.chat)))


def _accept(pending: _Vote, polls: dict[str, tuple[StoredPoll, Chat | None]]
            ) -> _Accepted | None:
    """The vote checked against its poll and the poll's place, or None after answering the
    voter with the error."""
    request = pending.request
    try:
        found = polls.get(request.poll_id)
        if found is None:
            raise UnknownPoll()
        stored, chat_of_poll = found
        chat = check_here(request.turn, place_of(stored), chat_of_poll)
        return _Accepted(pending, stored,
                         ballot_from_input(stored.poll, request.choice, request.text), chat)
    except DomainError as error:
        pending.fail(error)
        return None
