"""`resonanz export`: a meeting's polls and Q&A as JSON or CSV, aggregates only."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import subprocess
import sys
from typing import Any

from bot.app import SERVICES
from tests.journeys.helpers import create_poll, shared_card
from tests.journeys.test_qna_journey import ask, post_board, question_ids
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
