"""A crash (kill -9) during a vote burst loses no acknowledged vote, and the card catches up
after the restart."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from pathlib import Path

import aiohttp

from devtools.local_connector import LocalConnector
from devtools.simulation import Chat, Participant
from tests.journeys.helpers import counts_on
from tests.support.processes import start_process

ROOT = Path(__file__).resolve().parents[1]


async def test_a_kill_during_a_vote_burst_keeps_every_acknowledged_vote(tmp_path: Path):
    async with LocalConnector() as connector:
        chat = Chat(service_url=connector.service_url)
        started = await start_process(tmp_path, edit_interval=5, secret="crash")
        bot, port, url = started.process, started.port, started.url
        acknowledged: list[int] = []
        try:
            async with aiohttp.ClientSession() as http:
                async with http.post(url, json=chat.message(Participant.numbered(0),
                                                            "poll Crash? | Yes | No")):
                    pass
                await connector.wait_for(lambda c: len(c.sent()) == 1)
                card_id = connector.requests[-1].activity_id
                poll_id = connector.sent()[0]["attachments"][0]["content"]["actions"][0][
                    "data"]["poll"]

                async def vote(number: int) -> None:
                    activity = chat.click(Participant.numbered(100 + number), "poll.vote",
                                          {"poll": poll_id, "rz_choice": str(number % 2)})
                    try:
                        async with http.post(url, json=activity) as answer:
                            if answer.status == 200:
                                acknowledged.append(number)
                    except aiohttp.ClientError:
                        pass  # the bot died mid-request: not acknowledged

                votes = [asyncio.create_task(vote(n)) for n in range(300)]
                while len(acknowledged) < 120:
                    await asyncio.sleep(0.01)
                bot.send_signal(signal.SIGKILL)
                await asyncio.gather(*votes)
        finally:
            bot.kill()
            bot.wait()
        assert len(acknowledged) >= 120
        with sqlite3.connect(tmp_path / "resonanz.db") as database:
            stored = database.execute("select count(*) from ballot").fetchone()[0]
        assert len(acknowledged) <= stored <= 300  # nothing acknowledged was lost

        bot = (await start_process(tmp_path, port, edit_interval=5, secret="crash")).process
        try:
            expected = {"Yes": sum(1 for n in acknowledged if n % 2 == 0),
                        "No": sum(1 for n in acknowledged if n % 2 == 1)}

            def caught_up(c: LocalConnector) -> bool:
                counts = counts_on(c.message(card_id)["attachments"][0]["content"])
                return counts.get("Yes", 0) >= expected["Yes"] and \
                    counts.get("No", 0) >= expected["No"]

            await connector.wait_for(caught_up, timeout=20)
            final = counts_on(connector.message(card_id)["attachments"][0]["content"])
            # Every acknowledged vote is counted; votes cut off by the kill may also have been
            # stored before their answer was lost, never more than were sent.
            assert final["Yes"] + final["No"] <= 300
        finally:
            bot.terminate()
            bot.wait(timeout=30)
