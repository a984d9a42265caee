"""Engagement summaries through the real endpoint: meetingEnd, on demand, report page, series,
retention."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.app import SERVICES
from bot.housekeeping.retention import purge_expired
from tests.journeys.helpers import create_poll, dump, shared_card, texts_in, walk
from tests.journeys.test_breakout_journey import action, prepare, publish, teams_member
from tests.journeys.test_qna_journey import ask, post_board, question_ids
from tests.support.scan import identifiers, leaks, sqlite_tables
from tests.support.teams import Participant

MEETING = "MCMxOTptZWV0aW5nX1N1bW1hcnlAdGhyZWFkLnYyIzA="
PEOPLE = [Participant.numbered(i) for i in range(12)]


def meeting_event(bot, name: str, value: dict, who: Participant = PEOPLE[0]) -> dict:
    return bot.chat.event(who, name, value)


async def start_meeting(bot, title: str = "Quarterly all-hands") -> None:
    bot.chat.meeting_id = MEETING
    bot.connector.set_role(MEETING, PEOPLE[0].aad_object_id, "Organizer")
    status, _ = await bot.post(meeting_event(bot, "meetingStart", {
        "Id": "19:meeting@thread.v2", "Title": title, "MeetingType": "Scheduled"}))
    assert status in (200, 201)
    joined = [{"user": {"id": p.mri, "name": p.name, "aadObjectId": p.aad_object_id},
               "meeting": {"inMeeting": True, "role": "Attendee"}} for p in PEOPLE]
    await bot.post(meeting_event(bot, "meetingParticipantJoin", {"members": joined}))


async def busy_meeting(bot) -> None:
    """Polls, questions and a breakout round with a report, as in a real meeting."""
    poll_id, _ = await create_poll(bot, PEOPLE[0], "poll How useful was the retro? | Very | "
                                                   "Somewhat | Not")
    for index, person in enumerate(PEOPLE[1:9]):
        await bot.click(person, "poll.vote", {"poll": poll_id, "rz_choice": str(index % 2)})
    board_id, card_id = await post_board(bot, PEOPLE[0])
    for person, question in zip(PEOPLE[1:6], [
            "When will the new office open?", "Is the new office close to the station?",
            "I am worried about the budget cuts", "Great quarter, thanks to the sales team!",
            "Why is the office move delayed again?"], strict=True):
        await ask(bot, person, board_id, question)
    await bot.settle()
    ids = question_ids(shared_card(bot, card_id))
    for person in PEOPLE[6:10]:
        await bot.click(person, "qna.upvote", {"board": board_id,
                                               "question": ids["When will the new office open?"]})
    bot.connector.set_members(bot.chat.conversation_id, [teams_member(p) for p in PEOPLE])
    round_id, _ = await prepare(bot, PEOPLE[0], "breakout 2")
    assignment = await publish(bot, PEOPLE[0], round_id)
    presenter_name = next(text.split("presents: ")[1] for text in texts_in(assignment)
                          if "presents: " in text)
    presenter = next(p for p in PEOPLE if p.name == presenter_name)
    form = await bot.click(presenter, "breakout.report_form", {"breakout": round_id})
    await bot.click(presenter, "breakout.report", {
        "breakout": round_id, "group": action(form["value"], "breakout.report")["data"]["group"],
        "rz_point1": "Shorter weekly syncs"})
    await bot.click(PEOPLE[0], "breakout.reconvene", {"breakout": round_id})
    await bot.settle()


async def end_meeting(bot) -> dict:
    before = await end_quietly(bot)
    return shared_card(bot, bot.message_ids()[before])


async def end_quietly(bot) -> int:
    """Teams reports the meeting's end; returns how many messages the chat had before."""
    before = len(bot.message_ids())
    status, _ = await bot.post(meeting_event(bot, "meetingEnd", {
        "Id": "19:meeting@thread.v2", "Title": "Quarterly all-hands", "EndTime": "now"}))
    assert status in (200, 201)
    await bot.settle()
    return before


async def test_meeting_end_posts_the_summary_card_with_every_part(bot):
    await start_meeting(bot)
    await busy_meeting(bot)
    card = await end_meeting(bot)
    text = " | ".join(texts_in(card))
    assert "Meeting summary" in text
    assert re.search(r"\d+ of 12 people took part", text), text
    assert "How useful was the retro?" in text
    assert "5 asked" in text
    assert "When will the new office open?" in text
    assert "Rounds: 1 · groups: 2 · with results: 1" in text
    assert "Shorter weekly syncs" in text
    assert "Measured: totals only." in text
    charts = [e for e in walk(card) if str(e.get("type", "")).startswith("Chart.")]
    assert charts and all("fallback" in chart for chart in charts)


