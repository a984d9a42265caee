"""Closes polls whose auto-close time has come, also after a restart."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

from bot.delivery.transport import Address
from bot.services import Services
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


async def run_poll_closer(services: Services, every: float) -> None:
    """Check for due polls every `every` seconds until cancelled."""
    while True:
        try:
            await close_due_polls(services)
        except Exception:
            logger.exception("closing due polls failed; trying again later")
        await asyncio.sleep(every)
