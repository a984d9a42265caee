"""Breakouts through the real endpoint: draft, fair groups, private messages, timer, results."""

from __future__ import annotations

import json
import random
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from bot.app import SERVICES
from bot.housekeeping.scheduler import tell_breakout_groups
from facilitation.breakouts import pairs_of, repeated_pairs
from tests.journeys.helpers import all_actions, open_form, shared_card, texts_in
from tests.support.teams import Participant

MEETING = "MCMxOTptZWV0aW5nX0JyZWFrb3V0QHRocmVhZC52MiMw"
ROSTER = [Participant.numbered(i) for i in range(23)]


def teams_member(person: Participant) -> dict:
    return {"id": person.mri, "name": person.name, "aadObjectId": person.aad_object_id,
            "userRole": "user", "tenantId": "t"}



def action(card: dict, verb: str) -> dict:
    return next(a for a in all_actions(card) if a.get("verb") == verb)


def groups_on(card: dict) -> dict[int, list[str]]:
    """Group number -> member names, read off a draft or assignment card."""
    texts = texts_in(card)
    groups: dict[int, list[str]] = {}
    for index, text in enumerate(texts):
        match = re.fullmatch(r"(?:Group|Gruppe) (\d+)", text)
        if match and index + 1 < len(texts):
            following = texts[index + 1]
            if following.startswith(" · "):  # a topic run
                following = texts[index + 2]
            groups[int(match.group(1))] = following.split(", ")
    return groups


async def prepare(bot, who: Participant, command: str, **options) -> tuple[str, str]:
    """Post a breakout command; returns (round id, draft message id)."""
    before = len(bot.message_ids())
    assert await bot.say(who, command, **options) == 201
    await bot.settle()
    draft_id = bot.message_ids()[before]
    round_id = action(shared_card(bot, draft_id), "breakout.update")["data"]["breakout"]
    return round_id, draft_id


async def publish(bot, who: Participant, round_id: str) -> dict:
    """Publish the round; returns the assignment card posted into the chat (the private
    messages to each member go out at the same time, in any order)."""
    before = len(bot.connector.requests)
    answer = await bot.click(who, "breakout.publish", {"breakout": round_id})
    assert answer["type"] == "application/vnd.microsoft.activity.message", answer
    await bot.settle()
    new = [r.activity_id for r in bot.connector.requests[before:]
           if r.kind in ("send", "reply") and r.status < 300 and r.activity_id
           and r.conversation_id == bot.chat.conversation_id]
    return shared_card(bot, new[0])


def names_to_people() -> dict[str, Participant]:
    return {p.name: p for p in ROSTER}


async def test_a_roster_of_23_and_breakout_5_gives_five_groups_with_everyone_once(bot):
    bot.connector.set_members(bot.chat.conversation_id, [teams_member(p) for p in ROSTER])
    moderator = ROSTER[0]
    round_id, draft_id = await prepare(bot, moderator, "breakout 5")
    draft = shared_card(bot, draft_id)
    assert "23 members of this chat" in texts_in(draft)
    assert len(groups_on(draft)) == 5

    assignment = await publish(bot, moderator, round_id)
    groups = groups_on(assignment)
    assert sorted(groups) == [1, 2, 3, 4, 5]
    assert sorted(len(members) for members in groups.values()) == [4, 4, 5, 5, 5]
    everyone = [name for members in groups.values() for name in members]
    assert sorted(everyone) == sorted(p.name for p in ROSTER)
    assert any(text.startswith("presents: ") or "presents: " in text
               for text in texts_in(assignment))
    # Everyone is told privately (the app is installed for all of them here).
    assert len(bot.connector.private_messages()) == 23
    assert texts_in(shared_card(bot, draft_id)) == ["The groups are published below."]