async def test_no_participant_name_or_id_appears_on_the_card_or_the_report_page(bot):
    await start_meeting(bot)
    await busy_meeting(bot)
    card = await end_meeting(bot)
    meeting_id = action(card, "summary.report_link")["data"]["meeting"]
    link = await bot.click(PEOPLE[0], "summary.report_link", {"meeting": meeting_id})
    url = next(a["url"] for a in walk(link["value"]) if a.get("type") == "Action.OpenUrl")
    path = url.split("://", 1)[1].split("/", 1)[1]
    response = await bot.client.get("/" + path)
    assert response.status == 200
    page = await response.text()
    assert "<svg" in page
    found = leaks({"card": dump(card), "page": page}, identifiers(PEOPLE))
    assert not found, found


async def test_report_links_are_for_moderators_and_unknown_or_expired_links_get_404(bot):
    await start_meeting(bot)
    await bot.say(PEOPLE[0], "poll Lunch? | Pizza | Salad")
    await bot.settle()
    card = await end_meeting(bot)
    meeting_id = action(card, "summary.report_link")["data"]["meeting"]
    bot.connector.set_role(MEETING, PEOPLE[5].aad_object_id, "Attendee")
    refused = await bot.click(PEOPLE[5], "summary.report_link", {"meeting": meeting_id})
    assert "Only the meeting's organizers" in refused["value"]
    for path in ("/reports/nope", "/reports/" + "x" * 43, "/reports/" + "y" * 500):
        response = await bot.client.get(path)
        assert response.status == 404
        assert "does not exist or has expired" in await response.text()
    link = await bot.click(PEOPLE[0], "summary.report_link", {"meeting": meeting_id})
    url = next(a["url"] for a in walk(link["value"]) if a.get("type") == "Action.OpenUrl")
    services = bot.client.app[SERVICES]
    real = services.clock
    services.clock = lambda: real() + timedelta(hours=73)
    expired = await bot.client.get("/" + url.split("://", 1)[1].split("/", 1)[1])
    assert expired.status == 404


async def test_a_meeting_where_nothing_was_recorded_ends_without_a_summary_card(bot):
    """No card in the chat after every empty daily stand-up; `summary` still answers."""
    await start_meeting(bot)
    before = await end_quietly(bot)
    assert bot.message_ids()[before:] == []
    await bot.say(PEOPLE[0], "summary")
    await bot.settle()
    assert any("Nothing was recorded" in text for text in texts_in(bot.cards()[-1]))


async def test_a_summary_of_a_meeting_without_activity_is_friendly(bot):
    await bot.say(PEOPLE[0], "zusammenfassung", locale="de-DE")
    await bot.settle()
    card = bot.cards()[-1]
    assert any("wurde noch nichts erfasst" in text for text in texts_in(card))


async def test_malformed_meeting_end_payloads_are_answered_without_error(bot):
    for value in (None, "garbage", [], {"Title": 42}, {"members": "x"}):
        status, _ = await bot.post(meeting_event(bot, "meetingEnd", value))
        assert status in (200, 201)
    response = await bot.client.get("/healthz")
    assert response.status == 200


async def test_a_series_of_three_meetings_shows_trends_on_the_report(bot):
    services = bot.client.app[SERVICES]
    real = services.clock
    for week in range(3):
        services.clock = lambda week=week: real() + timedelta(days=7 * week)
        await start_meeting(bot, title=f"Weekly sync {week + 1}")
        poll_id, _ = await create_poll(bot, PEOPLE[0], f"poll Week {week + 1}? | Good | Bad")
        for person in PEOPLE[1:4 + week * 2]:
            await bot.click(person, "poll.vote", {"poll": poll_id, "rz_choice": "0"})
        card = await end_meeting(bot)
    meeting_id = action(card, "summary.report_link")["data"]["meeting"]
    link = await bot.click(PEOPLE[0], "summary.report_link", {"meeting": meeting_id})
    url = next(a["url"] for a in walk(link["value"]) if a.get("type") == "Action.OpenUrl")
    page = await (await bot.client.get("/" + url.split("://", 1)[1].split("/", 1)[1])).text()
    assert "Across the series" in page
    trends = page.split("Across the series", 1)[1]
    assert trends.count("<svg") >= 3  # people reached, questions, positive share
    series = await _series(services, bot.chat.conversation_id)
    assert [point.reached for point in series] == [3, 5, 7]


async def _series(services, conversation_id):
    from bot.summaries.gathering import build_summary

    async with services.storage.unit_of_work() as uow:
        latest = await uow.meetings.latest(conversation_id)
        # As the handlers do: with the participation keys this process holds, not yet written.
        summary = await build_summary(uow, latest, now=services.clock(),
                                      policy=services.policy,
                                      held=services.meetings.held(latest.id))
    return summary.trends


