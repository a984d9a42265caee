"""Property-based fuzzing of chat commands and card payloads: never a 5xx, the server keeps
serving."""

from __future__ import annotations

import json
import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.teams import Participant

FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
WORDS = st.sampled_from(["poll", "umfrage", "help", "hilfe", "questions", "fragen", "ask",
                         "frage", "breakout", "gruppen", "summary", "zusammenfassung", ""])
VERBS = st.sampled_from(["poll.vote", "poll.change", "poll.close", "poll.reopen", "poll.reveal",
                         "poll.create", "qna.ask", "qna.upvote", "qna.all", "qna.view",
                         "qna.moderate", "qna.merge", "qna.mode", "qna.dismiss",
                         "breakout.create", "breakout.update", "breakout.join",
                         "breakout.publish", "breakout.report", "breakout.copy",
                         "summary.report_link", "no.such.verb"])
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False)
    | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                 max_size=4),
    max_leaves=12)
DATA = st.dictionaries(
    st.sampled_from(["poll", "board", "question", "breakout", "meeting", "page", "part", "group",
                     "named", "force", "text", "add", "mode", "rz_choice", "rz_text",
                     "rz_question", "rz_options", "rz_kind", "rz_minutes", "rz_number",
                     "rz_exclude", "rz_apart", "rz_merge_from", "rz_merge_into", "rz_point1"]),
    JSONISH, max_size=6)


@FUZZ
@given(word=WORDS, rest=st.text(max_size=300), locale=st.sampled_from(["en-US", "de-DE", "",
                                                                        "xx"]))
async def test_any_chat_command_gets_an_answer_and_never_a_5xx(bot, word, rest, locale):
    # A chat of its own per example: one chat's answers would queue behind Teams' rate limit.
    bot.chat.conversation_id = f"19:fuzz-{uuid.uuid4().hex}@thread.v2"
    status = await bot.say(Participant.numbered(1), f"{word} {rest}", locale=locale)
    assert status < 500


@FUZZ
@given(verb=VERBS, data=DATA)
async def test_any_card_click_gets_an_answer_and_never_a_5xx(bot, verb, data):
    status, body = await bot.post(bot.chat.click(Participant.numbered(2), verb, data))
    assert status == 200, body
    assert body["type"] in ("application/vnd.microsoft.card.adaptive",
                            "application/vnd.microsoft.activity.message")


@FUZZ
@given(value=JSONISH, name=st.sampled_from(["adaptiveCard/action", "task/fetch", "", "x"]))
async def test_any_invoke_value_gets_a_4xx_or_an_answer(bot, value, name):
    activity = bot.chat.click(Participant.numbered(3), "poll.vote", {})
    activity["value"], activity["name"] = value, name
    status, _ = await bot.post(activity)
    assert status < 500


@FUZZ
@given(body=JSONISH)
async def test_any_json_body_gets_a_4xx_or_an_answer(bot, body):
    response = await bot.client.post("/api/messages", data=json.dumps(body),
                                     headers={"Content-Type": "application/json"})
    assert response.status < 500
    health = await bot.client.get("/healthz")
    assert health.status == 200