async def test_a_second_round_repeats_fewer_pairs_than_a_random_shuffle(bot):
    bot.connector.set_members(bot.chat.conversation_id, [teams_member(p) for p in ROSTER])
    moderator, by_name = ROSTER[0], names_to_people()
    first_id, _ = await prepare(bot, moderator, "breakout 5")
    first = groups_on(await publish(bot, moderator, first_id))
    second_id, _ = await prepare(bot, moderator, "gruppen 5", locale="de-DE")
    second = groups_on(await publish(bot, moderator, second_id))

    def ids(groups):
        return [[by_name[name].mri for name in members] for members in groups.values()]

    history = pairs_of(ids(first))
    ours = repeated_pairs(ids(second), history)
    people = [p.mri for p in ROSTER]
    shuffles = []
    for seed in range(200):
        order = people[:]
        random.Random(seed).shuffle(order)
        shuffles.append(repeated_pairs([order[i::5] for i in range(5)], history))
    assert ours < sum(shuffles) / len(shuffles), (ours, sum(shuffles) / len(shuffles))


async def test_the_presenter_reports_back_and_the_results_wall_shows_every_group(bot):
    people = ROSTER[:8]
    bot.connector.set_members(bot.chat.conversation_id, [teams_member(p) for p in people])
    moderator, by_name = people[0], {p.name: p for p in people}
    round_id, _ = await prepare(bot, moderator, "breakout 2")
    assignment = await publish(bot, moderator, round_id)
    presenters = [text.split("presents: ")[1] for text in texts_in(assignment)
                  if "presents: " in text]
    presenter = by_name[presenters[0]]
    outsider = next(p for p in people if p.name not in presenters)

    refused = await bot.click(outsider, "breakout.report_form", {"breakout": round_id})
    assert "Only your group's presenter submits its results." in refused["value"]
    form = await bot.click(presenter, "breakout.report_form", {"breakout": round_id})
    group = action(form["value"], "breakout.report")["data"]["group"]
    done = await bot.click(presenter, "breakout.report", {
        "breakout": round_id, "group": group, "rz_point1": "Shorter stand-ups",
        "rz_point2": "A shared **glossary**", "rz_point3": "", "rz_note": "We liked the format."})
    assert "results are in" in done["value"]
    again = await bot.click(presenter, "breakout.report", {
        "breakout": round_id, "group": group, "rz_point1": "Another one"})
    assert "has submitted its results already" in again["value"]

    before = len(bot.message_ids())
    await bot.click(moderator, "breakout.reconvene", {"breakout": round_id})
    await bot.settle()
    wall = shared_card(bot, bot.message_ids()[before])
    wall_text = texts_in(wall)
    assert "Results · round 1" in wall_text
    assert "1 of 2 groups submitted results." in wall_text
    assert "• Shorter stand-ups" in wall_text and "• A shared **glossary**" in wall_text
    assert "No results submitted." in wall_text


async def test_the_timer_reminds_and_calls_time_and_the_moderator_can_extend(bot):
    people = ROSTER[:6]
    bot.connector.set_members(bot.chat.conversation_id, [teams_member(p) for p in people])
    moderator = people[0]
    _, draft_id = await prepare(bot, moderator, "breakout 2")
    draft = shared_card(bot, draft_id)
    round_id = action(draft, "breakout.update")["data"]["breakout"]
    await bot.click(moderator, "breakout.update", {"breakout": round_id, "rz_minutes": "10"})
    assignment = await publish(bot, moderator, round_id)
    assert any("{{TIME(" in text for text in texts_in(assignment))
    services = bot.client.app[SERVICES]
    real = services.clock
    services.clock = lambda: real() + timedelta(minutes=8, seconds=30)
    assert await tell_breakout_groups(services) == 1
    assert await tell_breakout_groups(services) == 0  # told once
    services.clock = lambda: real() + timedelta(minutes=11)
    assert await tell_breakout_groups(services) == 1
    await bot.click(moderator, "breakout.extend", {"breakout": round_id})
    await bot.settle()
    texts = bot.texts()
    assert "⏳ 2 minutes left in the breakout groups." in texts
    assert any(text.startswith("⏰ Time's up!") for text in texts)
    assert "The groups have 5 more minutes." in texts