async def test_purge_removes_raw_texts_but_keeps_the_summary(bot, tmp_path):
    await start_meeting(bot)
    await busy_meeting(bot)
    await end_meeting(bot)
    services = bot.client.app[SERVICES]
    await set_constraints(services.storage)  # "keep apart / together" name people by Teams id
    assert await purge_expired(services.storage, now=services.clock() + timedelta(days=91),
                               retention_days=90, policy=services.policy) == 1
    tables = sqlite_tables(tmp_path / "resonanz.db")
    assert all(row_text == "" for row_text in (r[2] for r in tables["question"]))
    assert tables["breakout_member"] == []
    columns = [c for c in sqlite_columns(tmp_path / "resonanz.db", "breakout")
               if c in ("apart_json", "together_json")]
    assert len(columns) == 2
    assert all(value == "[]" for value in sqlite_values(tmp_path / "resonanz.db", "breakout",
                                                        columns))
    await bot.say(PEOPLE[0], "summary")
    await bot.settle()
    text = " | ".join(texts_in(bot.cards()[-1]))
    # The kept summary holds figures only: no poll or Q&A text, no group result, no title.
    assert "5 asked" in text and "Poll 1" in text and "8 votes" in text
    for gone in ("How useful was the retro?", "Very", "When will the new office open?",
                 "Shorter weekly syncs", "Quarterly all-hands"):
        assert gone not in text, gone


async def _cli(bot, *args: str):
    import asyncio
    import os
    import subprocess
    import sys

    database = bot.client.app[SERVICES].storage.engine.url.database
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "RESONANZ_SECRET": "x"}
    return await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "bot.cli", *args],
                                   env=env, capture_output=True, text=True, timeout=60,
                                   check=False)


async def test_export_has_breakout_results_and_deleting_a_meeting_removes_its_data(bot, tmp_path):
    import json

    await start_meeting(bot)
    await busy_meeting(bot)
    await end_meeting(bot)
    exported = await _cli(bot, "export", "--meeting", MEETING)
    assert exported.returncode == 0, exported.stderr
    data = json.loads(exported.stdout)
    points = [p for o in data["occurrences"] for r in o["breakouts"] for g in r["groups"]
              for p in g["points"]]
    assert points == ["Shorter weekly syncs"]
    assert not leaks({"export": exported.stdout},
                     [p.mri for p in PEOPLE] + [p.aad_object_id for p in PEOPLE])

    deleted = await _cli(bot, "purge", "--meeting", MEETING)
    assert deleted.returncode == 0, deleted.stderr
    assert "1 meetings deleted" in deleted.stdout
    tables = sqlite_tables(tmp_path / "resonanz.db")
    for table in ("poll", "ballot", "question", "upvote", "breakout", "breakout_member",
                  "breakout_report", "meeting", "participation"):
        assert tables[table] == [], table
    unknown = await _cli(bot, "purge", "--meeting", "no-such-meeting")
    assert unknown.returncode == 1 and "no meeting or chat" in unknown.stderr


async def test_the_purge_command_keeps_recent_meetings(bot):
    await start_meeting(bot)
    await end_quietly(bot)
    result = await _cli(bot, "purge")
    assert result.returncode == 0 and "0 meetings purged" in result.stdout


def sqlite_columns(path, table: str) -> list[str]:
    import sqlite3

    with sqlite3.connect(path) as connection:
        return [row[1] for row in connection.execute(f'pragma table_info("{table}")')]


def sqlite_values(path, table: str, columns: list[str]) -> list[object]:
    import sqlite3

    with sqlite3.connect(path) as connection:
        rows = connection.execute(f'select {", ".join(columns)} from "{table}"').fetchall()
    return [value for row in rows for value in row]



async def set_constraints(storage) -> None:
    from sqlalchemy import update

    from storage.tables import BreakoutRow

    async with storage.unit_of_work() as uow:
        await uow.session.execute(update(BreakoutRow).values(
            apart_json='[["29:a", "29:b"]]', together_json='[["29:c", "29:d"]]'))
        await uow.commit()


async def test_a_vote_after_the_meeting_ended_counts_for_it_and_writes_no_meeting_row(
        bot, tmp_path):
    """A poll still open after meetingEnd: its next vote used to start a new meeting in the
    ballot's own transaction, writing that vote's moment (`meeting.started_at`) with it."""
    await start_meeting(bot)
    poll_id, _ = await create_poll(bot, PEOPLE[0], "poll Still open? | Yes | No")
    await bot.click(PEOPLE[1], "poll.vote", {"poll": poll_id, "rz_choice": "0"})
    await end_meeting(bot)
    before = sqlite_values(tmp_path / "resonanz.db", "meeting", ["id", "started_at"])
    await bot.click(PEOPLE[2], "poll.vote", {"poll": poll_id, "rz_choice": "1"})
    await bot.settle()
    assert sqlite_values(tmp_path / "resonanz.db", "meeting", ["id", "started_at"]) == before
