"""Retention and `purge --meeting` leave nothing of a meeting's texts or people behind: a
scripted meeting through the real endpoint, then the purge, then a scan of the database
files' raw bytes (SQLite) or of every text column of every table (PostgreSQL)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import String, Text, inspect, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.app import SERVICES
from bot.housekeeping.retention import delete_meeting, purge_expired
from bot.summaries.report_page import render_report_page
from storage.tables import PollRow
from tests.journeys.helpers import (
    actions,
    create_poll,
    dump,
    open_form,
    shared_card,
    texts_in,
    walk,
)
from tests.journeys.test_breakout_journey import action, prepare, publish, teams_member
from tests.journeys.test_qna_journey import ask, post_board, question_ids
from tests.support.scan import identifiers, leaks, sqlite_files_text, sqlite_tables
from tests.support.teams import BotUnderTest, Participant, settings_for_tests, start_bot

MEETING = "MCMxOTptZWV0aW5nX1JldGVudGlvbkB0aHJlYWQudjIjMA=="
CHAT = "19:meeting_UmV0ZW50aW9uU2Nhbm5lZA@thread.v2"
TITLE = "Budget talk with Ottilie Quenby"
PEOPLE = [Participant.numbered(i) for i in range(40, 52)]
NAMED_ASKER = PEOPLE[4]
NAMED = "Ottilie Quenby"  # a colleague named in a group's result and the meeting's title
TEXTS = [
    TITLE,
    "Which roadmap item deserves the spare sprint?", "Mobile checkout revamp",
    "Warehouse scanner rollout",
    "Who volunteers to host the offsite?", "Volunteer myself", "Someone else please",
    "Describe the offsite in a few words?", "Lakeside cabins with canoes",
    "Rooftop bouldering session",
    "Why did the Zwickau depot budget shrink again?",
    "Can we publish the hiring freeze criteria?",
    "Will the Lisbon contractors keep their laptops?",
    "Could facilities fix the flickering lights on floor seven?",
    f"Ask {NAMED} about the vendor shortlist", "Quenby negotiates the freight contract",
]
ASKED = TEXTS[10:14]


# ---------------------------------------------------------------------------- the meeting


async def scripted_meeting(bot: BotUnderTest) -> None:
    """A poll with votes, a named poll, an open-text poll, anonymous and named questions with
    upvotes, a breakout round whose result names a colleague, and join events with names and
    Entra ids; the meeting ends with Teams' meetingEnd."""
    bot.chat.conversation_id = CHAT
    bot.chat.meeting_id = MEETING
    host = PEOPLE[0]
    bot.connector.set_role(MEETING, host.aad_object_id, "Organizer")
    await bot.post(bot.chat.event(host, "meetingStart", {"Id": "x", "Title": TITLE}))
    joined = [{"user": {"id": p.mri, "name": p.name, "aadObjectId": p.aad_object_id},
               "meeting": {"inMeeting": True, "role": "Attendee"}} for p in PEOPLE]
    await bot.post(bot.chat.event(host, "meetingParticipantJoin", {"members": joined}))
    poll_id, _ = await create_poll(bot, host, f"poll {TEXTS[1]} | {TEXTS[2]} | {TEXTS[3]}")
    for index, person in enumerate(PEOPLE[1:9]):
        await bot.click(person, "poll.vote", {"poll": poll_id, "rz_choice": str(index % 2)})
    await named_and_open_polls(bot, host)
    board_id, card_id = await post_board(bot, host)
    for person, question in zip(PEOPLE[3:7], ASKED, strict=True):
        await ask(bot, person, board_id, question, named=person == NAMED_ASKER)
    await bot.settle()
    ids = question_ids(shared_card(bot, card_id))
    for person in PEOPLE[6:10]:
        await bot.click(person, "qna.upvote", {"board": board_id, "question": ids[ASKED[0]]})
    await breakout_with_result(bot, host)
    await bot.post(bot.chat.event(host, "meetingEnd", {"Id": "x", "Title": TITLE}))
    await bot.settle()


async def form_poll(bot: BotUnderTest, host: Participant, question: str, options: str = "",
                    *, kind: str = "single", anonymous: str = "true") -> str:
    """A poll made with the creation form; returns its id."""
    posted_for, _ = await open_form(bot, host)
    await bot.click(host, "poll.create", {**posted_for, **{
        "rz_question": question, "rz_options": options, "rz_kind": kind,
        "rz_anonymous": anonymous, "rz_results": "live", "rz_minutes": ""}})
    await bot.settle()
    return str(actions(shared_card(bot, bot.message_ids()[-1]))["poll.vote"]["data"]["poll"])


