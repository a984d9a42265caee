"""A scripted meeting whose summary must tell what its cards told: a yes/no poll 4/2, a
satisfaction poll with a dissatisfied minority, a rating, open text and sarcastic questions.
Every figure the closed cards showed is on the summary card and the report page, nothing is
folded into "other", and a headline says how much happened.
"""

from __future__ import annotations

import re
from typing import Any

from tests.journeys.helpers import actions, counts_on, create_poll, open_form, shared_card, texts_in
from tests.journeys.test_disclosure_policy import chart_values, lines_of, report_page
from tests.journeys.test_qna_journey import ask, post_board
from tests.journeys.test_summary_journey import PEOPLE, end_meeting, start_meeting
from tests.support.teams import BotUnderTest

ORGANIZER = PEOPLE[0]
SATISFACTION = ("Very satisfied", "Satisfied", "Dissatisfied")
ANSWERS = ["More breaks!", "more breaks", "More braeks", "Shorter meetings.",
           "shorter meeting", "Home office on Fridays"]
QUESTIONS = ["Oh great, another reorg. Who decided this without asking us?",
             "The new expense process is a nightmare, when will it be fixed?",
             "Why do we have to fill in the same report twice?",
             "Thanks for the open answers today, this was really helpful!"]


async def _vote(bot: BotUnderTest, poll_id: str, choices: list[str], **fields: str) -> None:
    for person, choice in zip(PEOPLE[1:], choices, strict=False):
        await bot.click(person, "poll.vote", {"poll": poll_id, "rz_choice": choice, **fields})


async def _close(bot: BotUnderTest, poll_id: str, card_id: str) -> dict[str, Any]:
    await bot.click(ORGANIZER, "poll.close", {"poll": poll_id})
    await bot.settle()
    return shared_card(bot, card_id)


async def _form_poll(bot: BotUnderTest, question: str, kind: str) -> tuple[str, str]:
    posted_for, _ = await open_form(bot, ORGANIZER)
    before = len(bot.message_ids())
    await bot.click(ORGANIZER, "poll.create", {
        **posted_for, "rz_question": question, "rz_options": "", "rz_kind": kind,
        "rz_anonymous": "true", "rz_results": "live", "rz_minutes": ""})
    await bot.settle()
    card_id = bot.message_ids()[before]
    return actions(shared_card(bot, card_id))["poll.vote"]["data"]["poll"], card_id


async def scripted_meeting(bot: BotUnderTest) -> dict[str, dict[str, int]]:
    """Runs the meeting; returns what each closed poll card showed."""
    await start_meeting(bot, "Team meeting")
    shown: dict[str, dict[str, int]] = {}
    yes_no, card = await create_poll(bot, ORGANIZER, "poll Keep the Friday demo? | Yes | No")
    await _vote(bot, yes_no, ["0", "0", "1", "0", "1", "0"])
    shown["yes_no"] = counts_on(await _close(bot, yes_no, card))
    satisfied, card = await create_poll(bot, ORGANIZER, "poll How satisfied are you with the "
                                        "new tools? | " + " | ".join(SATISFACTION))
    await _vote(bot, satisfied, ["0", "1", "0", "1", "0", "2", "1"])
    shown["satisfaction"] = counts_on(await _close(bot, satisfied, card))
    rating, card = await _form_poll(bot, "How useful was today's meeting?", "rating")
    await _vote(bot, rating, ["4", "3", "4", "2", "3"])
    shown["rating"] = counts_on(await _close(bot, rating, card))
    text_poll, card = await _form_poll(bot, "What would make our meetings better?", "text")
    for person, answer in zip(PEOPLE[1:], ANSWERS, strict=False):
        await bot.click(person, "poll.vote", {"poll": text_poll, "rz_text": answer})
    await _close(bot, text_poll, card)
    board_id, _ = await post_board(bot, ORGANIZER)
    for person, question in zip(PEOPLE[1:], QUESTIONS, strict=False):
        await ask(bot, person, board_id, question)
    await bot.settle()
    return shown


async def test_the_summary_shows_every_figure_the_cards_showed_and_a_headline(bot):
    shown = await scripted_meeting(bot)
    assert shown["yes_no"] == {"Yes": 4, "No": 2}
    assert shown["satisfaction"] == dict(zip(SATISFACTION, (3, 3, 1), strict=True))
    card = await end_meeting(bot)
    said, texts = lines_of(card), texts_in(card)
    assert not re.search(r"\bother\b", said, re.IGNORECASE)
    assert "7 people · 4 polls · 4 questions" in texts
    # Every option of every choice poll with the count its closed card showed.
    figures = chart_values(card)
    for counts in shown.values():
        for option, count in counts.items():
            assert f'"legend": "{option}", "value": {count}' in said, (option, count)
    assert figures[:2] == [4, 2] and figures[2:5] == [3, 3, 1]
    # Open text as answer groups: breaks (3, one misspelt), shorter meetings (2), home office.
    answers = texts[texts.index("What would make our meetings better?"):]
    assert answers[2:8] == ["More breaks: ", "3", "Shorter meetings: ", "2",
                            "Home office on Fridays: ", "1"]
    # Mood: positive, neutral and negative with their counts, nothing folded.
    moods = [t for t in texts if re.match(r"^(positive|neutral|negative): $", t)]
    assert moods == ["positive: ", "neutral: ", "negative: "]
    # The mood of the ten texts: the four questions are three complaints (sarcasm, a
    # nightmare, a why-question) and one thank-you; the six open answers are suggestions.
    at = texts.index("positive: ")
    assert texts[at:at + 6] == ["positive: ", "1", "neutral: ", "6", "negative: ", "3"]


async def test_the_report_page_follows_the_card(bot):
    await scripted_meeting(bot)
    card = await end_meeting(bot)
    page = await report_page(bot, card)
    assert "7 people · 4 polls · 4 questions" in page
    for label in ("Yes", "No", *SATISFACTION, "More breaks", "Shorter meetings"):
        assert label in page, label
    assert "Dissatisfied" in page and ">other<" not in page.casefold()
    assert 'id="sentiment"' in page
