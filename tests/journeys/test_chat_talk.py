"""Group chats deliver every message to the bot: only commands and @mentions get an answer."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.app import SERVICES
from tests.journeys.helpers import create_poll, shared_card, texts_in
from tests.support.scan import sqlite_tables
from tests.support.teams import Participant

ANNA = Participant.numbered(1)
TALK = "Guten Morgen zusammen, heute geht es um das Budget für 2027"


async def test_people_talking_in_the_chat_get_no_answer_and_leave_no_trace(bot, log_lines):
    before = len(bot.connector.requests)
    for text in (TALK, "", "x" * 20_000, "Summaries are due friday?"):
        assert await bot.say(ANNA, text, mention=False) in (200, 201)
    await bot.settle()
    assert len(bot.connector.requests) == before  # nothing was sent
    stored = repr(sqlite_tables(bot.client.app[SERVICES].storage.engine.url.database))
    assert "Budget" not in stored
    assert not any("Budget" in line for line in log_lines)


async def test_a_command_without_mention_still_works_in_a_group_chat(bot):
    _, card_id = await create_poll(bot, ANNA, "poll Lunch? | Pizza | Salad", mention=False)
    assert "Lunch?" in texts_in(shared_card(bot, card_id))


async def test_talk_that_mentions_the_bot_gets_the_unknown_command_answer(bot):
    await bot.say(ANNA, "Guten Morgen")  # with the @mention
    await bot.settle()
    assert any("Guten" in text for text in bot.texts())


async def test_in_a_personal_chat_everything_is_meant_for_the_bot(bot):
    bot.chat = replace(bot.chat, conversation_type="personal",
                       conversation_id="a:personal-chat-with-anna")
    await bot.say(ANNA, "Guten Morgen", mention=False)
    await bot.settle()
    assert any("Guten" in text for text in bot.texts())


@pytest.mark.parametrize("text", [
    "Frage an alle: wer hat die Folien?",
    "Hilfe, ich komme nicht in den Raum",
    "Summary of yesterday is in the wiki",
    "Umfrage unter Kunden läuft noch",
    "Fragen bitte in den Chat",
    "Gruppen von vier wären gut",
    "poll results look good",
])
async def test_chat_talk_that_starts_like_a_command_is_left_alone(bot, log_lines, text):
    before = len(bot.connector.requests)
    assert await bot.say(ANNA, text, mention=False) in (200, 201)
    await bot.settle()
    assert len(bot.connector.requests) == before
    tables = sqlite_tables(bot.client.app[SERVICES].storage.engine.url.database)
    assert tables["question"] == [] and tables["poll"] == []
    assert not any(text in line for line in log_lines)


@pytest.mark.parametrize("text", ["hilfe", "Fragen", "zusammenfassung", "umfrage",
                                  "questions reviewed", "gruppen"])
async def test_a_bare_command_without_mention_is_answered(bot, text):
    before = len(bot.connector.requests)
    await bot.say(ANNA, text, mention=False)
    await bot.settle()
    assert len(bot.connector.requests) > before
