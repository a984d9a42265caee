"""The shell's turn loop: route a Turn, hand outgoing messages to the outbox, answer the click."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.cards.elements import as_activity
from bot.core.router import Router
from bot.core.turn import CardEdit, InvokeAnswer, Message, Turn
from bot.delivery.outbox import Outbox
from bot.delivery.transport import Address

logger = logging.getLogger(__name__)


class Shell:
    def __init__(self, router: Router, outbox: Outbox) -> None:
        self._router = router
        self._outbox = outbox
        self._followups: set[asyncio.Task[None]] = set()

    async def on_turn(self, turn: Turn) -> InvokeAnswer | None:
        """Handle one turn. Messages are queued, not awaited: the HTTP answer does not wait for
        Teams' rate limits, and no transaction is open while they are sent."""
        reply = await self._router.handle(turn)
        for message in reply.messages:
            self._queue(reply.address or turn.address, message)
        for edit in reply.edits:
            self._edit(edit)
        return reply.invoke

    def _edit(self, edit: CardEdit) -> None:
        activity = as_activity(edit.card)

        async def render() -> dict[str, Any]:
            return activity

        self._outbox.edit(edit.address, ("message", edit.activity_id), edit.activity_id, render)

    def _queue(self, address: Address, message: Message) -> None:
        future = self._outbox.send(address, _activity(message))
        if message.on_sent is not None:
            task = asyncio.create_task(self._after_sent(future, message))
            self._followups.add(task)
            task.add_done_callback(self._followups.discard)

    async def _after_sent(self, future: asyncio.Future[str | None], message: Message) -> None:
        try:
            activity_id = await future
        except Exception as error:
            logger.warning("a message could not be delivered: %s", type(error).__name__)
            return
        if activity_id and message.on_sent is not None:
            try:
                await message.on_sent(activity_id)
            except Exception:
                logger.exception("follow-up after sending failed")

    async def finish_followups(self) -> None:
        """Wait for the follow-ups of messages already queued (shutdown: before the outbox
        flushes, so that no follow-up edit arrives after it closed)."""
        while self._followups:
            await asyncio.gather(*list(self._followups), return_exceptions=True)

    async def drain(self) -> None:
        """Wait until every queued message, follow-up and card edit is done (tests, shutdown)."""
        while True:
            await self._outbox.drain()
            if not self._followups:
                await self._outbox.drain()
                if not self._followups:
                    return
            await asyncio.gather(*list(self._followups), return_exceptions=True)


def _activity(message: Message) -> dict[str, Any]:
    if message.card is not None:
        return as_activity(message.card)
    return {"type": "message", "text": message.text or "", "textFormat": "markdown"}
