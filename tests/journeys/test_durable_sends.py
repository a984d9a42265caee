"""New messages under a connector outage and a slow connector: none lost, none posted twice,
bound to their item when they arrive, and the chat told when one is given up."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.app import SERVICES
from bot.settings import Settings
from tests.journeys.helpers import actions, counts_on, shared_card
from tests.support.teams import BotUnderTest, Participant, card_of, settings_for_tests

MODERATOR = Participant.numbered(0)


@pytest.fixture
def bot_settings(tmp_path: Path) -> Settings:
    # Short retry horizon, so that giving up can be watched; a quick transport timeout.
    return settings_for_tests(tmp_path, retry_for=3.0)


def posts(bot: BotUnderTest) -> list[int]:
    return [r.status for r in bot.connector.requests if r.method == "POST"
            and r.kind in ("send", "reply")]


async def waiting(bot: BotUnderTest) -> int:
    return await bot.client.app[SERVICES].sends._store.count()


async def test_a_poll_card_asked_for_during_an_outage_arrives_once_and_is_kept_up_to_date(bot):
    bot.connector.storm(503, methods=("POST",))
    assert await bot.say(MODERATOR, "poll Lunch? | Pasta | Salad") == 201
    await bot.connector.wait_for(lambda c: posts(bot).count(503) >= 3)
    assert await waiting(bot) == 1  # written down before the 201, kept while it fails
    bot.connector.calm()
    await bot.settle()
    assert posts(bot).count(201) == 1 and len(bot.cards()) == 1
    card_id = bot.message_ids()[0]
    poll_id = actions(bot.cards()[0])["poll.vote"]["data"]["poll"]
    for number in range(1, 4):
        await bot.click(Participant.numbered(number), "poll.vote",
                        {"poll": poll_id, "rz_choice": "0"}, reply_to_id=card_id)
    await bot.click(MODERATOR, "poll.close", {"poll": poll_id})
    await bot.settle()
    assert counts_on(shared_card(bot, card_id)) == {"Pasta": 3, "Salad": 0}  # it was bound
    assert await waiting(bot) == 0


async def test_a_card_whose_post_got_no_answer_is_not_posted_again_and_the_chat_is_told(bot):
    bot.connector.hang_next(1, methods=("POST",))
    assert await bot.say(MODERATOR, "poll Kaffee? | Ja | Nein", locale="de-DE") == 201
    await bot.settle()
    # The hung POST may have arrived: it is not repeated; a notice says what may be missing.
    assert len(bot.cards()) == 0
    [notice] = bot.texts()
    assert "nicht bestätigt" in notice and "Umfrage" in notice
    assert sum(1 for r in bot.connector.requests if r.method == "POST") == 2
    assert await waiting(bot) == 0


async def test_a_message_failing_beyond_the_retry_horizon_is_reported_once_the_chat_works(bot):
    bot.connector.storm(503, methods=("POST",))
    assert await bot.say(MODERATOR, "questions") == 201
    sends = bot.client.app[SERVICES].sends
    async with asyncio.timeout(40):  # its first failed attempt after retry_for (3 s) gives up
        while not sends.stats.given_up:
            await asyncio.sleep(0.05)
    bot.connector.calm()
    await bot.settle()
    assert bot.cards() == []
    [notice] = bot.texts()
    assert "could not be delivered" in notice and "Q&A board" in notice
    assert await waiting(bot) == 0


async def test_a_chats_edits_go_out_while_one_of_its_new_messages_keeps_failing(bot):
    poll_id = await _poll(bot)
    card_id = bot.message_ids()[0]
    bot.connector.storm(503, methods=("POST",))
    assert await bot.say(MODERATOR, "questions") == 201  # a new message that keeps failing
    await bot.connector.wait_for(lambda c: posts(bot).count(503) >= 1)
    await bot.click(MODERATOR, "poll.close", {"poll": poll_id})
    await bot.connector.wait_for(
        lambda c: "closed" in str(card_of(c.message(card_id))).lower(), timeout=5)
    assert posts(bot).count(503) >= 1 and await waiting(bot) == 1
    bot.connector.calm()
    await bot.settle()
    assert len(bot.cards()) == 2


async def _poll(bot: BotUnderTest) -> str:
    assert await bot.say(MODERATOR, "poll Tea? | Yes | No") == 201
    await bot.settle()
    return str(actions(bot.cards()[0])["poll.vote"]["data"]["poll"])


async def test_a_card_that_arrived_without_an_answer_is_adopted_from_its_first_vote(bot):
    # Teams shows the card but its answer comes after the transport's 10 s timeout: the card is
    # not posted again, and the first click on it (Teams names the message) binds it.
    bot.connector.answer_late(1, 11.0, methods=("POST",))
    assert await bot.say(MODERATOR, "poll Late? | Yes | No") == 201
    await bot.settle()
    [card_request] = [r for r in bot.connector.requests if r.method == "POST"][:1]
    card_id = card_request.activity_id
    poll_id = actions(card_of(bot.connector.message(card_id)))["poll.vote"]["data"]["poll"]
    assert any("did not confirm" in text for text in bot.texts())
    for number in range(1, 4):
        await bot.click(Participant.numbered(number), "poll.vote",
                        {"poll": poll_id, "rz_choice": "1"}, reply_to_id=card_id)
    await bot.click(MODERATOR, "poll.close", {"poll": poll_id})
    await bot.settle()
    assert counts_on(shared_card(bot, card_id)) == {"Yes": 0, "No": 3}
    assert len(bot.cards()) == 1


async def test_a_hung_post_does_not_hold_back_the_chats_card_edits(bot):
    poll_id = await _poll(bot)
    card_id = bot.message_ids()[0]
    bot.connector.hang_next(1, methods=("POST",))
    assert await bot.say(MODERATOR, "questions") == 201  # its POST hangs for the 10 s timeout
    await bot.connector.wait_for(lambda c: len(posts(bot)) == 2)
    started = asyncio.get_running_loop().time()
    await bot.click(MODERATOR, "poll.close", {"poll": poll_id})
    await bot.connector.wait_for(
        lambda c: "closed" in str(card_of(c.message(card_id))).lower(), timeout=5)
    assert asyncio.get_running_loop().time() - started < 3  # not behind the hung POST
    await bot.settle()
