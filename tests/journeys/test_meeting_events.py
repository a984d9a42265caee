"""Teams' meeting events act only in their own conversation and tenant: an event naming a chat
known under another tenant changes nothing and gets no answer, and an event from another
conversation that names a victim chat's meeting id leaves that meeting alone (its presence
list, its attendee count, its end and its summary)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from tests.journeys import items
from tests.journeys.helpers import shared_card, texts_in
from tests.journeys.items import database, posted
from tests.journeys.test_breakout_journey import prepare, publish
from tests.journeys.test_summary_journey import MEETING, PEOPLE, start_meeting
from tests.support.scan import identifiers
from tests.support.teams import BotUnderTest, Chat, Participant

OTHER_TENANT = "9f3e2d1c-other-tenant"
ELSEWHERE = "This card belongs to another chat, so I did nothing."
MALLORY = Participant.numbered(66)


def joined(*people: Participant) -> dict[str, Any]:
    return {"members": [{"user": {"id": p.mri, "name": p.name, "aadObjectId": p.aad_object_id},
                         "meeting": {"inMeeting": True, "role": "Attendee"}} for p in people]}


def left(*people: Participant) -> dict[str, Any]:
    return {"members": [{"user": {"id": p.mri, "name": p.name},
                         "meeting": {"inMeeting": False}} for p in people]}


EVENTS: dict[str, dict[str, Any]] = {
    "meetingStart": {"Id": "19:meeting@thread.v2", "Title": "Taken over", "MeetingType": "x"},
    "meetingEnd": {"Id": "19:meeting@thread.v2", "Title": "Taken over", "EndTime": "now"},
    "meetingParticipantJoin": joined(MALLORY),
    "meetingParticipantLeave": left(*PEOPLE[1:]),
}


async def victim_meeting(bot: BotUnderTest) -> items.Made:
    """The victim chat in a running meeting: twelve people present and an open poll."""
    await start_meeting(bot)
    made = await items.vote(bot)
    await bot.settle()
    return made


@pytest.mark.parametrize("name", sorted(EVENTS))
async def test_an_event_from_another_tenant_for_a_known_chat_changes_nothing(
        bot, log_lines: list[str], name: str):
    made = await victim_meeting(bot)
    tables, sent = database(bot), posted(bot)
    other = replace(bot.chat, tenant_id=OTHER_TENANT)
    log_lines.clear()
    status, body = await bot.post(other.event(MALLORY, name, EVENTS[name]))
    assert status in (200, 201) and not body
    await bot.settle()
    assert posted(bot) == sent  # no answer, no summary, no edit
    assert database(bot) == tables  # the chat keeps its tenant; no meeting ended or started
    refusals = [line for line in log_lines if f"meeting event {name} refused" in line]
    assert len(refusals) == 1
    ids = [bot.chat.conversation_id, bot.chat.tenant_id, OTHER_TENANT, MEETING,
           *identifiers([MALLORY, *PEOPLE])]
    assert [needle for needle in ids if needle in refusals[0]] == []
    # The chat is still the victim tenant's: the other tenant's vote is refused, its own counts.
    _, answer = await bot.post(other.click(PEOPLE[3], "poll.vote", made.data))
    assert ELSEWHERE in answer["value"]
    answer = await bot.click(made.rightful, "poll.vote", made.data)
    assert ELSEWHERE not in str(answer["value"])


async def test_an_event_of_a_chat_not_known_yet_is_handled(bot):
    """The first activity of a chat may be Teams' meetingStart: it makes the chat known."""
    fresh = Chat(service_url=bot.chat.service_url, conversation_id="19:new-chat@thread.v2",
                 meeting_id=MEETING)
    status, _ = await bot.post(fresh.event(PEOPLE[0], "meetingStart", EVENTS["meetingStart"]))
    assert status in (200, 201)
    tables = database(bot)
    assert [row[0] for row in tables["chat"]] == [fresh.conversation_id]
    assert len(tables["meeting"]) == 1


@pytest.mark.parametrize("tenant", ["same tenant", "another tenant"])
async def test_events_in_another_chat_naming_the_victims_meeting_leave_that_meeting_alone(
        bot, tenant: str):
    """Join, leave and end events from another conversation that carry the victim chat's
    meeting id count only in their own chat: the victim's presence list, its count of people
    present, its meeting and its chat are as they were, and a breakout there neither lists
    nor messages the attacker."""
    await victim_meeting(bot)
    victim = bot.chat
    attacker = replace(victim, conversation_id="19:attacker-chat@thread.v2",
                       tenant_id=victim.tenant_id if tenant == "same tenant" else OTHER_TENANT)
    victims_rows = {name: [row for row in rows if victim.conversation_id in row]
                    for name, rows in database(bot).items()}
    sent = posted(bot)
    for name in ("meetingParticipantJoin", "meetingParticipantLeave", "meetingEnd"):
        status, _ = await bot.post(attacker.event(MALLORY, name, EVENTS[name]))
        assert status in (200, 201)
    await bot.settle()
    assert {name: [row for row in rows if victim.conversation_id in row]
            for name, rows in database(bot).items()} == victims_rows
    assert [r for r in posted(bot)[len(sent):] if r[1] == victim.conversation_id] == []
    # In the victim chat, the twelve people Teams reported there are present, and no one else.
    summary = await bot.say(PEOPLE[0], "summary")
    assert summary == 201
    await bot.settle()
    assert any("of 12 people took part" in text for text in texts_in(bot.cards()[-1]))
    bot.connector.set_role(MEETING, PEOPLE[0].aad_object_id, "Organizer")
    round_id, draft_id = await prepare(bot, PEOPLE[0], "breakout 2")
    draft = texts_in(shared_card(bot, draft_id))
    assert "12 people present in the meeting" in draft
    assert MALLORY.name not in str(draft)
    before = len(bot.connector.requests)
    await publish(bot, PEOPLE[0], round_id)
    await bot.settle()
    assert MALLORY.mri not in str([r.body for r in bot.connector.requests[before:]])