async def named_and_open_polls(bot: BotUnderTest, host: Participant) -> None:
    named = await form_poll(bot, host, TEXTS[4], f"{TEXTS[5]}\n{TEXTS[6]}", anonymous="false")
    for person in PEOPLE[1:5]:
        await bot.click(person, "poll.vote", {"poll": named, "rz_choice": "0"})
    text_poll = await form_poll(bot, host, TEXTS[7], kind="text")
    for person, answer in zip(PEOPLE[1:7], [TEXTS[8]] * 3 + [TEXTS[9]] * 3, strict=True):
        await bot.click(person, "poll.vote", {"poll": text_poll, "rz_text": answer})
    await bot.click(host, "poll.close", {"poll": text_poll})


async def breakout_with_result(bot: BotUnderTest, host: Participant) -> None:
    bot.connector.set_members(bot.chat.conversation_id, [teams_member(p) for p in PEOPLE])
    round_id, _ = await prepare(bot, host, "breakout 2")
    assignment = await publish(bot, host, round_id)
    presenter_name = next(text.split("presents: ")[1] for text in texts_in(assignment)
                          if "presents: " in text)
    presenter = next(p for p in PEOPLE if p.name == presenter_name)
    form = await bot.click(presenter, "breakout.report_form", {"breakout": round_id})
    await bot.click(presenter, "breakout.report", {
        "breakout": round_id, "group": action(form["value"], "breakout.report")["data"]["group"],
        "rz_point1": TEXTS[14], "rz_note": TEXTS[15]})
    await bot.click(host, "breakout.reconvene", {"breakout": round_id})
    await bot.settle()


def needles(*, ids: bool = True) -> list[str]:
    """Every name, id and text of the scripted meeting (with `ids`, the chat's and the
    meeting's ids too)."""
    found = identifiers(PEOPLE) + TEXTS + [NAMED, "Quenby"]
    return found + ([CHAT, MEETING] if ids else [])


async def stop(bot: BotUnderTest) -> None:
    await bot.client.close()
    await bot.connector.stop()


async def cli(database: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "RESONANZ_SECRET": "x"}
    return await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "bot.cli", *args],
                                   env=env, capture_output=True, text=True, timeout=60,
                                   check=False)


@pytest.fixture
async def sqlite_bot(tmp_path: Path):
    bot, _ = await start_bot(settings_for_tests(tmp_path))
    yield bot
    await stop(bot)  # again, should a test fail before it stopped the bot


# ---------------------------------------------------------------------------- SQLite


async def test_purge_meeting_leaves_no_name_id_or_text_in_the_sqlite_files(sqlite_bot, tmp_path):
    bot = sqlite_bot
    database = tmp_path / "resonanz.db"
    await scripted_meeting(bot)
    before = leaks({"files": sqlite_files_text(database)}, needles())
    assert len(before) >= len(needles()) - 2, before  # the scan sees what the meeting wrote

    deleted = await cli(database, "purge", "--meeting", MEETING)
    assert deleted.returncode == 0, deleted.stderr
    assert "1 meetings deleted" in deleted.stdout
    await stop(bot)

    found = leaks({"files": sqlite_files_text(database)}, needles())
    assert not found, found
    tables = sqlite_tables(database)
    for table in ("chat", "poll", "ballot", "poll_disclosure", "qna_board", "question",
                  "upvote", "presence", "breakout", "breakout_member", "breakout_report",
                  "meeting", "participation", "report_link"):
        assert tables[table] == [], table


@pytest.mark.parametrize("given", [CHAT, MEETING], ids=["chat id", "Teams meeting id"])
async def test_purge_by_a_chat_or_teams_meeting_id_deletes_all_that_export_gives_of_the_chat(
        sqlite_bot, tmp_path, given):
    """`export` and `purge --meeting` read an id alike: a chat id and the Teams meeting id name
    the chat, so a poll made after the meeting's end is exported with it, and purged with it
    (with the chat)."""
    bot = sqlite_bot
    database = tmp_path / "resonanz.db"
    await scripted_meeting(bot)
    await create_poll(bot, PEOPLE[0], "poll Lunch after the meeting? | Pasta | Sushi")
    exported = await cli(database, "export", "--meeting", given, "--format", "json")
    assert exported.returncode == 0, exported.stderr
    assert "Lunch after the meeting?" in exported.stdout
    deleted = await cli(database, "purge", "--meeting", given)
    assert deleted.returncode == 0, deleted.stderr
    # The poll after the end started the chat's next meeting: two meetings, and the chat.
    assert "2 meetings deleted, and the chat with everything in it" in deleted.stdout
    await stop(bot)
    found = leaks({"files": sqlite_files_text(database)},
                  [*needles(), "Lunch after the meeting?"])
    assert not found, found
    assert sqlite_tables(database)["poll"] == sqlite_tables(database)["chat"] == []


