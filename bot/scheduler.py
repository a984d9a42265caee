"""Timers kept in the database, so they survive a restart: auto-closing polls and the
reminders of running breakout rounds."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import datetime, timedelta

from bot.delivery.transport import Address
from bot.i18n import language_of, t
from bot.retention import purge_expired
from bot.services import Services
from facilitation.breakout_rounds import TimerEvent, mark_told, timer_due
from facilitation.polls import close_poll, is_due

logger = logging.getLogger(__name__)


async def close_due_polls(services: Services) -> int:
    """Close every poll that is due and refresh its card; returns how many were closed."""
    now = services.clock()
    async with services.storage.unit_of_work() as uow:
        due = [stored for stored in await uow.polls.due(now) if is_due(stored.poll, now)]
        closed = []
        for stored in due:
            poll = close_poll(stored.poll, now=now)
            await uow.polls.save(poll)
            chat = await uow.chats.get(stored.conversation_id)
            closed.append((replace(stored, poll=poll), chat))
        await uow.commit()
    for stored, chat in closed:
        if chat is not None:
            services.live.refresh(stored, Address(chat.service_url, chat.conversation_id,
                                                  chat.bot_id))
    return len(closed)


async def tell_breakout_groups(services: Services) -> int:
    """Post "2 minutes left" and "time's up" for running rounds, each once."""
    now = services.clock()
    told = []
    async with services.storage.unit_of_work() as uow:
        for stored in await uow.breakouts.running():
            event = timer_due(stored.round, now)
            if event is None:
                continue
            await uow.breakouts.save(mark_told(stored.round, event))
            chat = await uow.chats.get(stored.conversation_id)
            if chat is not None:
                told.append((chat, event, language_of(stored.locale)))
        await uow.commit()
    for chat, event, language in told:
        key = "breakout.reminder" if event is TimerEvent.REMINDER else "breakout.time_up"
        services.outbox.send(Address(chat.service_url, chat.conversation_id, chat.bot_id),
                             {"type": "message", "text": t(key, language)})
    return len(told)


PURGE_EVERY = timedelta(days=1)


async def run_timers(services: Services, every: float, *, retention_days: int) -> None:
    """Check the timers every `every` seconds until cancelled; purge old raw texts daily
    (the first time right after start)."""
    last_purge: datetime | None = None
    while True:
        for job in (close_due_polls, tell_breakout_groups):
            try:
                await job(services)
            except Exception:
                logger.exception("a timer job failed; trying again later")
        now = services.clock()
        if last_purge is None or now - last_purge >= PURGE_EVERY:
            last_purge = now
            try:
                await purge_expired(services.storage, now=now, retention_days=retention_days)
            except Exception:
                logger.exception("purging old texts failed; trying again tomorrow")
        await asyncio.sleep(every)
