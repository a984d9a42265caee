"""`resonanz export`: a meeting's polls and Q&A as JSON or CSV, aggregates only."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import re
import subprocess
import sys
from datetime import date, datetime, timedelta, tzinfo
from typing import Any
from unittest import mock

from bot import app as app_module
from bot.app import SERVICES
from bot.summaries.export import CSV_COLUMNS
from bot.summaries.handlers import report_token
from bot.summaries.report_routes import TOKEN_SHAPE
from tests.journeys.helpers import actions as actions_of
from tests.journeys.helpers import all_actions, create_poll, shared_card, walk
from tests.journeys.test_breakout_journey import action
from tests.journeys.test_poll_form import form
from tests.journeys.test_qna_journey import ask, post_board, question_ids
from tests.journeys.test_summary_journey import MEETING as SERIES
from tests.journeys.test_summary_journey import PEOPLE, end_meeting, start_meeting
from tests.support.teams import Participant

MEETING = "MCMxOTptZWV0aW5nX0V4cG9ydEB0aHJlYWQudjIjMA=="


async def _meeting_with_activity(bot) -> list[Participant]:
    bot.chat.meeting_id = MEETING
    people = [Participant.numbered(i) for i in range(8)]
    bot.connector.set_role(MEETING, people[0].aad_object_id, "Organizer")
    poll_id, _ = await create_poll(bot, people[0], "poll Retro format? | Online | Office")
    for index, person in enumerate(people[1:]):
        await bot.click(person, "poll.vote", {"poll": poll_id, "rz_choice": str(index % 2)})
    small_id, _ = await create_poll(bot, people[0], "poll Tiny? | Yes | No")
    await bot.click(people[1], "poll.vote", {"poll": small_id, "rz_choice": "0"})
    for closing in (poll_id, small_id):  # an open anonymous poll exports only its turnout
        await bot.click(people[0], "poll.close", {"poll": closing})
    board_id, card_id = await post_board(bot, people[0])
    await ask(bot, people[2], board_id, "When do we get the new laptops?")
    await ask(bot, people[3], board_id, "Will the team offsite happen in spring?", named=True)
    await bot.settle()
    laptops = question_ids(shared_card(bot, card_id))["When do we get the new laptops?"]
    for person in people[4:7]:
        await bot.click(person, "qna.upvote", {"board": board_id, "question": laptops})
    await bot.settle()
    return people


def everything(data: dict[str, Any], part: str) -> list[dict[str, Any]]:
    """The polls, questions or breakouts of every occurrence of an exported meeting."""
    return [item for occurrence in data["occurrences"] for item in occurrence[part]]


async def run_export(database: str, *args: str, **settings: str
                     ) -> subprocess.CompletedProcess[str]:
    """The CLI in its own process, while the bot keeps running (the event loop stays free);
    `settings` are further environment variables, e.g. RESONANZ_MIN_BALLOTS="5"."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}",
           "RESONANZ_SECRET": "not-needed-for-export", **settings}
    return await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "bot.cli", "export", *args], env=env,
        capture_output=True, text=True, timeout=60, check=False)


