"""Messages promised before a kill -9 or a stop during a connector outage arrive after the
restart, once, bound to their item; a stop with the connector unreachable ends within its
bound."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import aiohttp

from devtools.local_connector import LocalConnector
from devtools.simulation import Chat, Participant
from tests.journeys.helpers import counts_on
from tests.support.processes import post, start_process

MODERATOR = Participant.numbered(0)


def waiting(folder: Path) -> int:
    with sqlite3.connect(folder / "resonanz.db") as database:
        return int(database.execute("select count(*) from outgoing").fetchone()[0])


def states(folder: Path) -> list[str]:
    with sqlite3.connect(folder / "resonanz.db") as database:
        return [row[0] for row in database.execute("select state from outgoing")]


def poll_posts(connector: LocalConnector) -> list[int]:
    return [r.status for r in connector.requests if r.method == "POST" and r.kind == "send"]


async def test_a_card_promised_before_a_kill_arrives_once_after_the_restart_and_is_bound(
    tmp_path: Path
):
    async with LocalConnector() as connector, aiohttp.ClientSession() as http:
        chat = Chat(service_url=connector.service_url)
        # Retry-After keeps it between attempts (state "queued") long enough to be killed there.
        connector.storm(503, retry_after="30", methods=("POST",))
        bot = await start_process(tmp_path)
        try:
            status, _ = await post(http, bot, chat.message(MODERATOR, "poll Kill? | Yes | No"))
            assert status == 201
            await connector.wait_for(lambda c: 503 in poll_posts(c))
            await connector.wait_for(lambda c: states(tmp_path) == ["queued"])
            await bot.kill()
        finally:
            await bot.kill()
        assert waiting(tmp_path) == 1  # acknowledged, so kept
        connector.calm()
        bot = await start_process(tmp_path, bot.port)
        try:
            await connector.wait_for(lambda c: len(c.sent()) == 1, timeout=20)
            card_id = connector.requests[-1].activity_id
            card = connector.sent()[0]["attachments"][0]["content"]
            poll_id = card["actions"][0]["data"]["poll"]
            for number in (1, 2, 3):
                status, _ = await post(http, bot, chat.click(
                    Participant.numbered(number), "poll.vote",
                    {"poll": poll_id, "rz_choice": "1"}, reply_to_id=card_id))
                assert status == 200
            await post(http, bot, chat.click(MODERATOR, "poll.close", {"poll": poll_id}))

            def closed(c: LocalConnector) -> bool:
                shown = c.message(card_id)["attachments"][0]["content"]
                return counts_on(shown).get("No") == 3

            await connector.wait_for(closed, timeout=20)  # bound: the card is edited
            assert len(connector.sent()) == 1
        finally:
            await bot.stop()
        assert waiting(tmp_path) == 0


async def test_a_stop_with_the_connector_unreachable_ends_in_time_and_keeps_the_message(
    tmp_path: Path
):
    async with LocalConnector() as connector, aiohttp.ClientSession() as http:
        chat = Chat(service_url=connector.service_url)
        connector.storm(503)
        bot = await start_process(tmp_path, env={"RESONANZ_STOP_TIMEOUT": "2"})
        try:
            status, _ = await post(http, bot, chat.message(MODERATOR, "questions"))
            assert status == 201
            await connector.wait_for(lambda c: 503 in poll_posts(c))
            started = time.monotonic()
            assert await bot.stop(timeout=30) == 0
            stopped_in = time.monotonic() - started
        finally:
            await bot.kill()
        assert stopped_in < 10, f"the stop took {stopped_in:.1f} s"
        assert waiting(tmp_path) == 1
        connector.calm()
        assert states(tmp_path) == ["queued"]  # certainly not sent: it goes out after the start
        bot = await start_process(tmp_path, bot.port)
        try:
            await connector.wait_for(lambda c: len(c.sent()) == 1, timeout=20)
            [board] = connector.sent()
            assert board.get("attachments"), board  # the board itself, not a notice
        finally:
            await bot.stop()
        assert waiting(tmp_path) == 0


async def test_a_card_on_the_wire_at_a_kill_is_not_posted_again_and_the_chat_is_told(
    tmp_path: Path
):
    async with LocalConnector() as connector, aiohttp.ClientSession() as http:
        chat = Chat(service_url=connector.service_url)
        connector.hang_next(1, methods=("POST",))  # it may arrive: Teams never answers
        bot = await start_process(tmp_path)
        try:
            status, _ = await post(http, bot, chat.message(MODERATOR, "poll Wire? | Yes | No",
                                                           locale="de-DE"))
            assert status == 201
            await connector.wait_for(lambda c: len(poll_posts(c)) == 1)
            await bot.kill()
        finally:
            await bot.kill()
        assert states(tmp_path) == ["sending"]
        bot = await start_process(tmp_path, bot.port)
        try:
            await connector.wait_for(lambda c: len(c.sent()) == 1, timeout=20)
            [notice] = connector.sent()
            assert "nicht bestätigt" in notice["text"]
            assert len(poll_posts(connector)) == 2  # the hung card and the notice, nothing more
        finally:
            await bot.stop()
        assert waiting(tmp_path) == 0