async def test_purge_by_the_report_link_deletes_that_meeting(sqlite_bot, tmp_path):
    bot = sqlite_bot
    database = tmp_path / "resonanz.db"
    await scripted_meeting(bot)
    cards = [shared_card(bot, message) for message in bot.message_ids()]
    card = next(c for c in reversed(cards) if "summary.report_link" in actions(c))
    meeting_id = actions(card)["summary.report_link"]["data"]["meeting"]
    link = await bot.click(PEOPLE[0], "summary.report_link", {"meeting": meeting_id})
    url = next(a["url"] for a in walk(link["value"]) if a.get("type") == "Action.OpenUrl")
    deleted = await cli(database, "purge", "--meeting", url)
    assert deleted.returncode == 0, deleted.stderr
    assert "1 meetings deleted" in deleted.stdout
    await stop(bot)
    found = leaks({"files": sqlite_files_text(database)}, needles())
    assert not found, found


async def test_after_the_retention_period_the_files_hold_aggregates_only(sqlite_bot, tmp_path):
    bot = sqlite_bot
    database = tmp_path / "resonanz.db"
    await scripted_meeting(bot)
    assert len(leaks({"files": sqlite_files_text(database)}, needles(ids=False))) >= len(
        needles(ids=False)) - 2
    services = bot.client.app[SERVICES]
    async with services.storage.unit_of_work() as uow:
        meeting = await uow.meetings.latest(CHAT)
        assert meeting is not None
        await uow.meetings.add_link("ab" * 32, meeting.id, "en",
                                    services.clock() + timedelta(hours=72))
        await uow.commit()
    later = services.clock() + timedelta(days=91)
    assert await purge_expired(services.storage, now=later, retention_days=90,
                               policy=services.policy) == 1
    assert sqlite_tables(database)["report_link"] == []  # expired links go too
    services.clock = lambda: later
    await bot.say(PEOPLE[0], "summary")
    await bot.settle()
    card = bot.cards()[-1]
    page = await _kept_report_page(services)
    await stop(bot)

    # The chat and its meeting keep their ids (the kept summary belongs to them); nothing
    # else of the meeting remains: no name, no Teams or Entra id, no text.
    found = leaks({"files": sqlite_files_text(database), "card": dump(card), "page": page},
                  needles(ids=False))
    assert not found, found
    text = " | ".join(texts_in(card))
    assert "9 of 12 people took part" in text or "of 12 people took part" in text, text
    assert "Poll 1" in text and "Poll 3" in text and "8 votes" in text
    assert "#1: " in text and "#2: " in text  # the options' places, with their counts
    assert "4 asked" in text, text
    assert "Rounds: 1 · groups: 2 · with results: 1" in text
    assert "texts and names were deleted" in text
    assert "Poll 1" in page and "were deleted" in page and "<svg" in page


async def _kept_report_page(services) -> str:
    from bot.summaries.gathering import build_summary

    async with services.storage.unit_of_work() as uow:
        meeting = await uow.meetings.latest(CHAT)
        assert meeting is not None and meeting.purged
        summary = await build_summary(uow, meeting, now=services.clock(),
                                      policy=services.policy)
    assert summary.texts_removed and summary.trends  # the series still works
    return render_report_page(summary, language="en", policy=services.policy)


async def test_presence_goes_after_the_retention_period_without_meeting_end(sqlite_bot,
                                                                             tmp_path):
    bot = sqlite_bot
    database = tmp_path / "resonanz.db"
    bot.chat.conversation_id, bot.chat.meeting_id = CHAT, MEETING
    joined = [{"user": {"id": p.mri, "name": p.name, "aadObjectId": p.aad_object_id}}
              for p in PEOPLE]
    await bot.post(bot.chat.event(PEOPLE[0], "meetingParticipantJoin", {"members": joined}))
    services = bot.client.app[SERVICES]
    now = services.clock()
    await purge_expired(services.storage, now=now + timedelta(hours=1), retention_days=90,
                        policy=services.policy)  # the daily purge sees the list
    await purge_expired(services.storage, now=now + timedelta(days=80), retention_days=90,
                        policy=services.policy)
    assert len(sqlite_tables(database)["presence"]) == len(PEOPLE)  # not yet
    await purge_expired(services.storage, now=now + timedelta(days=91), retention_days=90,
                        policy=services.policy)
    await stop(bot)
    assert sqlite_tables(database)["presence"] == []
    found = leaks({"files": sqlite_files_text(database)}, identifiers(PEOPLE))
    assert not found, found


