"""The shell's turn loop: route a Turn, hand outgoing messages to the outbox, answer the click."""

from __future__ import annotations

import logging
from typing import Any

from bot.cards.elements import as_activity
from bot.core.router import Router
from bot.core.turn import CardEdit, InvokeAnswer, Message, Turn
from bot.delivery.durable import DurableSends
from bot.delivery.outbox import Outbox
from bot.delivery.transport import Address
from storage.outgoing import Outgoing

logger = logging.getLogger(__name__)


class Shell:
    def __init__(self, router: Router, outbox: Outbox, sends: DurableSends) -> None:
        self._router = router
        self._outbox = outbox
        self._sends = sends

    async def on_turn(self, turn: Turn) -> InvokeAnswer | None:
        """Handle one turn. New messages are written to the database before the turn is
        answered, then sent in the background: the HTTP answer does not wait for Teams' rate
        limits, no transaction is open while they are sent, and none is lost to a restart."""
        reply = await self._router.handle(turn)
        if reply.messages:
            address = reply.address or turn.address
            await self._sends.promise([self._promised(address, message, turn)
                                       for message in reply.messages])
        for edit in reply.edits:
            self._edit(edit)
        return reply.invoke

    def _promised(self, address: Address, message: Message, turn: Turn) -> Outgoing:
        binding = (message.binds.kind, message.binds.ref) if message.binds else None
        # Whoever caused the message hears of it in the chat if it is lost (in their language).
        return self._sends.message(address, _activity(message), binding=binding,
                                   notice_locale=turn.language)

    def _edit(self, edit: CardEdit) -> None:
        activity = as_activity(edit.card)

        async def render() -> dict[str, Any]:
            return activity

        self._outbox.edit(edit.address, ("message", edit.activity_id), edit.activity_id, render)

    async def drain(self) -> None:
        """Wait until every promised message arrived (or was reported) and every card edit is
        done (tests, shutdown)."""
        while True:
            await self._sends.drain()
            await self._outbox.drain()
            if self._sends.idle:
                return


def _activity(message: Message) -> dict[str, Any]:
    if message.card is not None:
        return as_activity(message.card)
    return {"type": "message", "text": message.text or "", "textFormat": "markdown"}
