"""Keeps each poll's shared card up to date: coalesced edits that disclose results safely."""

from __future__ import annotations

import logging
from typing import Any

from bot.cards.elements import as_activity
from bot.core.rechecks import Rechecks
from bot.delivery.outbox import Outbox
from bot.delivery.transport import Address
from bot.i18n import language_of
from bot.polls.cards import PollView, render_poll_card
from facilitation.policy import Policy
from facilitation.polls import Poll, Tally
from storage.disclosure_repository import DisclosureState
from storage.repositories import Storage, StoredPoll, UnitOfWork

logger = logging.getLogger(__name__)


class LivePolls:
    """Schedules the edits of each poll's shared card and decides what they disclose.

    Every accepted ballot marks the poll's card for an edit; the outbox coalesces those edits and
    renders the card from the database right before sending. While the poll is open a breakdown
    is replaced only after the policy's minimum of people cast or changed a ballot since the one
    shown (`Policy.live_card`), however long voting has been quiet, so single votes are always
    folded into groups; the exact tally appears when the poll closes or is revealed. What the
    card last showed and who voted since live in the database (storage.disclosure_repository),
    so every bot process sharing it decides alike.
    """

    def __init__(self, storage: Storage, outbox: Outbox, *, policy: Policy) -> None:
        self._storage = storage
        self._outbox = outbox
        self.policy = policy
        self.rechecks = Rechecks()

    def view(self, poll: Poll, tally: Tally, names: list[list[str]] | None = None,
             state: DisclosureState | None = None) -> PollView:
        """What a card of `poll` may show now, given what its shared card disclosed so far."""
        state = state or DisclosureState()
        disclosure = self.policy.live_card(poll, tally, shown=state.shown,
                                           changes_since_shown=state.changes)
        return PollView(poll=poll, disclosure=disclosure, policy=self.policy,
                        names=tuple(tuple(n) for n in (names or [])))

    async def current_view(self, poll_id: str) -> tuple[StoredPoll, PollView] | None:
        """The poll and the view of now, recorded as disclosed in the same transaction (ballots
        counted meanwhile wait for it, so none is missed or counted twice). The shared card and
        every personal copy (a voter's "change vote", a moderator's card) come from here:
        copies asked for between two edits of the shared card would otherwise each show the
        exact tally, and two of them one person's vote."""
        async with self._storage.unit_of_work() as uow:
            state = await uow.disclosures.state(poll_id, lock=True)
            loaded = await _load(uow, poll_id)
            if loaded is None:
                return None
            stored, tally, names = loaded
            view = self.view(stored.poll, tally, names, state)
            shown = view.disclosure.breakdown
            if (shown is not None and view.disclosure.is_current
                    and (shown != state.shown or state.changes)):
                await uow.disclosures.published(poll_id, shown)
            await uow.commit()
        return stored, view

    def ballot_recorded(self, stored: StoredPoll, address: Address) -> None:
        """A ballot was cast or changed (and counted in the database): refresh the card."""
        self.refresh(stored, address)

    def refresh(self, stored: StoredPoll, address: Address) -> None:
        """Schedule an edit of the poll's shared card (coalesced with pending ones)."""
        if stored.card_activity_id is None:
            # The card is still being posted (`posted` refreshes it afterwards), maybe by
            # another process that has just posted it: look again (bot/core/rechecks.py).
            self.rechecks.ask(("poll", stored.poll.id),
                              lambda: self._refresh_if_bound(stored.poll.id, address))
            return
        poll_id = stored.poll.id
        self._outbox.edit(address, ("poll", poll_id), stored.card_activity_id,
                          lambda: self._render_shared(poll_id))

    async def posted(self, poll_id: str, address: Address, activity_id: str) -> None:
        """The shared card got its message id: remember it, then catch up with votes cast
        before (without them the card as posted is current, and an edit would only cost one of
        the chat's few messages per second)."""
        async with self._storage.unit_of_work() as uow:
            await uow.polls.set_card(poll_id, activity_id)
            await uow.commit()
            stored = await uow.polls.get(poll_id)
            early = (await uow.disclosures.state(poll_id)).changes
        if stored is not None and early:
            self.refresh(stored, address)

    async def _refresh_if_bound(self, poll_id: str, address: Address) -> None:
        async with self._storage.unit_of_work() as uow:
            stored = await uow.polls.get(poll_id)
        if stored is not None and stored.card_activity_id is not None:
            self.refresh(stored, address)

    async def adopt(self, poll_id: str, address: Address, activity_id: str) -> None:
        """A click came from the poll's card while its id is unknown (the card's post got no
        answer): take the clicked message as the card, if storage agrees, and catch up."""
        async with self._storage.unit_of_work() as uow:
            adopted = await uow.polls.adopt_card(poll_id, activity_id)
            await uow.commit()
            stored = await uow.polls.get(poll_id)
        if adopted and stored is not None:
            logger.info("delivery: a poll card was adopted from a click on it")
            self.refresh(stored, address)

    def new_card(self, stored: StoredPoll) -> dict[str, Any]:
        """The first shared card of a new poll."""
        view = self.view(stored.poll, Tally(ballots=0, counts=(0,) * len(stored.poll.options)))
        return render_poll_card(view, language=language_of(stored.locale))

    async def _render_shared(self, poll_id: str) -> dict[str, Any] | None:
        """The shared card as it may look now, recorded as disclosed (`current_view`)."""
        current = await self.current_view(poll_id)
        if current is None:
            return None
        stored, view = current
        return as_activity(render_poll_card(view, language=language_of(stored.locale)))

    async def resume(self) -> int:
        """After a start (or a crash), bring every open poll's shared card up to date: votes
        acknowledged just before the stop may not have reached the card yet."""
        async with self._storage.unit_of_work() as uow:
            polls = await uow.polls.open_with_cards()
            chats = {s.conversation_id: await uow.chats.get(s.conversation_id) for s in polls}
        for stored in polls:
            chat = chats.get(stored.conversation_id)
            if chat is not None:
                self.refresh(stored, Address(chat.service_url, chat.conversation_id,
                                             chat.bot_id))
        return len(polls)


async def _load(uow: UnitOfWork, poll_id: str
                ) -> tuple[StoredPoll, Tally, list[list[str]]] | None:
    stored = await uow.polls.get(poll_id)
    if stored is None:
        return None
    return (stored, await uow.ballots.tally(stored.poll),
            await uow.ballots.names_by_option(stored.poll))
