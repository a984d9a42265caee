"""The bot process stopped (SIGTERM, SIGINT) or killed (kill -9) around vote bursts and 429
storms: a shutdown sends the pending card edits, a crash loses no acknowledged vote, and after
a restart the cards catch up."""

from __future__ import annotations

import asyncio
import random
import signal
from itertools import pairwise
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from devtools.local_connector import LocalConnector
from devtools.simulation import Chat, Participant
from tests.journeys.helpers import counts_on, texts_in
from tests.support.processes import (
    BotProcess,
    new_poll,
    post,
    start_process,
    stored_tally,
)

RECEIPT = "application/vnd.microsoft.card.adaptive"


def shown(connector: LocalConnector, card_id: str) -> dict[str, Any]:
    return connector.message(card_id)["attachments"][0]["content"]


async def cast(http: aiohttp.ClientSession, bot: BotProcess, chat: Chat, poll_id: str,
               number: int, choice: int) -> bool:
    """Whether the vote was acknowledged (HTTP 200 with the voter's receipt)."""
    activity = chat.click(Participant.numbered(number), "poll.vote",
                          {"poll": poll_id, "rz_choice": str(choice)})
    try:
        status, body = await post(http, bot, activity)
    except aiohttp.ClientError:
        return False  # the process died while answering: not acknowledged
    return status == 200 and body["type"] == RECEIPT


async def burst(http: aiohttp.ClientSession, bot: BotProcess, chat: Chat, poll_id: str,
                voters: range) -> list[bool]:
    gate = asyncio.Semaphore(16)

    async def vote(number: int) -> bool:
        async with gate:
            return await cast(http, bot, chat, poll_id, number, number % 2)

    return await asyncio.gather(*(vote(n) for n in voters))


# ----------------------------------------------------------------- kill -9, then a clean stop
async def test_a_kill_in_a_storm_loses_no_vote_and_a_stop_in_a_storm_sends_the_last_edit(
    tmp_path: Path,
):
    database = tmp_path / "resonanz.db"
    async with LocalConnector() as connector, aiohttp.ClientSession() as http:
        chat = Chat(service_url=connector.service_url)
        # A 60 s edit interval: after a card's first edit, its next one is a minute away.
        bot = await start_process(tmp_path, edit_interval=60)
        try:
            poll_id, card_id = await new_poll(http, bot, connector, chat, "poll Q? | A | B")
            # kill -9 while every card edit is refused: the votes are kept, the card is not.
            connector.storm(429, retry_after="0.5", methods=("PUT",))
            assert all(await burst(http, bot, chat, poll_id, range(100, 160)))
            await bot.kill()
            assert stored_tally(database, 2) == [30, 30]
            assert "60 votes" not in texts_in(shown(connector, card_id))
            connector.calm()

            # After the restart the card catches up (its pending edit resumes).
            bot = await start_process(tmp_path, bot.port, edit_interval=60)
            await connector.wait_for(
                lambda c: counts_on(shown(c, card_id)) == {"A": 30, "B": 30}, timeout=10)

            # More votes; their edit is a minute away when SIGTERM comes, in another storm.
            assert all(await burst(http, bot, chat, poll_id, range(200, 205)))
            await asyncio.sleep(0.2)
            assert "65 votes" not in texts_in(shown(connector, card_id))
            stop_at = len(connector.requests)
            connector.storm(429, retry_after="0.3", methods=("PUT",))
            asyncio.get_running_loop().call_later(0.8, connector.calm)
            assert await bot.stop(signal.SIGTERM) == 0
        finally:
            await bot.kill()
        card = shown(connector, card_id)
        assert counts_on(card) == {"A": 33, "B": 32} and "65 votes" in texts_in(card)
        edits = [r for r in connector.requests[stop_at:] if r.kind == "edit"]
        assert edits[-1].status == 200  # sent before the process ended...
        assert all(b.arrived - a.at >= 0.3 for a, b in pairwise(edits))  # ...keeping Retry-After


@pytest.mark.long
async def test_stopping_with_sigint_sends_the_pending_card_edit_first(tmp_path: Path):
    # aiohttp handles SIGINT (Ctrl-C) like SIGTERM; the default suite stops with SIGTERM.
    async with LocalConnector() as connector, aiohttp.ClientSession() as http:
        chat = Chat(service_url=connector.service_url)
        bot = await start_process(tmp_path, edit_interval=60)
        try:
            poll_id, card_id = await new_poll(http, bot, connector, chat, "poll Q? | A | B")
            assert all(await burst(http, bot, chat, poll_id, range(1, 6)))
            await asyncio.sleep(0.3)
            assert "5 votes" not in texts_in(shown(connector, card_id))  # still pending
            assert await bot.stop(signal.SIGINT) == 0
        finally:
            await bot.kill()
        card = shown(connector, card_id)
        assert counts_on(card) == {"A": 2, "B": 3} and "5 votes" in texts_in(card)


@pytest.mark.long
async def test_repeated_kills_during_vote_bursts_lose_no_acknowledged_vote(tmp_path: Path):
    database = tmp_path / "resonanz.db"
    rng = random.Random(7)
    acknowledged: set[int] = set()
    sent = 0
    async with LocalConnector() as connector, aiohttp.ClientSession() as http:
        chat = Chat(service_url=connector.service_url)
        bot = await start_process(tmp_path)
        port = bot.port
        try:
            poll_id, card_id = await new_poll(http, bot, connector, chat, "poll Q? | A | B")
            for cycle in range(5):
                if cycle:
                    bot = await start_process(tmp_path, port)
                if cycle % 2:
                    connector.storm(429, retry_after="1", methods=("PUT",))

                async def vote(number: int, current: BotProcess = bot) -> None:
                    if await cast(http, current, chat, poll_id, number, number % 2):
                        acknowledged.add(number)

                before = len(acknowledged)
                voters = range(1000 * (cycle + 1), 1000 * (cycle + 1) + 500)
                sent += len(voters)
                burst = [asyncio.create_task(vote(n)) for n in voters]
                target = before + rng.randint(100, 400)
                while len(acknowledged) < target and not all(t.done() for t in burst):
                    await asyncio.sleep(0.005)
                await bot.kill()
                await asyncio.gather(*burst)
                connector.calm()
                yes, no = stored_tally(database, 2)
                assert len(acknowledged) <= yes + no <= sent
                assert sum(1 for n in acknowledged if n % 2 == 0) <= yes
                assert sum(1 for n in acknowledged if n % 2 == 1) <= no
            bot = await start_process(tmp_path, port)
            yes, no = stored_tally(database, 2)
            await connector.wait_for(
                lambda c: counts_on(shown(c, card_id)) == {"A": yes, "B": no}, timeout=20)
        finally:
            if bot.process.poll() is None:
                assert await bot.stop() == 0
