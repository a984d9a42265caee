"""The one way the bot sends to Teams: per-conversation lanes, throttling, coalescing, retries,
and card edits coordinated with other bot processes that share the database."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from bot.delivery.throttle import DEFAULT_WINDOWS, SlidingWindows
from bot.delivery.transport import Address, DeliveryError, TransientDeliveryError, Transport
from storage.card_leases import CardLeases, Lease, LocalCardLeases, Wait
from storage.database import DatabaseBusy

logger = logging.getLogger(__name__)

Activity = dict[str, Any]
Render = Callable[[], Awaitable[Activity | None]]
# Across processes, an edit asked for this much (seconds) before the one a card shows is not
# sent: a card rendered when it was asked for (a breakout card) must not go back to an older
# state. The slack covers clocks of different hosts; renders that read the database when sent
# (polls, boards) are current either way.
ORDER_SLACK = 0.25
FLUSH_WAITS = 5  # at shutdown, how often an edit waits for another process's lease at most
_T = TypeVar("_T")


@dataclass
class OutboxStats:
    """Counters for tests and benchmarks; `posts` and `puts` count requests, retries included."""

    posts: int = 0
    puts: int = 0
    retries: int = 0
    failures: int = 0  # jobs given up: sends failed, edits dropped
    postponed: int = 0  # edits that ran out of attempts on transient errors and were queued again
    coalesced: int = 0  # edit() calls folded into an edit that was already queued
    skipped: int = 0  # edits not sent: nothing rendered, or what the message already shows
    lease_waits: int = 0  # edits put back because another process had the card


JOURNAL_WAIT = 1.0  # seconds before a send whose attempt could not be noted is tried again


class JournalUnavailable(TransientDeliveryError):
    """A send's attempt could not be noted (the database is busy): it was not posted."""

    def __init__(self) -> None:
        super().__init__(None, detail="journal")


class SendJournal(Protocol):
    """Where a send's progress is written down (bot/delivery/durable.py), so that a restart
    knows whether it may still be posted."""

    async def sending(self) -> bool:
        """Just before a POST: note that it may arrive from now on; False if the message is no
        longer this process's to send (then it is not posted). Raises JournalUnavailable when
        it cannot be noted (then it is tried again later)."""
        ...

    async def not_sent(self) -> None:
        """The POST certainly did not arrive; it will be tried again."""
        ...


@dataclass
class _Send:
    address: Address
    activity: Activity
    future: asyncio.Future[str | None]
    ready_at: float
    journal: SendJournal | None = None
    failing_since: float | None = None  # when its first attempt failed


@dataclass
class _Edit:
    key: Hashable
    address: Address
    activity_id: str
    render: Render
    since: float
    failing_since: float | None = None  # when its first round of attempts ran out
    not_before: float = float("-inf")  # another process has the card until about then
    waits: int = 0
    requested: float = 0.0  # wall-clock time of the latest edit() call (ordering across hosts)


@dataclass
class _Card:
    """The previous PUT for one edit key: when it started and a digest of (message id, what
    the message now shows)."""

    last_start: float = float("-inf")
    shown: str | None = None


@dataclass
class _Attempt:
    """What happened under one lease: whether a PUT went out, and what it showed if it worked."""

    sent: bool = False
    shown: str | None = None


@dataclass
class _Lane:
    """One conversation: its rate windows, its queues and the worker serving them."""

    windows: SlidingWindows
    sends: deque[_Send] = field(default_factory=deque)
    edits: dict[Hashable, _Edit] = field(default_factory=dict)  # queued; at most one per key
    cards: dict[Hashable, _Card] = field(default_factory=dict)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    worker: asyncio.Task[None] | None = None
    # The send on the wire, if any: one at a time keeps a chat's messages in order, and the
    # worker goes on with the chat's edits meanwhile (a hung POST does not hold them back).
    in_flight: asyncio.Task[None] | None = None
    last_used: float = 0.0
    paused_until: float = float("-inf")  # backoff after a transient failure, for every job
    failures: int = 0  # transient failures in a row, whichever jobs they hit

    def has_work(self) -> bool:
        return bool(self.sends or self.edits or self.in_flight)