async def test_people_present_in_the_meeting_are_used_when_teams_reports_joins(bot):
    bot.chat.meeting_id = MEETING
    organizer = ROSTER[0]
    bot.connector.set_role(MEETING, organizer.aad_object_id, "Organizer")
    bot.connector.set_members(bot.chat.conversation_id, [teams_member(p) for p in ROSTER])
    joined = ROSTER[:7]
    event = bot.chat.event(organizer, "meetingParticipantJoin", {"members": [
        {"user": {"id": p.mri, "name": p.name, "aadObjectId": p.aad_object_id},
         "meeting": {"inMeeting": True, "role": "Attendee"}} for p in joined]})
    status, _ = await bot.post(event)
    assert status in (200, 201)
    left = dict(event, value={"members": [{"user": {"id": joined[6].mri, "name": joined[6].name},
                                           "meeting": {"inMeeting": False}}]},
                name="application/vnd.microsoft.meetingParticipantLeave")
    await bot.post(left)
    _, draft_id = await prepare(bot, organizer, "breakout 2")
    draft = shared_card(bot, draft_id)
    assert "6 people present in the meeting" in texts_in(draft)


async def test_an_attendee_cannot_prepare_breakouts_in_a_meeting(bot):
    bot.chat.meeting_id = MEETING
    attendee = ROSTER[3]
    bot.connector.set_role(MEETING, attendee.aad_object_id, "Attendee")
    await bot.say(attendee, "breakout 3")
    await bot.settle()
    assert any("only its organizers and presenters can start this" in text for text in bot.texts())


async def test_without_a_roster_people_opt_in_with_im_in(bot):
    moderator = ROSTER[0]
    round_id, draft_id = await prepare(bot, moderator, "breakout 2")
    draft = shared_card(bot, draft_id)
    assert "0 people who clicked “I'm in”" in texts_in(draft)
    assert any("at least 2 people" in text for text in texts_in(draft))
    for person in ROSTER[:5]:
        answer = await bot.click(person, "breakout.join", {"breakout": round_id})
        assert "You're in." in texts_in(answer["value"])
    await bot.settle()
    assert len(groups_on(shared_card(bot, draft_id))) == 2


async def test_exclusions_and_keep_apart_are_honoured(bot):
    people = ROSTER[:10]
    bot.connector.set_members(bot.chat.conversation_id, [teams_member(p) for p in people])
    moderator = people[0]
    round_id, _ = await prepare(bot, moderator, "breakout 2")
    manager, reports = people[1], people[2:4]
    answer = await bot.click(moderator, "breakout.update", {
        "breakout": round_id, "rz_exclude": moderator.name,
        "rz_apart": f"{manager.name}, {reports[0].name}; {manager.name}, {reports[1].name}",
        "rz_topics": "Hiring\nOnboarding"})
    assert "Draft updated." in texts_in(answer["value"])
    groups = groups_on(await publish(bot, moderator, round_id))
    placed = [name for members in groups.values() for name in members]
    assert moderator.name not in placed and len(placed) == 9
    home = next(n for n, members in groups.items() if manager.name in members)
    assert reports[0].name not in groups[home] and reports[1].name not in groups[home]


@pytest.mark.parametrize(("command", "expected"), [
    ("breakout 0", "at least one group"),
    ("breakout abc", "Please give the number of groups"),
    ("breakout -2", "at least one group"),
])
async def test_bad_breakout_commands_get_a_clear_answer(bot, command, expected):
    await bot.say(ROSTER[0], command)
    await bot.settle()
    assert any(expected in text for text in bot.texts())


async def test_impossible_requests_are_explained_before_publishing(bot):
    people = ROSTER[:4]
    bot.connector.set_members(bot.chat.conversation_id, [teams_member(p) for p in people])
    moderator = people[0]
    round_id, draft_id = await prepare(bot, moderator, "breakout 6")
    assert any("6 groups need at least 6 people" in text
               for text in texts_in(shared_card(bot, draft_id)))
    refused = await bot.click(moderator, "breakout.publish", {"breakout": round_id})
    assert "6 groups need at least 6 people" in refused["value"]
    unknown = await bot.click(moderator, "breakout.update", {"breakout": round_id,
                                                             "rz_apart": "Nobody Known, Ghost"})
    assert "I don't know these people here: Nobody Known, Ghost" in unknown["value"]
    stranger = await bot.click(people[2], "breakout.publish", {"breakout": round_id})
    assert "Only the meeting's organizers" in stranger["value"]


