"""Looking again, once, after a change that found its card not yet bound.

A vote or a question stored in one process while another process is still binding the item's
new card (it has posted the card, the id is not stored yet) finds no card to edit. The binding
process renders the card after storing the id, but from what it reads then, which may be
before the change committed. Reading the item again after the change committed closes that
gap: either the id is there by then (edit it), or the binder stores it later and its render
sees the change. `Rechecks` runs one such read per item at a time and one more if asked again
meanwhile, so a burst of votes costs two reads, not one per vote.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable

logger = logging.getLogger(__name__)


class Rechecks:
    def __init__(self) -> None:
        self._running: dict[Hashable, bool] = {}  # item -> asked again while running
        self._tasks: set[asyncio.Task[None]] = set()

    def ask(self, key: Hashable, check: Callable[[], Awaitable[None]]) -> None:
        if key in self._running:
            self._running[key] = True
            return
        self._running[key] = False
        task = asyncio.get_running_loop().create_task(self._run(key, check), name="recheck")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _run(self, key: Hashable, check: Callable[[], Awaitable[None]]) -> None:
        try:
            while True:
                try:
                    await check()
                except Exception:
                    logger.warning("a card's binding could not be read again", exc_info=True)
                if not self._running.get(key):
                    return
                self._running[key] = False
        finally:
            self._running.pop(key, None)
