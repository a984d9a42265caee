"""Keeps each poll's shared card up to date: coalesced edits that disclose results safely."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from bot.cards.elements import as_activity
from bot.cards.poll_card import PollView, render_poll_card
from bot.delivery.outbox import Outbox
from bot.delivery.transport import Address
from bot.i18n import language_of
from facilitation.disclosure import disclose
from facilitation.polls import Poll, Tally
from storage.repositories import Storage, StoredPoll


class LivePolls:
    """Owns what each shared poll card last disclosed and schedules its edits.

    Every accepted ballot marks the poll's card for an edit; the outbox coalesces those edits and
    renders the card from the database right before sending, so the last edit always shows the
    exact final tally. A breakdown is replaced only after `min_ballots` ballots were cast or
    changed while votes keep coming (see facilitation.disclosure), so single votes are folded
    into groups; once voting has been quiet for `settle_seconds` the card catches up exactly.
    """

    def __init__(self, storage: Storage, outbox: Outbox, *, min_ballots: int = 3,
                 settle_seconds: float = 2.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._storage = storage
        self._outbox = outbox
        self.min_ballots = min_ballots
        self._settle = settle_seconds
        self._clock = clock
        self._shown: dict[str, Tally] = {}
        self._changes: defaultdict[str, int] = defaultdict(int)
        self._last_ballot: dict[str, float] = {}
        self._catch_ups: dict[str, tuple[asyncio.TimerHandle, StoredPoll, Address]] = {}
        self._closing = False

    def view(self, poll: Poll, tally: Tally, names: list[list[str]] | None = None, *,
             publish: bool = False) -> PollView:
        """What a card of `poll` may show now; `publish` records it as the shared card's state."""
        disclosure = disclose(poll, tally, shown=self._shown.get(poll.id),
                              changes_since_shown=self._changes[poll.id],
                              settled=self._settled(poll.id), min_ballots=self.min_ballots)
        if publish and disclosure.breakdown is not None and disclosure.is_current:
            self._shown[poll.id] = disclosure.breakdown
            self._changes[poll.id] = 0
        return PollView(poll=poll, disclosure=disclosure, min_ballots=self.min_ballots,
                        names=tuple(tuple(n) for n in (names or [])))

    async def current_view(self, poll_id: str) -> tuple[StoredPoll, PollView] | None:
        """The poll and the view its shared card shows now (not recorded as published)."""
        loaded = await self._load(poll_id)
        if loaded is None:
            return None
        stored, tally, names = loaded
        return stored, self.view(stored.poll, tally, names)

    def _settled(self, poll_id: str) -> bool:
        last = self._last_ballot.get(poll_id)
        return self._closing or last is None or self._clock() - last >= self._settle

    def ballot_recorded(self, stored: StoredPoll, address: Address) -> None:
        """A ballot was cast or changed: count it towards the next breakdown, refresh the card,
        and make sure the card catches up once voting has settled."""
        poll_id = stored.poll.id
        self._changes[poll_id] += 1
        self._last_ballot[poll_id] = self._clock()
        self.refresh(stored, address)
        pending = self._catch_ups.pop(poll_id, None)
        if pending is not None:
            pending[0].cancel()
        handle = asyncio.get_running_loop().call_later(
            self._settle * 1.05, self._catch_up, stored, address)
        self._catch_ups[poll_id] = (handle, stored, address)

    def _catch_up(self, stored: StoredPoll, address: Address) -> None:
        self._catch_ups.pop(stored.poll.id, None)
        if self._changes[stored.poll.id]:
            self.refresh(stored, address)

    def refresh(self, stored: StoredPoll, address: Address) -> None:
        """Schedule an edit of the poll's shared card (coalesced with pending ones)."""
        if stored.card_activity_id is None:
            return  # the card is still being posted; `posted` refreshes it afterwards
        poll_id = stored.poll.id
        self._outbox.edit(address, ("poll", poll_id), stored.card_activity_id,
                          lambda: self._render_shared(poll_id))

    async def posted(self, poll_id: str, address: Address, activity_id: str) -> None:
        """The shared card got its message id: remember it, then catch up with early votes."""
        async with self._storage.unit_of_work() as uow:
            await uow.polls.set_card(poll_id, activity_id)
            await uow.commit()
            stored = await uow.polls.get(poll_id)
        if stored is not None:
            self.refresh(stored, address)

    def new_card(self, stored: StoredPoll) -> dict[str, Any]:
        """The first shared card of a new poll."""
        view = self.view(stored.poll, Tally(ballots=0, counts=(0,) * len(stored.poll.options)))
        return render_poll_card(view, language=language_of(stored.locale))

    async def _render_shared(self, poll_id: str) -> dict[str, Any] | None:
        loaded = await self._load(poll_id)
        if loaded is None:
            return None
        stored, tally, names = loaded
        view = self.view(stored.poll, tally, names, publish=True)
        return as_activity(render_poll_card(view, language=language_of(stored.locale)))

    async def _load(self, poll_id: str) -> tuple[StoredPoll, Tally, list[list[str]]] | None:
        async with self._storage.unit_of_work() as uow:
            stored = await uow.polls.get(poll_id)
            if stored is None:
                return None
            tally = await uow.ballots.tally(stored.poll)
            names = await uow.ballots.names_by_option(stored.poll)
        return stored, tally, names

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

    async def settle(self) -> None:
        """Wait until no catch-up edit is pending (tests and shutdown)."""
        while self._catch_ups:
            await asyncio.sleep(self._settle / 4)

    def close(self) -> None:
        """On shutdown: every card's last edit shows its exact tally (the outbox flushes them)."""
        self._closing = True
        for handle, stored, address in self._catch_ups.values():
            handle.cancel()
            self.refresh(stored, address)
        self._catch_ups.clear()