async def test_the_form_prepares_a_draft_by_group_size_and_turns_into_a_note(bot):
    people = ROSTER[:9]
    bot.connector.set_members(bot.chat.conversation_id, [teams_member(p) for p in people])
    moderator = people[0]
    posted_for, form_id = await open_form(bot, moderator, "breakout")
    answer = await bot.click(moderator, "breakout.create", {
        **posted_for, "rz_split": "size", "rz_number": "3", "rz_topics": "Tools\nHiring",
        "rz_minutes": "10"},
        reply_to_id=form_id)
    assert answer["value"] == "The draft of the groups is below."
    await bot.settle()
    assert texts_in(shared_card(bot, form_id)) == ["The draft of the groups is below."]
    draft = shared_card(bot, bot.message_ids()[-1])
    assert sorted(len(members) for members in groups_on(draft).values()) == [3, 3, 3]
    bad = await bot.click(moderator, "breakout.create", {**posted_for, "rz_split": "size",
                                                         "rz_number": "1"})
    assert "A group needs at least 2 people." in " ".join(texts_in(bad["value"]))


@contextmanager
def at_each_commit(database: str) -> Iterator[list[tuple[list[tuple[int, int]], list[str]]]]:
    """At each commit of a unit of work: every round's (reminded, time_up_sent) and the texts
    of the messages waiting in the outgoing table; what a kill -9 just after it would leave."""
    seen: list[tuple[list[tuple[int, int]], list[str]]] = []

    def note(session: Session) -> None:
        with sqlite3.connect(database) as db:
            flags = db.execute("select reminded, time_up_sent from breakout").fetchall()
            texts = [json.loads(activity).get("text", "")
                     for (activity,) in db.execute("select activity from outgoing")]
        seen.append((flags, texts))

    event.listen(Session, "after_commit", note)
    try:
        yield seen
    finally:
        event.remove(Session, "after_commit", note)


async def _running_round(bot) -> tuple[Participant, str]:
    people = ROSTER[:4]
    bot.connector.set_members(bot.chat.conversation_id, [teams_member(p) for p in people])
    moderator = people[0]
    round_id, _ = await prepare(bot, moderator, "breakout 2")
    await bot.click(moderator, "breakout.update", {"breakout": round_id, "rz_minutes": "10"})
    await publish(bot, moderator, round_id)
    await bot.settle()
    return moderator, round_id


async def test_a_reminder_is_kept_in_the_commit_that_marks_the_round_reminded(bot, bot_settings):
    await _running_round(bot)
    services = bot.client.app[SERVICES]
    real = services.clock
    services.clock = lambda: real() + timedelta(minutes=8, seconds=30)
    with at_each_commit(bot_settings.database_url.removeprefix("sqlite:///")) as commits:
        assert await tell_breakout_groups(services) == 1
    marked = next(texts for flags, texts in commits if flags == [(1, 0)])
    assert marked == ["⏳ 2 minutes left in the breakout groups."]
    await bot.settle()
    assert bot.texts().count("⏳ 2 minutes left in the breakout groups.") == 1


async def test_end_now_keeps_times_up_in_the_commit_that_ends_the_round(bot, bot_settings):
    moderator, round_id = await _running_round(bot)
    with at_each_commit(bot_settings.database_url.removeprefix("sqlite:///")) as commits:
        await bot.click(moderator, "breakout.end", {"breakout": round_id})
    marked = next(texts for flags, texts in commits if flags == [(1, 1)])
    assert len(marked) == 1 and marked[0].startswith("⏰ Time's up!")
    await bot.settle()
    assert sum(text.startswith("⏰ Time's up!") for text in bot.texts()) == 1