class Outbox:
    """Queues sends and card edits per conversation and delivers them within Teams' limits.

    Call it from the event loop that should do the sending; it starts no threads.

    Card edits go out under a lease from `leases` (storage/card_leases.py): with several
    processes on one PostgreSQL database, one process at a time edits a card, at most once per
    `edit_interval` across all of them, and an edit that finds the card busy is put back until
    the holder is done (it renders the then current state when its turn comes, or is skipped if
    the card already shows it or an edit asked for later). The default does not coordinate
    (one process).
    """

    def __init__(
        self,
        transport: Transport,
        *,
        edit_interval: float = 2.0,
        windows: Sequence[tuple[float, int]] = DEFAULT_WINDOWS,
        max_attempts: int = 5,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        edit_retry_for: float = 300.0,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
        leases: CardLeases | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        SlidingWindows(windows)  # fail here, not in the first send, on bad windows
        self._transport = transport
        self._edit_interval = edit_interval
        self._windows = tuple(windows)
        self._horizon = max(seconds for seconds, _ in self._windows)
        self._max_attempts = max_attempts
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._edit_retry_for = edit_retry_for
        self._rng = rng if rng is not None else random.Random()
        self._clock = clock
        self._leases: CardLeases = leases if leases is not None else LocalCardLeases()
        self._lanes: dict[str, _Lane] = {}
        self._last_sweep = clock()
        self._flushing = False
        self._closed = False
        self.stats = OutboxStats()

    # ----------------------------------------------------------------- public
    def send(self, address: Address, activity: Activity, *,
             journal: SendJournal | None = None) -> asyncio.Future[str | None]:
        """Queue a new message; the future gives its id, or the DeliveryError it failed with.

        A send is posted at most once in a way that may arrive: after a failure that leaves it
        open (`DeliveryError.uncertain`) it fails at once instead of being posted again. After a
        failure that certainly did not arrive (throttled, not handled, no connection) it is
        tried again, as long as edits are (`edit_retry_for`), with the chat's other jobs going
        out in between. `journal` hears of each attempt (bot/delivery/durable.py)."""
        self._check_open()
        future: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        # Failures are logged here already; an unawaited failed future must not warn again.
        future.add_done_callback(_mark_retrieved)
        lane = self._lane(address.conversation_id)
        lane.sends.append(_Send(address, activity, future, self._clock(), journal))
        self._kick(lane)
        return future

    def edit(self, address: Address, key: Hashable, activity_id: str, render: Render) -> None:
        """Queue an edit; edits of one `key` coalesce, and `render` runs just before the PUT."""
        self._check_open()
        lane = self._lane(address.conversation_id)
        queued = lane.edits.get(key)
        if queued is None:
            lane.edits[key] = _Edit(key, address, activity_id, render, self._clock(),
                                    requested=time.time())
        else:
            queued.address, queued.activity_id, queued.render = address, activity_id, render
            queued.requested = time.time()
            self.stats.coalesced += 1
        self._kick(lane)

    async def drain(self) -> None:
        """Wait until every queued send and edit, including edits not yet due, is done."""
        while workers := [lane.worker for lane in self._lanes.values() if lane.worker]:
            # asyncio.wait, not gather: cancelling drain() must not cancel the workers.
            await asyncio.wait(workers)

    async def close(self, timeout: float | None = None) -> None:
        """Flush: queued edits become due at once (still within the windows), then wait for all,
        at most `timeout` seconds; what is left then is abandoned (a send's future is
        cancelled: a durable send stays in the database for the next start).

        The transport belongs to the caller and stays open; close it after this.
        """
        self._flushing = True
        for lane in self._lanes.values():
            lane.wake.set()  # workers sleeping until an edit is due re-check now
        try:
            async with asyncio.timeout(timeout):
                await self.drain()
        except TimeoutError:
            left = sum(len(lane.sends) + len(lane.edits) + (lane.worker is not None)
                       for lane in self._lanes.values())
            logger.warning("delivery: stopped after %.0f s with about %d jobs left", timeout,
                           left)
        finally:
            self._closed = True
            self._abandon()  # only finds work if the flush ran out of time or was cancelled

    @property
    def closed(self) -> bool:
        return self._closed

    # ----------------------------------------------------------------- lanes
    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the outbox is closed")

    def _lane(self, conversation_id: str) -> _Lane:
        lane = self._lanes.get(conversation_id)
        if lane is None:
            self._sweep()
            lane = self._lanes[conversation_id] = _Lane(SlidingWindows(self._windows))
        return lane

    def _sweep(self) -> None:
        """Forget lanes idle for longer than the longest window: their history throttles nothing."""
        now = self._clock()
        if now - self._last_sweep < self._horizon:
            return  # sweeping at most once per horizon keeps lane creation O(1) amortised
        self._last_sweep = now
        for conversation_id, lane in list(self._lanes.items()):
            if lane.worker is None and lane.last_used + self._horizon <= now:
                del self._lanes[conversation_id]

    def _kick(self, lane: _Lane) -> None:
        if lane.worker is None:
            # The task name carries no conversation id: names show up in logs and debuggers.
            loop = asyncio.get_running_loop()
            lane.worker = loop.create_task(self._run(lane), name="outbox-lane")
        else:
            lane.wake.set()

    def _abandon(self) -> None:
        for lane in self._lanes.values():
            for task in (lane.worker, lane.in_flight):
                if task is not None:
                    task.cancel()
            for job in lane.sends:
                job.future.cancel()
            lane.sends.clear()
            lane.edits.clear()

    # ----------------------------------------------------------------- worker
    async def _run(self, lane: _Lane) -> None:
        try:
            while lane.has_work():
                # Choose the job only once the window is open, so it is the best one by then.
                await self._open_window(lane)
                lane.wake.clear()
                if not lane.has_work():
                    break  # the send on the wire ended while the window was closed
                job = self._pop_ready(lane)
                if job is None:
                    await self._sleep_until_due(lane)
                elif isinstance(job, _Send):
                    lane.in_flight = asyncio.get_running_loop().create_task(
                        self._send_in_flight(lane, job), name="outbox-send")
                else:
                    await self._deliver_edit(lane, job)
        finally:
            lane.worker = None
            lane.last_used = self._clock()

    async def _send_in_flight(self, lane: _Lane, job: _Send) -> None:
        try:
            await self._deliver_send(lane, job)
        finally:
            lane.in_flight = None
            lane.wake.set()  # the worker may take the next send, or end

    async def _open_window(self, lane: _Lane) -> None:
        while (wait := self._lane_delay(lane)) > 0:
            await asyncio.sleep(wait)

    def _lane_delay(self, lane: _Lane) -> float:
        now = self._clock()
        return max(lane.windows.delay(now), lane.paused_until - now)

    def _due(self, lane: _Lane, edit: _Edit) -> float:
        card = lane.cards.get(edit.key)
        # Another process's hold (not_before) counts even while flushing: it is editing now.
        if self._flushing or card is None:
            return max(edit.since, edit.not_before)
        return max(edit.since, edit.not_before, card.last_start + self._edit_interval)

    def _pop_ready(self, lane: _Lane) -> _Send | _Edit | None:
        """The job that has been ready longest: sends when queued (or when their pause after a
        failure ends; they keep their order), edits when due."""
        now = self._clock()
        head = lane.sends[0] if lane.sends and lane.in_flight is None else None
        best: _Send | _Edit | None = head if head is not None and head.ready_at <= now else None
        best_at = best.ready_at if isinstance(best, _Send) else float("inf")
        for edit in lane.edits.values():
            due = self._due(lane, edit)
            if due <= now and due < best_at:
                best, best_at = edit, due
        if isinstance(best, _Send):
            lane.sends.popleft()
        elif best is not None:
            del lane.edits[best.key]
        return best

    async def _sleep_until_due(self, lane: _Lane) -> None:
        dues = [self._due(lane, edit) for edit in lane.edits.values()]
        if lane.sends and lane.in_flight is None:
            dues.append(lane.sends[0].ready_at)
        if not dues and lane.in_flight is None:
            return  # nothing left to wait for
        # Nothing due: only a send on the wire is left; its end wakes the worker.
        wait = min(dues) - self._clock() if dues else None
        try:
            async with asyncio.timeout(None if wait is None else max(0.0, wait)):
                await lane.wake.wait()  # new work or close() ends the sleep early
        except TimeoutError:
            pass

    # ----------------------------------------------------------------- jobs
    async def _deliver_send(self, lane: _Lane, job: _Send) -> None:
        if job.future.done():
            return  # the caller cancelled it while it was queued
        try:
            if job.journal is not None and not await job.journal.sending():
                job.future.cancel()  # another process sends it now
                return
            message_id = await self._post(lane, job)
        except asyncio.CancelledError:
            job.future.cancel()
            raise
        except JournalUnavailable:
            # Not posted: the database could not note it. Not the chat's fault: no pause.
            await self._not_sent(lane, job, wait=JOURNAL_WAIT)
        except TransientDeliveryError as error:
            wait = self._pause(lane, error)
            if error.uncertain or not await self._not_sent(lane, job, wait=wait):
                self._give_up("send", error)
                _settle(job.future, error=error)
        except DeliveryError as error:
            self._give_up("send", error)
            _settle(job.future, error=error)
        except Exception as error:
            self.stats.failures += 1
            logger.exception("delivery: send failed unexpectedly")
            _settle(job.future, error=error)
        else:
            lane.failures = 0
            _settle(job.future, result=message_id)

    async def _not_sent(self, lane: _Lane, job: _Send, *, wait: float) -> bool:
        """A send that certainly did not arrive: noted as such, then put back at the head of
        its chat's sends (they keep their order), due after `wait`; edits may go out
        meanwhile. While flushing it is left for the next start (its future is cancelled).
        False once it has failed for `edit_retry_for` seconds: then it is given up."""
        now = self._clock()
        job.failing_since = now if job.failing_since is None else job.failing_since
        if not self._flushing and now - job.failing_since >= self._edit_retry_for:
            return False
        if job.journal is not None:
            await job.journal.not_sent()
        if self._flushing:
            job.future.cancel()
            return True
        self.stats.retries += 1
        job.ready_at = now + wait
        lane.sends.appendleft(job)
        return True

    async def _deliver_edit(self, lane: _Lane, job: _Edit) -> None:
        card = _card_id(job.address.conversation_id, job.key)
        try:
            taken = await self._leases.take(card, self._edit_interval)
        except Exception:
            logger.warning("delivery: the card lease could not be asked for", exc_info=True)
            taken = Wait(max(self._edit_interval, self._backoff_base))
        if isinstance(taken, Wait):
            self._put_back(lane, job, taken.seconds)
            return
        attempt = _Attempt()
        try:
            if taken.requested is not None and taken.requested > job.requested + ORDER_SLACK:
                self.stats.skipped += 1  # the card shows an edit asked for after this one
                return
            async with self._leases.keep(taken):
                await self._with_retries(lane, lambda: self._put(lane, job, taken, attempt))
        except (TransientDeliveryError, DatabaseBusy) as error:
            # DatabaseBusy: rendering met a database another process kept locked; the card's
            # state still has to reach Teams, so that is a transient failure too.
            self._postpone(lane, job, error)
        except DeliveryError as error:
            self._give_up("edit", error)
        except Exception:
            self.stats.failures += 1
            logger.exception("delivery: edit dropped, rendering or sending failed unexpectedly")
        finally:
            try:
                await self._leases.give_back(taken, edited=attempt.sent, shown=attempt.shown,
                                             requested=job.requested)
            except Exception:  # the lease then expires by itself
                logger.warning("delivery: the card lease could not be given back", exc_info=True)

    def _put_back(self, lane: _Lane, job: _Edit, wait: float) -> None:
        """Another process has the card (or edited it just now): try again after `wait`. An edit
        of the key queued meanwhile is newer; it takes the place of this one."""
        self.stats.lease_waits += 1
        job.waits += 1
        if self._flushing and job.waits > FLUSH_WAITS:
            self.stats.failures += 1
            logger.warning("delivery: edit left to the process that holds the card (shutdown)")
            return
        job.not_before = self._clock() + wait
        self._requeue(lane, job)

    @staticmethod
    def _requeue(lane: _Lane, job: _Edit) -> None:
        """Queue `job` again. An edit of the key queued meanwhile is newer and takes its place,
        keeping what `job` had waited for: its age, its pause, its lease waits and failures."""
        newer = lane.edits.get(job.key)
        if newer is None:
            lane.edits[job.key] = job
            return
        newer.since = min(newer.since, job.since)
        newer.not_before = max(newer.not_before, job.not_before)
        newer.waits = max(newer.waits, job.waits)
        failing = [t for t in (newer.failing_since, job.failing_since) if t is not None]
        newer.failing_since = min(failing) if failing else None

    async def _with_retries(self, lane: _Lane, attempt: Callable[[], Awaitable[_T]]) -> _T:
        """Up to `max_attempts` attempts. After a transient failure the whole conversation
        pauses (Retry-After, else jittered backoff growing with the lane's failures in a row),
        so the next job of the lane respects it too and many queued edits cannot turn a
        throttled conversation into a retry storm; other conversations are not held back."""
        failed = 0
        while True:
            await self._open_window(lane)
            try:
                result = await attempt()
            except TransientDeliveryError as error:
                failed += 1
                wait = self._pause(lane, error)
                if failed >= self._max_attempts:
                    raise
                self.stats.retries += 1
                logger.debug("delivery: status %s, retrying in %.2f s", error.status, wait)
            else:
                lane.failures = 0
                return result

    def _pause(self, lane: _Lane, error: TransientDeliveryError) -> float:
        """After a transient failure the whole conversation pauses: Retry-After, else jittered
        backoff growing with the lane's failures in a row."""
        wait = self._backoff(error, lane.failures)
        lane.failures += 1
        lane.paused_until = self._clock() + wait
        return wait

    def _backoff(self, error: TransientDeliveryError, attempt: int) -> float:
        if error.retry_after is not None:
            return error.retry_after
        ceiling = min(self._backoff_cap, self._backoff_base * 2 ** min(attempt, 32))
        return self._rng.uniform(0, ceiling)  # full jitter spreads retries of many lanes apart

    async def _post(self, lane: _Lane, job: _Send) -> str | None:
        self.stats.posts += 1
        try:
            return await self._transport.post(job.address, job.activity)
        finally:
            self._record(lane)

    async def _put(self, lane: _Lane, job: _Edit, lease: Lease, attempt: _Attempt) -> None:
        # Rendered on every attempt, so a retry carries the latest state.
        activity = await job.render()
        card = lane.cards.setdefault(job.key, _Card())
        digest = None if activity is None else _digest(job.activity_id, activity)
        # With other processes, what the message shows is what the lease row says, not what
        # this process last sent.
        shown = lease.shown if lease.shared else card.shown
        if activity is None or digest == shown:
            self.stats.skipped += 1
            return
        card.last_start = self._clock()
        self.stats.puts += 1
        attempt.sent = True
        try:
            await self._transport.put(job.address, job.activity_id, activity)
        finally:
            self._record(lane)
        card.shown = attempt.shown = digest

    def _record(self, lane: _Lane) -> None:
        # Counted when the answer is back, not when the request left: Teams counts on arrival, and
        # this way the next request cannot arrive inside a window the connector still counts.
        lane.last_used = self._clock()
        lane.windows.record(lane.last_used)

    def _postpone(self, lane: _Lane, job: _Edit,
                  error: TransientDeliveryError | DatabaseBusy) -> None:
        """An edit that ran out of attempts on transient errors is queued again, so the card's
        latest state reaches Teams once the connector (or the database) recovers; it waits for
        the lane's pause like everything else there. Given up instead while flushing (shutdown
        must end) or once its rounds have failed for `edit_retry_for` seconds."""
        now = self._clock()
        since = now if job.failing_since is None else job.failing_since
        reason = f"status {error.status}" if isinstance(error, DeliveryError) else "database busy"
        if self._flushing or now - since >= self._edit_retry_for:
            self.stats.failures += 1
            logger.warning("delivery: edit given up, %s", reason)
            return
        self.stats.postponed += 1
        logger.warning("delivery: edit postponed, %s", reason)
        job.failing_since = since
        self._requeue(lane, job)

    def _give_up(self, what: str, error: DeliveryError) -> None:
        self.stats.failures += 1
        logger.warning("delivery: %s given up, status %s", what, error.status)


def _card_id(conversation_id: str, key: Hashable) -> str:
    """The lease name of a card: the same in every process, and no chat id in the clear."""
    return hashlib.sha256(f"{conversation_id}\0{key!r}".encode()).hexdigest()


def _digest(activity_id: str, activity: Activity) -> str:
    """What a message shows, as a digest (compared with what the lease row remembers)."""
    raw = json.dumps([activity_id, activity], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def _settle(
    future: asyncio.Future[str | None],
    *,
    result: str | None = None,
    error: BaseException | None = None,
) -> None:
    if future.done():
        return  # cancelled by the caller while in flight
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def _mark_retrieved(future: asyncio.Future[str | None]) -> None:
    if not future.cancelled():
        future.exception()
