"""Timers kept in the database, so they survive a restart: auto-closing polls, the reminders
of running breakout rounds, the daily purge; and this process's own chores: writing the
participation keys it holds (bot/core/meetings.py) and checkpointing SQLite's write-ahead log.
With several bot processes on one database each timer fires in one process only
(storage/coordination.py); each process writes its own keys and checkpoints on its own."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import datetime, timedelta

from bot.core.scope import address_of
from bot.core.services import Services
from bot.housekeeping.retention import purge_expired
from bot.i18n import language_of, t
from bot.polls.parts import PollParts
from bot.qna.parts import QnaParts
from facilitation.breakout_rounds import TimerEvent, mark_told, timer_due
from facilitation.polls import close_poll, is_due
from storage.card_leases import expire_card_leases
from storage.coordination import claim_run, only_one_process
from storage.database import checkpoint

logger = logging.getLogger(__name__)


async def close_due_polls(services: Services) -> int:
    """Close every poll that is due and refresh its card; returns how many were closed."""
    now = services.clock()
    async with services.storage.unit_of_work() as uow:
        if not await only_one_process(uow.session, "close due polls"):
            return 0  # another process is closing them right now
        due = [stored for stored in await uow.polls.due(now) if is_due(stored.poll, now)]
        closed = []
        for stored in due:
            poll = close_poll(stored.poll, now=now)
            await uow.polls.save(poll)
            chat = await uow.chats.get(stored.conversation_id)
            closed.append((replace(stored, poll=poll), chat))
        await uow.commit()
    live = services.part(PollParts).live
    for stored, chat in closed:
        if chat is not None:
            live.refresh(stored, address_of(chat))
    return len(closed)


async def tell_breakout_groups(services: Services) -> int:
    """Post "2 minutes left" and "time's up" for running rounds, each once: each message is
    written in the transaction that marks it told, so a crash loses neither."""
    now = services.clock()
    messages = []
    async with services.storage.unit_of_work() as uow:
        if not await only_one_process(uow.session, "tell breakout groups"):
            return 0  # another process is telling them right now
        for stored in await uow.breakouts.running():
            event = timer_due(stored.round, now)
            if event is None:
                continue
            await uow.breakouts.save(mark_told(stored.round, event))
            chat = await uow.chats.get(stored.conversation_id)
            if chat is not None:
                key = "breakout.reminder" if event is TimerEvent.REMINDER else "breakout.time_up"
                text = t(key, language_of(stored.locale))
                messages.append(services.sends.message(address_of(chat),
                                                       {"type": "message", "text": text}))
        await services.sends.promise_in(uow, messages)
        await uow.commit()
    return len(messages)


PURGE_EVERY = timedelta(days=1)
PURGE_CHECK_EVERY = timedelta(hours=1)
FORGET_EVERY = timedelta(minutes=1)
# How often the write-ahead log is copied into the database and emptied, so that a copy of the
# files holds at most this long of commits in order (and the -wal file does not grow).
CHECKPOINT_EVERY = timedelta(minutes=1)


async def purge_if_due(services: Services, *, retention_days: int) -> bool:
    """The daily purge of old raw texts (and of idle card leases), run by whichever process
    first finds that a day has passed since the last run; returns whether this one ran it."""
    now = services.clock()
    if not await claim_run(services.storage.engine, "purge", now=now, every=PURGE_EVERY):
        return False
    # The kept summaries count people reached: write the keys this process holds first.
    await services.meetings.write_reached(services.storage, everything=True)
    await purge_expired(services.storage, now=now, retention_days=retention_days,
                        policy=services.policy)
    await expire_card_leases(services.storage.engine, now - PURGE_EVERY)
    return True


async def run_timers(services: Services, every: float, *, retention_days: int) -> None:
    """Check the timers every `every` seconds until cancelled; purge old raw texts daily (the
    first check right after start, then hourly whether a day has passed since the last purge
    of any process); forget old question counts every minute; write the participation keys
    held (when enough are held, see bot/core/meetings.py) and checkpoint SQLite's log every
    minute."""
    last_purge_check: datetime | None = None
    last_forget: datetime | None = None
    last_checkpoint: datetime | None = None
    while True:
        for job in (close_due_polls, tell_breakout_groups):
            try:
                await job(services)
            except Exception:
                logger.exception("a timer job failed; trying again later")
        try:
            await services.meetings.write_reached(services.storage)
        except Exception:
            logger.exception("writing participation keys failed; trying again later")
        now = services.clock()
        if last_checkpoint is None or now - last_checkpoint >= CHECKPOINT_EVERY:
            last_checkpoint = now
            try:
                await checkpoint(services.storage.engine)
            except Exception:
                logger.exception("checkpointing the database log failed; trying again later")
        if last_forget is None or now - last_forget >= FORGET_EVERY:
            last_forget = now
            try:
                await services.part(QnaParts).asking.expire(now)
            except Exception:
                logger.exception("forgetting old question counts failed; trying again later")
        if last_purge_check is None or now - last_purge_check >= PURGE_CHECK_EVERY:
            last_purge_check = now
            try:
                await purge_if_due(services, retention_days=retention_days)
            except Exception:
                logger.exception("purging old texts failed; trying again later")
        await asyncio.sleep(every)