async def test_the_json_export_has_polls_and_questions_and_no_voter_data(bot):
    people = await _meeting_with_activity(bot)
    database = bot.client.app[SERVICES].storage.engine.url.database
    result = await run_export(database, "--meeting", MEETING, "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    retro, tiny = everything(data, "polls")
    assert retro["results"] == [{"option": "Online", "votes": 4}, {"option": "Office", "votes": 3}]
    assert tiny["ballots"] == 1 and "results" not in tiny and tiny["withheld"]
    questions = {q["text"]: q for q in everything(data, "questions")}
    assert questions["When do we get the new laptops?"]["votes"] == 3
    assert questions["When do we get the new laptops?"]["asked_by"] is None
    assert questions["Will the team offsite happen in spring?"]["asked_by"] == people[3].name
    anonymous_people = [p for p in people if p is not people[3]]
    for person in anonymous_people:
        assert person.mri not in result.stdout and person.name not in result.stdout
        assert person.aad_object_id not in result.stdout


async def test_the_csv_export_has_one_row_per_option_and_question(bot):
    await _meeting_with_activity(bot)
    database = bot.client.app[SERVICES].storage.engine.url.database
    result = await run_export(database, "--meeting", MEETING, "--format", "csv")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("\ufeff")  # a byte order mark: spreadsheets read UTF-8
    rows = list(csv.DictReader(io.StringIO(result.stdout.removeprefix("\ufeff"))))
    assert [r["section"] for r in rows] == ["poll", "poll", "poll", "question", "question"]
    assert rows[0]["detail"] == "Online" and rows[0]["count"] == "4"
    assert len({r["date"] for r in rows}) == 1 and rows[0]["occurrence"]


async def test_exporting_an_unknown_meeting_says_so_clearly(bot):
    database = bot.client.app[SERVICES].storage.engine.url.database
    result = await run_export(database, "--meeting", "no-such-meeting")
    assert result.returncode == 1
    assert "no meeting, chat or report link with the id 'no-such-meeting'" in result.stderr
    assert "Traceback" not in result.stderr


# ---------------------------------------------------------------------------- spreadsheets

ATTACKS = ['=HYPERLINK("http://127.0.0.1/x","click")', "@SUM(1+1)", "+1", "-1", "\t=1"]
UMLAUTS = "Wann gibt es größere Büros? ä ö ü ß"
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


async def ask_anyway(bot, who: Participant, board_id: str, text: str) -> None:
    """Ask anonymously; "+1" and "-1" read as the same question, so post it anyway."""
    answer = await ask(bot, who, board_id, text)
    anyway = [a for a in all_actions(answer["value"])
              if a.get("verb") == "qna.ask" and a.get("data", {}).get("force")]
    if anyway:
        await bot.click(who, "qna.ask", anyway[0]["data"])


async def _meeting_with_formulas(bot) -> list[Participant]:
    """Anonymous questions, poll options and open answers a spreadsheet would run."""
    bot.chat.meeting_id = MEETING
    people = [Participant.numbered(i) for i in range(10)]
    bot.connector.set_role(MEETING, people[0].aad_object_id, "Organizer")
    board_id, _ = await post_board(bot, people[0])
    for person, text in zip(people[1:], [*ATTACKS, UMLAUTS], strict=False):
        await ask_anyway(bot, person, board_id, text)
    await bot.click(people[0], "poll.create", form(question="Büro = Homeoffice?",
                                                   options="=SUM(1)\n-2 Büro"))
    await bot.settle()
    choice = actions_of(shared_card(bot, bot.message_ids()[-1]))["poll.vote"]["data"]["poll"]
    for index, person in enumerate(people[1:5]):
        await bot.click(person, "poll.vote", {"poll": choice, "rz_choice": str(index % 2)})
    await bot.click(people[0], "poll.close", {"poll": choice})
    await bot.click(people[0], "poll.create", form(question="Was soll sich ändern?",
                                                   kind="text"))
    await bot.settle()
    text = actions_of(shared_card(bot, bot.message_ids()[-1]))["poll.vote"]["data"]["poll"]
    for person, answer in zip(people[1:5], ["=1+1", "=1+1", "=1+1", "@lone answer"],
                              strict=True):
        await bot.click(person, "poll.vote", {"poll": text, "rz_text": answer})
    await bot.click(people[0], "poll.close", {"poll": text})
    await bot.settle()
    return people


async def test_a_german_csv_opens_in_columns_with_umlauts_and_every_formula_stays_text(
        bot, tmp_path):
    await _meeting_with_formulas(bot)
    database = bot.client.app[SERVICES].storage.engine.url.database
    output = tmp_path / "export.csv"
    result = await run_export(database, "--meeting", MEETING, "--format", "csv",
                              "--locale", "de", "--output", str(output))
    assert result.returncode == 0, result.stderr
    assert output.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 byte order mark
    with open(output, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    assert rows[0] == list(CSV_COLUMNS)
    assert all(len(row) == len(CSV_COLUMNS) for row in rows)
    for row in rows[1:]:
        assert not any(cell.startswith(DANGEROUS) for cell in row), row
    asked = [row[4] for row in rows if row[2] == "question"]
    for attack in ATTACKS[:4]:
        assert "'" + attack in asked
    assert "'=1" in asked  # "\t=1", its white space trimmed when it was asked
    assert UMLAUTS in asked
    polls = [(row[4], row[6], row[7]) for row in rows if row[2] == "poll"]
    assert ("Büro = Homeoffice?", "2", "'=SUM(1)") in polls
    assert ("Büro = Homeoffice?", "2", "'-2 Büro") in polls
    assert ("Was soll sich ändern?", "3", "'=1+1") in polls  # three gave it: listed
    assert ("Was soll sich ändern?", "1",
            "1 Antwort in Gruppen kleiner als 3, nicht aufgeführt") in polls
    assert "lone answer" not in output.read_text(encoding="utf-8-sig")  # one gave it: withheld


async def test_without_a_locale_the_csv_follows_the_meetings_language(bot):
    await _meeting_with_formulas(bot)  # created in English chats
    database = bot.client.app[SERVICES].storage.engine.url.database
    english = await run_export(database, "--meeting", MEETING, "--format", "csv")
    assert english.stdout.removeprefix("\ufeff").startswith(",".join(CSV_COLUMNS))
    tabs = await run_export(database, "--meeting", MEETING, "--format", "csv",
                            "--delimiter", "tab")
    assert tabs.stdout.removeprefix("\ufeff").startswith("\t".join(CSV_COLUMNS))


# ---------------------------------------------------------------------------- occurrences, ids

MINUTE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d\+00:00$")


def times_in(value: Any) -> list[str]:
    """Every exported time (a key ending in `_at`) anywhere in the export."""
    if isinstance(value, dict):
        return [v for k, v in value.items() if k.endswith("_at") and isinstance(v, str)] + [
            t for v in value.values() for t in times_in(v)]
    if isinstance(value, list):
        return [t for v in value for t in times_in(v)]
    return []


async def _weekly_meetings(bot) -> dict[str, Any]:
    """Two occurrences of a recurring meeting a week apart, each with a poll and a question;
    the second's summary card."""
    card: dict[str, Any] = {}
    for week in (1, 2):
        with mock.patch.object(app_module, "datetime", later_by(timedelta(days=7 * (week - 1)))):
            await start_meeting(bot, title="Weekly sync")
            poll_id, _ = await create_poll(bot, PEOPLE[0], f"poll Week {week}? | Good | Bad")
            for person in PEOPLE[1:4]:
                await bot.click(person, "poll.vote", {"poll": poll_id, "rz_choice": "0"})
            board_id, _ = await post_board(bot, PEOPLE[0])
            await ask(bot, PEOPLE[4 + week], board_id, f"What is on for week {week}?")
            await bot.settle()
            card = await end_meeting(bot)
    return card


def later_by(shift: timedelta) -> type[datetime]:
    """`datetime` whose `now` is `shift` ahead: the bot's clock (bot.app._now) a week on."""

    class Later(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
            return datetime.now(tz) + shift

    return Later


async def test_a_recurring_meeting_is_exported_occurrence_by_occurrence_with_its_date(bot):
    await _weekly_meetings(bot)
    database = bot.client.app[SERVICES].storage.engine.url.database
    for given in (SERIES, bot.chat.conversation_id):  # the Teams meeting, the chat
        result = await run_export(database, "--meeting", given)
        assert result.returncode == 0, result.stderr
        first, second = json.loads(result.stdout)["occurrences"]
        assert date.fromisoformat(second["date"]) - date.fromisoformat(first["date"]) \
            == timedelta(days=7)
        assert [p["question"] for p in first["polls"]] == ["Week 1?"]
        assert [q["text"] for q in first["questions"]] == ["What is on for week 1?"]
        assert [p["question"] for p in second["polls"]] == ["Week 2?"]
        assert [q["text"] for q in second["questions"]] == ["What is on for week 2?"]
    csv_result = await run_export(database, "--meeting", SERIES, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(csv_result.stdout.removeprefix("\ufeff"))))
    weeks = {(r["date"], r["text"]) for r in rows if r["section"] == "question"}
    assert weeks == {(first["date"], "What is on for week 1?"),
                     (second["date"], "What is on for week 2?")}


async def test_export_takes_the_id_on_the_summary_card_and_the_report_link(bot):
    card = await _weekly_meetings(bot)
    database = bot.client.app[SERVICES].storage.engine.url.database
    meeting_id = action(card, "summary.report_link")["data"]["meeting"]
    link = await bot.click(PEOPLE[0], "summary.report_link", {"meeting": meeting_id})
    url = next(a["url"] for a in walk(link["value"]) if a.get("type") == "Action.OpenUrl")
    for given in (meeting_id, url, url.rsplit("/", 1)[1]):  # the card's id, the link, its token
        result = await run_export(database, "--meeting", given)
        assert result.returncode == 0, result.stderr
        data = json.loads(result.stdout)
        (only,) = data["occurrences"]  # the meeting of that card, not the whole series
        assert only["id"] == meeting_id and only["title"] == "Weekly sync"
        assert [p["question"] for p in only["polls"]] == ["Week 2?"]


async def test_exported_times_go_no_finer_than_the_minute(bot):
    await _weekly_meetings(bot)
    database = bot.client.app[SERVICES].storage.engine.url.database
    result = await run_export(database, "--meeting", SERIES)
    times = times_in(json.loads(result.stdout))
    assert len(times) >= 8  # meetings, polls, questions
    assert all(MINUTE.match(moment) for moment in times), times


def test_a_report_token_never_starts_with_a_dash_so_the_export_command_takes_it_as_it_is():
    tokens = [report_token() for _ in range(5000)]  # about 78 would start with "-" otherwise
    assert not any(token.startswith("-") for token in tokens)
    assert all(TOKEN_SHAPE.fullmatch(token) for token in tokens) and len(set(tokens)) == 5000