async def test_a_chat_without_meeting_events_is_purged_item_by_item(sqlite_bot, tmp_path):
    bot = sqlite_bot
    database = tmp_path / "resonanz.db"
    bot.chat.conversation_id = "19:groupchat_without_meetings@thread.v2"
    services = bot.client.app[SERVICES]
    start = services.clock()
    old_poll, _ = await create_poll(bot, PEOPLE[0], f"poll {TEXTS[1]} | {TEXTS[2]} | {TEXTS[3]}")
    for person in PEOPLE[1:5]:
        await bot.click(person, "poll.vote", {"poll": old_poll, "rz_choice": "0"})
    board_id, _ = await post_board(bot, PEOPLE[0])
    await ask(bot, PEOPLE[1], board_id, ASKED[0])
    await ask(bot, NAMED_ASKER, board_id, ASKED[1], named=True)
    await breakout_with_result(bot, PEOPLE[0])
    services.clock = lambda: start + timedelta(days=60)
    await create_poll(bot, PEOPLE[0], "poll Still recent enough? | Yes | No")
    await ask(bot, PEOPLE[3], board_id, "A question from two months later")
    await bot.settle()
    old = [*TEXTS[1:4], *ASKED[:2], *TEXTS[14:16], NAMED_ASKER.name]
    assert len(leaks({"files": sqlite_files_text(database)}, old)) == len(old)
    await purge_expired(services.storage, now=start + timedelta(days=91), retention_days=90,
                        policy=services.policy)
    await stop(bot)
    found = leaks({"files": sqlite_files_text(database)}, old)
    assert not found, found
    text = sqlite_files_text(database)
    assert "Still recent enough?" in text and "A question from two months later" in text


# ---------------------------------------------------------------------------- PostgreSQL


async def text_values(connection: AsyncConnection) -> str:
    """Every value of every text column of every table, as one string."""

    def columns(sync) -> dict[str, list[str]]:
        inspector = inspect(sync)
        return {table: [c["name"] for c in inspector.get_columns(table)
                        if isinstance(c["type"], String | Text)]
                for table in inspector.get_table_names()}

    from sqlalchemy import column, table

    found: list[str] = []
    for name, names in (await connection.run_sync(columns)).items():
        if not names:
            continue
        rows = await connection.execute(select(*(column(n) for n in names))
                                        .select_from(table(name)))
        found += [str(value) for row in rows for value in row if value is not None]
    return "\n".join(found)


async def _on_postgresql(tmp_path: Path, postgres_url: str, purge) -> str:
    bot, _ = await start_bot(settings_for_tests(tmp_path, database_url=postgres_url))
    try:
        await scripted_meeting(bot)
        services = bot.client.app[SERVICES]
        async with services.storage.engine.connect() as connection:
            before = await text_values(connection)
        assert len(leaks({"db": before}, needles())) >= len(needles()) - 2
        await purge(services)
        async with services.storage.engine.connect() as connection:
            return await text_values(connection)
    finally:
        await stop(bot)


@pytest.mark.postgres
async def test_purge_meeting_leaves_no_name_id_or_text_on_postgresql(tmp_path, postgres_url):
    async def purge(services):
        assert (await delete_meeting(services.storage, MEETING, now=services.clock())).meetings

    found = leaks({"db": await _on_postgresql(tmp_path, postgres_url, purge)}, needles())
    assert not found, found


@pytest.mark.postgres
async def test_retention_leaves_aggregates_only_on_postgresql(tmp_path, postgres_url):
    async def purge(services):
        assert await purge_expired(services.storage, now=services.clock() + timedelta(days=91),
                                   retention_days=90, policy=services.policy) == 1

    found = leaks({"db": await _on_postgresql(tmp_path, postgres_url, purge)},
                  needles(ids=False))
    assert not found, found



async def test_a_summary_kept_with_its_texts_by_an_earlier_version_is_reduced(sqlite_bot,
                                                                              tmp_path):
    bot = sqlite_bot
    database = tmp_path / "resonanz.db"
    await scripted_meeting(bot)
    services = bot.client.app[SERVICES]
    async with services.storage.unit_of_work() as uow:
        meeting = await uow.meetings.latest(CHAT)
        assert meeting is not None and meeting.summary_json
        with_texts = meeting.summary_json
        assert ASKED[0] in with_texts  # kept at meetingEnd, texts and all
    later = services.clock() + timedelta(days=91)
    await purge_expired(services.storage, now=later, retention_days=90, policy=services.policy)
    async with services.storage.unit_of_work() as uow:  # as an earlier version left it
        await uow.meetings.keep_summary(meeting.id, with_texts)
        await uow.meetings.set_title(meeting.id, TITLE)
        await uow.session.execute(update(PollRow).values(question=TEXTS[1]))
        await uow.commit()
    await purge_expired(services.storage, now=later, retention_days=90, policy=services.policy)
    await stop(bot)
    found = leaks({"files": sqlite_files_text(database)}, needles(ids=False))
    assert not found, found
