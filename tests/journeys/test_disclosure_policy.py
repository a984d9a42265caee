"""One disclosure policy through the real endpoint: with RESONANZ_MIN_BALLOTS=5 no surface shows
a 4-ballot poll or the mood of 4 texts, and a poll shown "after closing" stays hidden on every
surface while it is open."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from bot import cli
from bot.app import SERVICES
from bot.housekeeping.retention import purge_expired
from bot.i18n import t
from bot.settings import Settings
from bot.summaries.gathering import summary_from_json, summary_to_json
from facilitation.disclosure import Withheld
from facilitation.policy import Policy
from facilitation.summaries import EngagementSummary, PollSummary, Reach
from tests.journeys.helpers import actions as actions_of
from tests.journeys.helpers import counts_on, create_poll, dump, shared_card, texts_in, walk
from tests.journeys.test_breakout_journey import action
from tests.journeys.test_poll_form import form
from tests.journeys.test_qna_journey import ask, post_board
from tests.journeys.test_summary_journey import MEETING, PEOPLE, end_meeting, start_meeting
from tests.support.teams import BotUnderTest, settings_for_tests

MINIMUM = 5
ORGANIZER, ATTENDEE = PEOPLE[0], PEOPLE[11]
QUESTIONS = [  # four texts, each naming the canteen: a theme from 3 mentions, not from 5
    "Why is the canteen closed on Fridays?",
    "Great canteen food this week, thank you!",
    "Could the canteen open earlier?",
    "The canteen queue is terrible at noon",
]


@pytest.fixture
def bot_settings(tmp_path: Path) -> Settings:
    """The bot of every test here runs with a minimum group of 5, except where a test asks
    for the default; `min_ballots` is what RESONANZ_MIN_BALLOTS sets. Attendees may post the
    summary (RESONANZ_ATTENDEES_START=true), so that what an attendee's request shows is what
    the policy allows, not what the permission to ask allows."""
    return settings_for_tests(tmp_path, min_ballots=MINIMUM, attendees_start=True)


# ---------------------------------------------------------------------------- reading surfaces


async def summary_card(bot: BotUnderTest) -> dict[str, Any]:
    """The summary an attendee asks for in the chat."""
    assert await bot.say(ATTENDEE, "summary") == 201
    await bot.settle()
    return bot.cards()[-1]


def chart_values(card: dict[str, Any]) -> list[int]:
    """Every figure the card's charts show."""
    return [point["value"] for chart in walk(card)
            if str(chart.get("type", "")).startswith("Chart.") for point in chart["data"]]


def lines_of(card: dict[str, Any]) -> str:
    """Every text of a card, and every chart's data, as one string."""
    charts = [e["data"] for e in walk(card) if str(e.get("type", "")).startswith("Chart.")]
    return " | ".join(texts_in(card)) + " | " + json.dumps(charts, ensure_ascii=False)


async def report_page(bot: BotUnderTest, card: dict[str, Any]) -> str:
    """The report page behind the summary card's link, as the organizer opens it."""
    meeting_id = action(card, "summary.report_link")["data"]["meeting"]
    link = await bot.click(ORGANIZER, "summary.report_link", {"meeting": meeting_id})
    url = next(a["url"] for a in walk(link["value"]) if a.get("type") == "Action.OpenUrl")
    response = await bot.client.get("/" + url.split("://", 1)[1].split("/", 1)[1])
    assert response.status == 200
    return await response.text()


def section(page: str, section_id: str) -> str:
    """One section of the report page ('' when the page has none)."""
    start = page.find(f'<section id="{section_id}"')
    return "" if start < 0 else page[start:page.index("</section>", start)]


