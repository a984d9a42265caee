"""Private messages: open the bot's 1:1 chat with a person, then post through the outbox."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Protocol

from bot.delivery.outbox import Outbox
from bot.delivery.throttle import SlidingWindows
from bot.delivery.transport import Address, DeliveryError, TransientDeliveryError

logger = logging.getLogger(__name__)

# Creating conversations counts against the bot's tenant-wide budget (about 30 requests a
# second); staying at 10 leaves room for everything else the bot sends.
CREATE_WINDOWS = ((1.0, 10), (30.0, 200))
MAX_ATTEMPTS = 3


class Opener(Protocol):
    async def create_conversation(self, service_url: str, bot_id: str, tenant_id: str,
                                  member_id: str) -> str: ...


@dataclass
class PrivateStats:
    sent: int = 0
    not_installed: int = 0  # Teams refused: the app is not installed for that person
    failed: int = 0


class PrivateMessages:
    """Sends a personal message to each person where the app is installed for them; people
    without it are skipped quietly (the shared card in the chat reaches them anyway)."""

    def __init__(self, opener: Opener, outbox: Outbox) -> None:
        self._opener = opener
        self._outbox = outbox
        self._windows = SlidingWindows(CREATE_WINDOWS)
        self._queue: asyncio.Queue[tuple[str, str, str, str, dict[str, Any]]] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._chats: dict[tuple[str, str], str] = {}
        self.stats = PrivateStats()

    def send(self, service_url: str, bot_id: str, tenant_id: str, member_id: str,
             activity: dict[str, Any]) -> None:
        """Queue a private message; the chat is opened once per person and reused."""
        self._queue.put_nowait((service_url, bot_id, tenant_id, member_id, activity))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.get_running_loop().create_task(self._run(),
                                                                  name="private-messages")

    async def drain(self) -> None:
        """Wait until every queued message was handed to the outbox (or skipped)."""
        if self._worker is not None:
            await asyncio.wait([self._worker])

    async def _run(self) -> None:
        while not self._queue.empty():
            service_url, bot_id, tenant_id, member_id, activity = self._queue.get_nowait()
            try:
                conversation_id = await self._chat_with(service_url, bot_id, tenant_id,
                                                        member_id)
            except DeliveryError as error:
                self._count_failure(error)
                continue
            except Exception:
                logger.exception("opening a private chat failed unexpectedly")
                self.stats.failed += 1
                continue
            self._outbox.send(Address(service_url, conversation_id, bot_id), activity)
            self.stats.sent += 1

    async def _chat_with(self, service_url: str, bot_id: str, tenant_id: str,
                         member_id: str) -> str:
        key = (service_url, member_id)
        if key not in self._chats:
            self._chats[key] = await self._open(service_url, bot_id, tenant_id, member_id)
        return self._chats[key]

    async def _open(self, service_url: str, bot_id: str, tenant_id: str, member_id: str) -> str:
        loop = asyncio.get_running_loop()
        for attempt in range(MAX_ATTEMPTS):
            wait = self._windows.delay(loop.time())
            if wait:
                await asyncio.sleep(wait)
            self._windows.record(loop.time())
            try:
                return await self._opener.create_conversation(service_url, bot_id, tenant_id,
                                                              member_id)
            except TransientDeliveryError as error:
                if attempt + 1 == MAX_ATTEMPTS:
                    raise
                await asyncio.sleep(error.retry_after or 0.5 * 2 ** attempt)
        raise AssertionError("unreachable")

    def _count_failure(self, error: DeliveryError) -> None:
        if error.status in (403, 404):
            self.stats.not_installed += 1
        else:
            self.stats.failed += 1
            logger.warning("a private message could not be delivered (status %s)", error.status)
