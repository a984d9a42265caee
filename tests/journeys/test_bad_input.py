"""Bad input gets a clear answer in the user's language, never a 5xx; nothing is half-stored."""

from __future__ import annotations

import pytest

from tests.journeys.helpers import create_poll, open_form, shared_card, texts_in
from tests.support.scan import sqlite_tables
from tests.support.teams import Participant

ANNA = Participant.numbered(1)


async def _said(bot, text: str, locale: str = "en-US") -> str:
    before = len(bot.connector.sent())
    assert await bot.say(ANNA, text, locale=locale) == 201
    await bot.settle()
    sent = bot.connector.sent()[before:]
    assert len(sent) == 1, sent
    return sent[0].get("text", "")


@pytest.mark.parametrize(("command", "expected"), [
    ("poll", None),  # the form, not an error
    ("poll | A | B", "Please give the poll a question"),
    ("poll Lunch?", "at least 2 options"),
    ("poll Lunch? | Pizza", "at least 2 options"),
    ("poll Q? | " + " | ".join(f"O{i}" for i in range(11)), "at most 10 options (you gave 11)"),
    ("poll Q? | " + "x" * 201 + " | B", "is too long (at most 200 characters)"),
    ("poll Q? | Pizza | pizza", "appears twice"),
    ("poll " + "Why " * 100 + "| A | B", "The question is too long"),
    ("pol Q? | A | B", "Did you mean **poll**"),
    ("frobnicate", "Type **help**"),
    ("", "Type **help**"),
])
async def test_poll_commands_with_mistakes_get_a_clear_english_answer(bot, command, expected):
    text = await _said(bot, command)
    if expected is None:
        assert text == ""
    else:
        assert expected in text
    assert sqlite_tables(bot_db(bot))["poll"] == [] or expected is None


def bot_db(bot):
    from bot.app import SERVICES

    url = bot.client.app[SERVICES].storage.engine.url
    return url.database


@pytest.mark.parametrize(("command", "expected"), [
    ("umfrage Mittag?", "mindestens 2 Optionen"),
    ("umfrage F? | A | a", "kommt doppelt vor"),
    ("hilfee", "Meintest du **hilfe**"),
])
async def test_german_users_get_german_answers(bot, command, expected):
    assert expected in await _said(bot, command, locale="de-DE")


async def test_a_100_kb_message_gets_a_clear_answer(bot):
    text = await _said(bot, "poll " + "Q" * 100_000 + " | A | B")
    assert "too long" in text
    assert sqlite_tables(bot_db(bot))["poll"] == []


@pytest.mark.parametrize("data", [
    {},
    {"poll": 12},
    {"poll": None},
    {"poll": "x" * 5000},
    {"poll": "no-such-poll", "rz_choice": "0"},
])
async def test_card_clicks_on_unknown_or_garbage_polls_get_a_message(bot, data):
    answer = await bot.click(ANNA, "poll.vote", data)
    assert answer["type"] == "application/vnd.microsoft.activity.message"
    assert answer["value"]


@pytest.mark.parametrize(("choice", "expected"), [
    (None, "choose an option"), ("", "choose an option"), ("7", "not part of this poll"),
    ("abc", "not part of this poll"), ("0,1", "exactly one"), ("-1", "not part of this poll"),
])
async def test_invalid_ballots_are_refused_and_nothing_is_stored(bot, choice, expected):
    poll_id, _ = await create_poll(bot, ANNA, "poll Q? | A | B")
    data = {"poll": poll_id}
    if choice is not None:
        data["rz_choice"] = choice
    answer = await bot.click(Participant.numbered(2), "poll.vote", data)
    assert expected in answer["value"]
    assert sqlite_tables(bot_db(bot))["ballot"] == []


async def test_unknown_verbs_and_missing_action_data_are_answered(bot):
    answer = await bot.click(ANNA, "poll.explode", {"poll": "x"})
    assert "no longer supported" in answer["value"]
    activity = bot.chat.click(ANNA, "poll.vote", {})
    activity["value"] = None
    status, body = await bot.post(activity)
    assert status == 200 and body["value"]
    activity["value"] = {"action": "nonsense"}
    status, body = await bot.post(activity)
    assert status == 200 and body["value"]


async def test_protocol_errors_get_4xx_and_the_server_keeps_serving(bot):
    client = bot.client
    response = await client.post("/api/messages", data="not json",
                                 headers={"Content-Type": "application/json"})
    assert response.status == 400
    response = await client.post("/api/messages", data="hello",
                                 headers={"Content-Type": "text/plain"})
    assert response.status == 415
    response = await client.post("/api/messages", json=[1, 2, 3])
    assert response.status == 400
    response = await client.post("/api/messages", json={"no": "type"})
    assert response.status == 400
    response = await client.get("/healthz")
    assert response.status == 200
    _, card_id = await create_poll(bot, ANNA, "poll Still alive? | Yes | No")
    assert "Still alive?" in texts_in(shared_card(bot, card_id))


async def test_an_open_text_answer_that_is_too_long_is_refused(bot):
    posted_for, _ = await open_form(bot, ANNA)
    await bot.click(ANNA, "poll.create", {**posted_for, "rz_question": "Thoughts?",
                                          "rz_kind": "text"})
    await bot.settle()
    card = shared_card(bot, bot.message_ids()[-1])
    poll_id = card["actions"][0]["data"]["poll"]
    answer = await bot.click(Participant.numbered(3), "poll.vote",
                             {"poll": poll_id, "rz_text": "x" * 501})
    assert "too long" in answer["value"]
    answer = await bot.click(Participant.numbered(3), "poll.vote",
                             {"poll": poll_id, "rz_text": "   "})
    assert "write an answer" in answer["value"]


async def test_an_unexpected_failure_is_answered_with_an_apology_and_a_reference(
        bot, monkeypatch, log_lines):
    import bot.polls.ballot_box as handlers

    def broken(*args, **kwargs):
        raise RuntimeError("simulated defect")

    poll_id, _ = await create_poll(bot, ANNA, "poll Q? | A | B")
    monkeypatch.setattr(handlers, "ballot_from_input", broken)
    answer = await bot.click(Participant.numbered(2), "poll.vote",
                             {"poll": poll_id, "rz_choice": "0"}, locale="de-DE")
    assert "Referenz:" in answer["value"]
    assert "simulated defect" not in answer["value"]
    reference = answer["value"].rsplit("Referenz: ", 1)[1].rstrip(")")
    assert any(reference in line and "simulated defect" in line for line in log_lines)
    monkeypatch.undo()
    answer = await bot.click(Participant.numbered(2), "poll.vote",
                             {"poll": poll_id, "rz_choice": "0"})
    assert answer["type"] == "application/vnd.microsoft.card.adaptive"
