"""Messages that survive: every new message is written to the database before the request that
caused it is answered, sent through the outbox, bound to its item once it arrived, and reported
to the chat when it is finally given up.

The promise is at most once: Bot Framework takes no idempotency key and Teams lets a bot read
no chat history, so a POST that may have arrived (no answer, a gateway error, a kill -9 while it
was on the wire) is never posted again. The chat is told instead that a message may be missing
and what to do. A POST that certainly did not arrive (throttled, not handled, no connection)
is tried again for as long as card edits are.

A kill -9 or a restart loses nothing: the next start (or, with several processes on PostgreSQL,
another process once this one's claim has run out) takes the rows over and finishes them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.delivery.outbox import JournalUnavailable, Outbox
from bot.delivery.throttle import SlidingWindows
from bot.delivery.transport import Address, DeliveryError, TransientDeliveryError
from bot.i18n import known, language_of, t
from storage.outgoing import Outgoing, OutgoingState, OutgoingStore
from storage.repositories import UnitOfWork

logger = logging.getLogger(__name__)

#: Called with the item's id, where the message is and its new id, once it arrived.
Binder = Callable[[str, Address, str], Awaitable[None]]
Clock = Callable[[], datetime]
NewId = Callable[[], str]

# Creating conversations counts against the bot's tenant-wide budget (about 30 requests a
# second); staying at 10 leaves room for everything else the bot sends.
CREATE_WINDOWS = ((1.0, 10), (30.0, 200))
CREATE_PAUSE_CAP = 30.0  # seconds: the longest pause between attempts to open a 1:1 chat
MAX_CHATS = 10_000  # 1:1 chat ids remembered (most recently used)
CLOSE_GRACE = 2.0  # seconds carriers may finish their bookkeeping at a stop
NOT_INSTALLED = frozenset({403, 404})  # Teams refuses a 1:1 chat where the app is not installed
#: A row of this process still queued this long after it was written, and not being carried,
#: is picked up by the claim keeper (see _pick_up_stranded).
STRANDED_AFTER = timedelta(seconds=30)
FINISHED_KEPT = 10_000  # ids of messages carried lately, so a stale read never sends one again
REMOVE_PAUSES = (0.5, 2.0, 8.0)  # seconds between attempts to cross off a delivered message


class Opener(Protocol):
    async def create_conversation(self, service_url: str, bot_id: str, tenant_id: str,
                                  member_id: str) -> str: ...


@dataclass
class SendStats:
    delivered: int = 0
    uncertain: int = 0  # may have arrived; reported, not posted again
    given_up: int = 0  # certainly not delivered; reported
    not_installed: int = 0  # private messages Teams refused: no app for that person
    taken_over: int = 0  # rows of an earlier run or another process, finished here


class DurableSends:
    """The one way a new message leaves the bot (card edits go to the outbox directly: their
    content is the item's current state, rendered again after a restart)."""

    def __init__(self, store: OutgoingStore, outbox: Outbox, opener: Opener, *,
                 clock: Clock, new_id: NewId, shared: bool,
                 give_up_after: timedelta = timedelta(minutes=5),
                 stranded_after: timedelta = STRANDED_AFTER) -> None:
        self._store = store
        self._outbox = outbox
        self._opener = opener
        self._clock = clock
        self._new_id = new_id
        self._shared = shared  # other processes use the same database (PostgreSQL)
        # As long as a message that certainly did not arrive is tried (RESONANZ_RETRY_FOR); one
        # found older than this after a restart is reported, not posted late.
        self._give_up_after = give_up_after
        self._binders: dict[str, Binder] = {}
        self._carriers: set[asyncio.Task[None]] = set()
        self._carried: set[str] = set()  # ids of the messages being carried
        self._finished: OrderedDict[str, None] = OrderedDict()  # ids carried lately (bounded)
        self._stranded_after = stranded_after
        self._unwritten: set[str] = set()  # ids of messages the database refused to keep
        self._chats: OrderedDict[tuple[str, str], str] = OrderedDict()  # most recent last
        self._creates = SlidingWindows(CREATE_WINDOWS)
        self._keeper: asyncio.Task[None] | None = None
        self.stats = SendStats()

    # ----------------------------------------------------------------- public
    def bind(self, kind: str, binder: Binder) -> None:
        """Who learns the id of messages bound to items of `kind` (one binder per kind)."""
        if kind in self._binders:
            raise ValueError(f"messages of kind {kind!r} are bound twice")
        self._binders[kind] = binder

    def message(self, address: Address, activity: dict[str, Any], *,
                binding: tuple[str, str] | None = None,
                notice_locale: str | None = None) -> Outgoing:
        """A message into the chat at `address`; a failure is reported there in the language
        `notice_locale` (none: only logged)."""
        return Outgoing(id=self._new_id(), service_url=address.service_url, activity=activity,
                        conversation_id=address.conversation_id, bot_id=address.bot_id,
                        binding=binding,
                        notice_conversation=address.conversation_id if notice_locale else None,
                        notice_locale=notice_locale)

    def private(self, service_url: str, bot_id: str, tenant_id: str, member_id: str,
                activity: dict[str, Any]) -> Outgoing:
        """A message into the bot's 1:1 chat with one person (opened when it is sent)."""
        return Outgoing(id=self._new_id(), service_url=service_url, activity=activity,
                        bot_id=bot_id, tenant_id=tenant_id, member_id=member_id)

    async def promise(self, messages: Sequence[Outgoing]) -> None:
        """Write `messages` (one transaction), then send them; they are kept until they arrive
        or are reported. When the database refuses the write (locked, full, read-only) they are
        sent all the same, kept in memory only: the answer "try again later" must reach people
        most of all when the database is in trouble."""
        messages = list(messages)
        await self._write(messages)
        self._carry_all(messages)

    async def promise_in(self, uow: UnitOfWork, messages: Sequence[Outgoing]) -> None:
        """Write `messages` in the transaction of `uow`, and send them once it commits (never
        if it is rolled back). For messages caused by a change no person waits for (a timer
        firing, a round ended): a crash after the change cannot lose them, and they are never
        sent for a change that was not kept. A database that refuses the write fails the change
        with them."""
        messages = list(messages)
        if not messages:
            return
        await self._store.add_in(uow.session, messages, now=self._clock())
        uow.after_commit(lambda: self._carry_all(messages))

    async def start(self) -> None:
        """Finish what an earlier run left (the only process on the database: all of it), then
        keep this process's claim and, with other processes, take over those that died."""
        await self._take_over(everything=not self._shared)
        self._keeper = asyncio.get_running_loop().create_task(self._keep(), name="outgoing")

    @property
    def idle(self) -> bool:
        return not self._carriers

    async def drain(self) -> None:
        """Wait until every message promised so far arrived or was reported."""
        while self._carriers:
            await asyncio.gather(*list(self._carriers), return_exceptions=True)

    async def close(self) -> None:
        """After the outbox closed: stop, and leave what is not done for the next process."""
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keeper
        if self._carriers:  # let those whose message just arrived cross it off
            await asyncio.wait(list(self._carriers), timeout=CLOSE_GRACE)
        for carrier in list(self._carriers):
            carrier.cancel()
        await asyncio.gather(*list(self._carriers), return_exceptions=True)
        try:
            await self._store.release(now=self._clock())
        except Exception:  # the claim then runs out by itself
            logger.warning("delivery: the outgoing messages could not be released",
                           exc_info=True)

    # ----------------------------------------------------------------- the table
    async def _write(self, messages: list[Outgoing]) -> None:
        if not messages:
            return
        try:
            await self._store.add(messages, now=self._clock())
        except Exception:
            logger.warning("delivery: %d messages could not be written down; sending them "
                           "without a restart's guarantee", len(messages), exc_info=True)
            self._unwritten.update(message.id for message in messages)

    async def _mark(self, message_id: str, state: OutgoingState, **values: str) -> bool:
        if message_id in self._unwritten:
            return True
        return await self._store.mark(message_id, state, **values)

    async def _remove(self, message_id: str) -> None:
        """Forget a finished message; a database busy for a moment is waited out, as a row
        left behind would be reported after a restart as possibly missing."""
        if message_id in self._unwritten:
            # Not written, as far as we know; a write that took effect though it reported a
            # failure left a row all the same, which must not be sent again.
            self._unwritten.discard(message_id)
            with contextlib.suppress(Exception):
                await self._store.remove(message_id)
            return
        for pause in REMOVE_PAUSES:
            try:
                await self._store.remove(message_id)
                return
            except Exception:
                logger.warning("delivery: a delivered message could not be crossed off yet",
                               exc_info=True)
                await asyncio.sleep(pause)
        await self._store.remove(message_id)

    async def _replace(self, message: Outgoing, notice: Outgoing) -> bool:
        """Cross the lost `message` off and write its `notice`, in one transaction; False if
        another process has taken the message over (it reports it). A database busy for a
        moment is waited out; one that still refuses then gets the notice sent all the same,
        kept in memory only (the lost message's row stays: a restart reports it again, being
        too old by then to be posted)."""
        if message.id in self._unwritten:
            self._unwritten.discard(message.id)
            with contextlib.suppress(Exception):  # a row left by a write that did take effect
                await self._store.remove(message.id)
            await self._write([notice])
            return True
        for pause in (*REMOVE_PAUSES, None):
            try:
                return await self._store.replace(message.id, notice, now=self._clock())
            except Exception:
                logger.warning("delivery: a lost message could not be replaced by its notice "
                               "yet", exc_info=True)
                if pause is not None:
                    await asyncio.sleep(pause)
        self._unwritten.add(notice.id)
        return True

    def _journal(self, message_id: str) -> _Journal | None:
        return None if message_id in self._unwritten else _Journal(self._store, message_id)

    # ----------------------------------------------------------------- carrying
    def _carry_all(self, messages: list[Outgoing]) -> None:
        for message in messages:
            self._carry(message)

    def _carry(self, message: Outgoing) -> None:
        if message.id in self._carried or message.id in self._finished:
            return  # carried already (a stranded row found just as its own carrier started)
        task = asyncio.get_running_loop().create_task(self._deliver(message),
                                                      name="outgoing-message")
        self._carriers.add(task)
        self._carried.add(message.id)
        task.add_done_callback(lambda done: self._carried_off(done, message.id))

    def _carried_off(self, task: asyncio.Task[None], message_id: str) -> None:
        self._carriers.discard(task)
        self._carried.discard(message_id)
        self._finished[message_id] = None
        while len(self._finished) > FINISHED_KEPT:
            self._finished.popitem(last=False)

    async def _deliver(self, message: Outgoing) -> None:
        try:
            if message.state is OutgoingState.SENDING:
                await self._lost(message, uncertain=True)  # a POST was on the wire at a crash
                return
            if message.state is OutgoingState.SENT and message.activity_id:
                await self._arrived(message, message.activity_id)
                return
            if self._too_old(message):
                await self._lost(message, uncertain=False)  # not posted hours late
                return
            if message.member_id and not message.conversation_id:
                opened = await self._open_chat(message)
                if opened is None:
                    return
                message = opened
            if self._outbox.closed:
                return  # shutting down: the row stays for the next process
            address = Address(message.service_url, message.conversation_id, message.bot_id)
            sent = self._outbox.send(address, message.activity,
                                     journal=self._journal(message.id))
            try:
                activity_id = await sent
            except DeliveryError as error:
                await self._lost(message, uncertain=error.uncertain)
                return
            await self._arrived(message, activity_id)
        except asyncio.CancelledError:
            return  # shutdown: the row stays for the next process
        except Exception:
            # A fault of ours: whether it left the bot is unknown, so it is not posted again.
            logger.exception("delivery: an outgoing message failed unexpectedly")
            with contextlib.suppress(Exception):
                await self._lost(message, uncertain=True)

    def _too_old(self, message: Outgoing) -> bool:
        return (message.queued_at is not None
                and self._clock() - message.queued_at > self._give_up_after)

    async def _arrived(self, message: Outgoing, activity_id: str | None) -> None:
        self.stats.delivered += 1
        binder = self._binders.get(message.binding[0]) if message.binding else None
        if binder is not None and message.binding is not None and activity_id:
            # Noted first: a crash before the item learnt the id binds it at the next start.
            try:
                await self._mark(message.id, OutgoingState.SENT, activity_id=activity_id)
            except Exception:
                logger.warning("delivery: an arrived message could not be noted", exc_info=True)
            address = Address(message.service_url, message.conversation_id, message.bot_id)
            try:
                await binder(message.binding[1], address, activity_id)
            except Exception:
                logger.exception("delivery: a message arrived but its item could not keep its id")
        try:
            await self._remove(message.id)
        except Exception:  # it arrived: never reported as lost for a database that refused
            logger.error("delivery: a delivered message could not be crossed off (the database "
                         "refused for %.0f s); a restart may report it as possibly missing",
                         sum(REMOVE_PAUSES), exc_info=True)

    async def _lost(self, message: Outgoing, *, uncertain: bool) -> None:
        if uncertain:
            self.stats.uncertain += 1
        else:
            self.stats.given_up += 1
        logger.warning("delivery: a message %s", "may not have arrived; it is not posted again"
                       if uncertain else "was given up")
        notice = self._notice(message, uncertain=uncertain)
        if notice is None:
            await self._remove(message.id)
        elif await self._replace(message, notice):
            self._carry(notice)

    def _notice(self, message: Outgoing, *, uncertain: bool) -> Outgoing | None:
        """The chat's notice that a message may be missing (none for a notice itself)."""
        if not message.notice_conversation or not message.notice_locale:
            return None
        language = language_of(message.notice_locale)
        # What was lost, named by its kind where the catalogues name it ("a poll card").
        what_key = f"delivery.what.{message.binding[0]}" if message.binding else ""
        what = t(what_key if known(what_key) else "delivery.what.message", language)
        key = "delivery.maybe_missing" if uncertain else "delivery.not_delivered"
        return Outgoing(id=self._new_id(), service_url=message.service_url,
                        conversation_id=message.notice_conversation, bot_id=message.bot_id,
                        activity={"type": "message", "text": t(key, language, what=what)})

    async def _open_chat(self, message: Outgoing) -> Outgoing | None:
        """The message with its 1:1 chat opened (once per person); None when Teams refused or
        the chat could not be opened (reported like any lost message)."""
        assert message.member_id is not None
        key = (message.service_url, message.member_id)
        try:
            conversation_id = self._chats.get(key) or await self._create(message)
            self._chats[key] = conversation_id
            self._chats.move_to_end(key)
            while len(self._chats) > MAX_CHATS:
                self._chats.popitem(last=False)
        except DeliveryError as error:
            if error.status in NOT_INSTALLED:
                self.stats.not_installed += 1
                await self._remove(message.id)
            else:
                await self._lost(message, uncertain=False)
            return None
        if not await self._mark(message.id, OutgoingState.QUEUED,
                                conversation_id=conversation_id):
            return None  # another process has taken it over
        return replace(message, conversation_id=conversation_id, member_id=None)

    async def _create(self, message: Outgoing) -> str:
        """Open the 1:1 chat, within the tenant's budget for it; tried again on any transient
        failure (opening a chat that exists gives the same chat) for as long as a message is."""
        assert message.member_id is not None
        loop = asyncio.get_running_loop()
        started, attempt = loop.time(), 0
        while True:
            while (wait := self._creates.delay(loop.time())) > 0:
                await asyncio.sleep(wait)
            self._creates.record(loop.time())
            try:
                return await self._opener.create_conversation(
                    message.service_url, message.bot_id, message.tenant_id, message.member_id)
            except TransientDeliveryError as error:
                if loop.time() - started >= self._give_up_after.total_seconds():
                    raise
                pause = min(CREATE_PAUSE_CAP, 0.5 * 2 ** min(attempt, 16))
                await asyncio.sleep(error.retry_after or pause)
                attempt += 1

    # ----------------------------------------------------------------- claims
    async def _take_over(self, *, everything: bool = False) -> None:
        taken = await self._store.take_over(now=self._clock(), everything=everything)
        if taken:
            logger.info("delivery: %d outgoing messages taken over", len(taken))
        self.stats.taken_over += len(taken)
        for message in taken:
            self._finished.pop(message.id, None)  # carried here before, lost, now ours again
            self._carry(message)

    async def _pick_up_stranded(self) -> None:
        """Carry this process's rows that nothing carries: written in a transaction whose commit
        took effect although it reported a failure (a connection lost during COMMIT), so its
        after-commit step never started them."""
        waiting = await self._store.own_queued_ids(
            queued_before=self._clock() - self._stranded_after)
        stranded = await self._store.load([message_id for message_id in waiting
                                           if message_id not in self._carried
                                           and message_id not in self._finished])
        if stranded:
            logger.warning("delivery: %d outgoing messages found that nothing was sending; "
                           "sending them now", len(stranded))
        self._carry_all(stranded)

    async def _keep(self) -> None:
        """Renew this process's claim a few times per claim period; with other processes, take
        over the messages of any that stopped renewing theirs."""
        every = self._store.claim_for.total_seconds() / 3
        while True:
            await asyncio.sleep(every)
            try:
                await self._store.renew(now=self._clock())
                if self._shared:
                    await self._take_over()
                await self._pick_up_stranded()
            except Exception:
                logger.warning("delivery: the outgoing messages' claim could not be renewed",
                               exc_info=True)


class _Journal:
    """Writes a send's attempts down, so that a restart never posts twice what may have arrived."""

    def __init__(self, store: OutgoingStore, message_id: str) -> None:
        self._store = store
        self._id = message_id

    async def sending(self) -> bool:
        try:
            return await self._store.mark(self._id, OutgoingState.SENDING)
        except Exception as error:  # not written down: not posted yet, tried again
            logger.warning("delivery: a send could not be noted; it waits", exc_info=True)
            raise JournalUnavailable() from error

    async def not_sent(self) -> None:
        try:
            await self._store.mark(self._id, OutgoingState.QUEUED)
        except Exception:  # left as "sending": at worst reported as possibly missing
            logger.warning("delivery: a failed send could not be noted", exc_info=True)