async def exported(bot: BotUnderTest, minimum: int) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """`resonanz export` as JSON and as CSV rows, run with the same RESONANZ_MIN_BALLOTS: the
    CLI's own entry point, in a worker thread of this process so the bot keeps serving (the
    CLI in a process of its own is tested in test_export.py)."""
    database = bot.client.app[SERVICES].storage.engine.url.database
    folder = Path(str(database)).parent
    env = {"DATABASE_URL": f"sqlite:///{database}", "RESONANZ_SECRET": "not-needed-for-export",
           "RESONANZ_MIN_BALLOTS": str(minimum)}
    found = []
    for form_ in ("json", "csv"):
        output = folder / f"export.{form_}"
        with mock.patch.dict(os.environ, env):
            code = await asyncio.to_thread(cli.main, ["export", "--meeting", MEETING,
                                                      "--format", form_, "--output", str(output)])
        assert code == 0
        found.append(output.read_text(encoding="utf-8"))
    assert found[1].startswith("\ufeff")  # the byte order mark
    rows = csv.DictReader(io.StringIO(found[1].removeprefix("\ufeff")))
    return json.loads(found[0]), list(rows)


def polls_in(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The exported polls of every occurrence of the meeting."""
    return [poll for occurrence in data["occurrences"] for poll in occurrence["polls"]]


async def kept_summary(bot: BotUnderTest) -> EngagementSummary:
    """The summary kept when the meeting ended (what remains after the retention period)."""
    async with bot.client.app[SERVICES].storage.unit_of_work() as uow:
        meeting = await uow.meetings.latest(bot.chat.conversation_id)
    assert meeting is not None and meeting.summary_json
    return summary_from_json(meeting.summary_json)


async def vote(bot: BotUnderTest, poll_id: str, voters: range, **choice: str) -> list[dict]:
    """Ballots of PEOPLE[i] for i in `voters`; returns their receipts."""
    receipts = []
    for index in voters:
        answer = await bot.click(PEOPLE[index], "poll.vote", {"poll": poll_id, **choice})
        receipts.append(answer["value"])
    await bot.settle()
    return receipts


# ---------------------------------------------------------------------------- the minimum of 5


async def test_with_a_minimum_of_five_no_surface_shows_four_ballots_or_the_mood_of_four_texts(
        bot):
    await start_meeting(bot)
    small_id, small_card = await create_poll(bot, ORGANIZER, "poll Lunch at noon? | Yes | Later")
    receipts = await vote(bot, small_id, range(1, 5), rz_choice="0")  # Yes: 4, Later: 0
    # Beside it, a poll that reaches the minimum: every surface shows it (so none is just empty),
    # summaries with every option and its count, as on its card.
    large_id, large_card = await create_poll(bot, ORGANIZER,
                                             "poll Office days? | Two | Three | Four")
    for choice, voters in (("0", range(1, 6)), ("1", range(6, 9)), ("2", range(9, 12))):
        await vote(bot, large_id, voters, rz_choice=choice)  # Two: 5, Three: 3, Four: 3
    board_id, _ = await post_board(bot, ORGANIZER)
    for person, question in zip(PEOPLE[5:9], QUESTIONS, strict=True):
        await ask(bot, person, board_id, question)
    await bot.settle()
    too_few = f"fewer than {MINIMUM}"

    # The live shared card, the voter's receipt and the voter's own copy of the card.
    small = shared_card(bot, small_card)
    assert counts_on(small) == {}
    assert t("card.poll.too_few", "en", minimum=MINIMUM) in texts_in(small)
    assert counts_on(shared_card(bot, large_card)) == {"Two": 5, "Three": 3, "Four": 3}
    for receipt in receipts:
        assert counts_on(receipt) == {} and "(4)" not in dump(receipt)
    own = (await bot.click(PEOPLE[1], "poll.change", {"poll": small_id}))["value"]
    assert counts_on(own) == {}
    assert t("card.poll.too_few", "en", minimum=MINIMUM) in texts_in(own)

    # The summary card, asked for by an attendee while the meeting runs: open anonymous polls
    # show only their turnout (their cards move in steps), so both polls are closed first.
    for poll_id in (small_id, large_id):
        await bot.click(ORGANIZER, "poll.close", {"poll": poll_id})
    await bot.settle()
    card = await summary_card(bot)
    said = lines_of(card)
    assert f"Results withheld: {too_few} votes." in said
    assert "Yes: " not in said and '"legend": "Yes"' not in said
    assert chart_values(card) == [5, 3, 3]  # every option as on its closed card
    assert "Three: " in said and "Four: " in said and "other" not in said
    assert t("summary.sentiment", "en", count=4) not in said
    assert t("summary.themes", "en") not in said
    assert f"a poll with fewer than {MINIMUM} votes" in said

    # The report page.
    page = await report_page(bot, card)
    polls = section(page, "polls")
    assert f"Results withheld: {too_few} ballots." in polls
    assert polls.count('class="bars"') == 1 and "Two" in polls
    assert "Yes" not in polls and "Three" in polls and "Four" in polls
    assert section(page, "sentiment") == "" and section(page, "themes") == ""
    assert f"fewer than {MINIMUM} ballots" in page[page.index('<aside id="privacy"'):]

    # The export, as JSON and as CSV.
    data, rows = await exported(bot, MINIMUM)
    lunch, office = polls_in(data)
    assert lunch["ballots"] == 4 and lunch["withheld"] == f"{too_few} ballots"
    assert "results" not in lunch
    assert [r["votes"] for r in office["results"]] == [5, 3, 3]  # exact, as on its card
    lunch_rows = [r for r in rows if r["id"] == small_id]
    assert [(r["count"], r["detail"]) for r in lunch_rows] == [("4", f"{too_few} ballots")]

    # The summary posted when the meeting ends, and the one kept for after the retention period.
    ended = lines_of(await end_meeting(bot))
    assert f"Results withheld: {too_few} votes." in ended and '"legend": "Yes"' not in ended
    assert t("summary.sentiment", "en", count=4) not in ended
    kept = await kept_summary(bot)
    lunch_kept, office_kept = kept.polls
    assert (lunch_kept.withheld, lunch_kept.results) == (Withheld.TOO_FEW, ())
    assert office_kept.withheld is None and office_kept.results
    assert kept.sentiment.total == 0 and kept.themes == ()


# ---------------------------------------------------------------------------- "after closing"


SPRING, AUTUMN = "Spring offsite", "Autumn offsite"
ANSWERS = [  # five answers of an open-text poll, each naming the parking garage
    "The parking garage is always full",
    "More space in the parking garage please",
    "Parking garage lights are broken",
    "I love the new parking garage",
    "Open the parking garage earlier",
]


async def after_closing_poll(bot: BotUnderTest, **values: str) -> tuple[str, str]:
    """A poll created in the form with results shown "after closing"; (poll id, card id)."""
    await bot.click(ORGANIZER, "poll.create", form(results="on_close", **values))
    await bot.settle()
    card_id = bot.message_ids()[-1]
    return actions_of(shared_card(bot, card_id))["poll.vote"]["data"]["poll"], card_id


async def test_an_after_closing_poll_stays_hidden_everywhere_while_open_and_shows_once_closed(
        bot):
    await start_meeting(bot)
    choice_id, choice_card = await after_closing_poll(
        bot, question="When shall we meet?", options=f"{SPRING}\n{AUTUMN}")
    await vote(bot, choice_id, range(1, 7), rz_choice="0")
    await vote(bot, choice_id, range(7, 12), rz_choice="1")  # Spring: 6, Autumn: 5
    text_id, _ = await after_closing_poll(bot, question="What should change?", kind="text")
    for person, answer in zip(PEOPLE[1:6], ANSWERS, strict=True):
        await bot.click(person, "poll.vote", {"poll": text_id, "rz_text": answer})
    await bot.settle()
    until_closed = t("card.poll.until_closed", "en")
    assert until_closed in texts_in(shared_card(bot, choice_card))  # as before

    # While open: the summary card (whoever asks), the report page, the export.
    card = await summary_card(bot)
    said = lines_of(card)
    assert "When shall we meet?" in said and t("summary.turnout", "en", count=11) in said
    assert said.count(until_closed) == 2
    assert SPRING not in said and AUTUMN not in said and "parking" not in said.lower()
    assert t("summary.sentiment", "en", count=5) not in said
    page = await report_page(bot, card)
    polls = section(page, "polls")
    assert polls.count(until_closed) == 2 and 'class="bars"' not in polls
    assert SPRING not in page and AUTUMN not in page and "parking" not in page.lower()
    assert section(page, "themes") == "" and section(page, "sentiment") == ""
    data, rows = await exported(bot, MINIMUM)
    for poll, ballots in zip(polls_in(data), (11, 5), strict=True):
        assert poll["ballots"] == ballots
        assert poll["withheld"] == "results are shown when the poll closes"
        assert "results" not in poll and "answers" not in poll
    assert [(r["id"], r["count"]) for r in rows if r["section"] == "poll"] == [
        (choice_id, "11"), (text_id, "5")]
    assert SPRING not in dump(rows) and "parking" not in dump(rows).lower()

    # The summary posted when the meeting ends while the polls are still open, and kept.
    ended = lines_of(await end_meeting(bot))
    assert ended.count(until_closed) == 2 and SPRING not in ended
    assert "parking" not in ended.lower()
    kept = await kept_summary(bot)
    assert [(p.withheld, p.results) for p in kept.polls] == [(Withheld.UNTIL_CLOSED, ())] * 2
    assert kept.themes == () and kept.sentiment.total == 0

    # Closed: every surface shows the results, as before.
    for poll_id in (choice_id, text_id):
        await bot.click(ORGANIZER, "poll.close", {"poll": poll_id})
    await bot.settle()
    assert counts_on(shared_card(bot, choice_card)) == {SPRING: 6, AUTUMN: 5}
    card = await summary_card(bot)
    said = lines_of(card)
    assert until_closed not in said
    assert f'"legend": "{SPRING}", "value": 6' in said
    assert f'"legend": "{AUTUMN}", "value": 5' in said
    assert "parking" in said.lower()  # a theme, from the five answers
    assert t("summary.sentiment", "en", count=5) in said
    page = await report_page(bot, card)
    assert SPRING in section(page, "polls") and until_closed not in page
    assert "parking" in section(page, "themes").lower() and section(page, "sentiment")
    data, rows = await exported(bot, MINIMUM)
    assert polls_in(data)[0]["results"] == [{"option": SPRING, "votes": 6},
                                           {"option": AUTUMN, "votes": 5}]
    # Five answers, each given by one person: below the minimum of 5, none is listed.
    assert polls_in(data)[1]["answers"] == [] and polls_in(data)[1]["answers_not_listed"] == 5
    assert not any(answer in dump(data) or answer in dump(rows) for answer in ANSWERS)
    assert [r["detail"] for r in rows if r["id"] == choice_id] == [SPRING, AUTUMN]


async def test_a_live_open_text_poll_lists_its_answers_nowhere_until_it_closes(bot):
    """As on its card: answers appearing one by one, export after export, would tell who wrote
    which."""
    await start_meeting(bot)
    await bot.click(ORGANIZER, "poll.create", form(question="What should change?", kind="text"))
    await bot.settle()
    card_id = bot.message_ids()[-1]
    text_id = actions_of(shared_card(bot, card_id))["poll.vote"]["data"]["poll"]
    for person, answer in zip(PEOPLE[1:6], ANSWERS, strict=True):
        await bot.click(person, "poll.vote", {"poll": text_id, "rz_text": answer})
    await bot.settle()
    card = await summary_card(bot)
    page = await report_page(bot, card)
    data, rows = await exported(bot, MINIMUM)
    until_closed = t("card.poll.until_closed", "en")
    assert until_closed in lines_of(card) and until_closed in section(page, "polls")
    assert polls_in(data)[0]["withheld"] == "results are shown when the poll closes"
    assert "answers" not in polls_in(data)[0]
    for shown in (lines_of(card), section(page, "polls"), dump(data), dump(rows)):
        assert not any(answer in shown for answer in ANSWERS)
    # Nor their words or mood: themes and mood taken one summary after the other would tell
    # what each new answer said.
    assert "parking" not in lines_of(card).lower() and "parking" not in page.lower()
    assert t("summary.sentiment", "en", count=5) not in lines_of(card)
    assert section(page, "themes") == "" and section(page, "sentiment") == ""

    await bot.click(ORGANIZER, "poll.close", {"poll": text_id})
    await bot.settle()
    data, rows = await exported(bot, MINIMUM)
    # Closed, its answers are counted; each was given by one person, fewer than the minimum,
    # so none is listed word for word (policy.listed_answers).
    closed_poll = polls_in(data)[0]
    assert (closed_poll["answers"], closed_poll["answers_not_listed"]) == ([], 5)
    assert [r["count"] for r in rows if r["id"] == text_id] == ["5"]
    assert not any(answer in dump(data) or answer in dump(rows) for answer in ANSWERS)
    closed = lines_of(await summary_card(bot))
    assert "parking" in closed.lower() and t("summary.sentiment", "en", count=5) in closed


def test_a_kept_summary_keeps_why_a_poll_is_withheld_and_older_ones_still_load():
    summary = EngagementSummary("Sync", datetime(2025, 3, 14, tzinfo=UTC), Reach(9), polls=(
        PollSummary("Open?", "single", 7, withheld=Withheld.UNTIL_CLOSED),
        PollSummary("Few?", "single", 2, withheld=Withheld.TOO_FEW),
        PollSummary("Shown?", "single", 0)))
    kept = summary_to_json(summary)
    loaded = summary_from_json(kept).polls
    assert loaded == summary.polls
    assert [type(p.withheld) for p in loaded] == [Withheld, Withheld, type(None)]
    older = kept.replace('"withheld": "until_closed"', '"withheld": false').replace(
        '"withheld": "too_few"', '"withheld": true').replace('"withheld": null',
                                                            '"withheld": false')
    assert [p.withheld for p in summary_from_json(older).polls] == [None, Withheld.TOO_FEW, None]


async def test_a_summary_kept_under_a_smaller_minimum_is_shown_under_the_current_one(bot):
    """The issue's case for meetings whose raw data are gone: kept under the default minimum
    of 3, a 4-ballot poll read "Yes: 4" even once RESONANZ_MIN_BALLOTS=5 applied."""
    services = bot.client.app[SERVICES]
    configured, services.policy = services.policy, Policy()  # as before the setting changed
    await start_meeting(bot)
    poll_id, _ = await create_poll(bot, ORGANIZER, "poll Lunch at noon? | Yes | Later")
    await vote(bot, poll_id, range(1, 5), rz_choice="0")
    await end_meeting(bot)
    await purge_expired(services.storage, now=datetime(2100, 1, 1, tzinfo=UTC),
                        retention_days=1, policy=services.policy)
    # Past the retention period the options keep their places, not their labels.
    assert '"legend": "#1", "value": 4' in lines_of(await summary_card(bot))

    services.policy = configured  # the minimum of 5 applies from now on
    card = await summary_card(bot)
    said = lines_of(card)
    assert "Poll 1" in said and '"legend": "#1"' not in said
    assert f"Results withheld: fewer than {MINIMUM} votes." in said
    page = section(await report_page(bot, card), "polls")
    assert "#1" not in page and t("report.polls.withheld", "en", minimum=MINIMUM) in page
