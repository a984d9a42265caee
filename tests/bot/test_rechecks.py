"""Rechecks: one read per item at a time, one more if asked again meanwhile."""

from __future__ import annotations

import asyncio

from bot.core.rechecks import Rechecks


async def test_a_burst_of_asks_costs_the_running_read_and_one_more():
    rechecks, reads = Rechecks(), []
    gate = asyncio.Event()

    async def read() -> None:
        reads.append(len(reads))
        await gate.wait()

    for _ in range(50):
        rechecks.ask("poll-1", read)
    rechecks.ask("poll-2", read)
    await asyncio.sleep(0)
    assert len(reads) == 2  # one per item is running
    gate.set()
    await rechecks.drain()
    assert len(reads) == 3  # poll-1 was asked again while its read ran: read once more


async def test_a_failing_read_is_logged_and_the_item_can_be_asked_again(caplog):
    rechecks, reads = Rechecks(), []

    async def broken() -> None:
        reads.append(1)
        raise RuntimeError("database gone")

    rechecks.ask("board-1", broken)
    await rechecks.drain()
    rechecks.ask("board-1", broken)
    await rechecks.drain()
    assert len(reads) == 2
    assert "could not be read again" in caplog.text
