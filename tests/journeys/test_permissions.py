"""Who may run what, as declared in the registry: every route that is not open to everyone is
posted by an attendee and refused before anything changes; forms belong to whom they were
posted for."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.app import SERVICES, build_registry
from tests.journeys import items
from tests.journeys.helpers import actions, shared_card
from tests.journeys.items import ATTENDEE, ORGANIZER, Builder, database, posted
from tests.support.teams import BotUnderTest, Participant

MEETING = "MCMxOTptZWV0aW5nX1Blcm1pc3Npb25zQHRocmVhZC52MiMw"
MODERATORS = "Only the meeting's organizers and presenters"
STARTERS = "In a meeting, only its organizers and presenters can start this."
FORM = "This form was opened by someone else"
ASKER = "This button is for the person who asked."
PRESENTER = "Only your group's presenter submits its results."

# Routes anybody in the chat may use. A route missing here and from ATTEMPTS fails the check
# below, and so does one that became open to everyone.
OPEN_TO_EVERYONE = {"help", "ask", "poll.vote", "poll.change", "qna.upvote", "qna.all",
                    "qna.view", "breakout.join"}


@dataclass(frozen=True)
class Attempt:
    """An attendee trying a route on an item the organizer made (`text`: as a chat command)."""

    route: str
    build: Builder
    refusal: str
    text: str | None = None
    refusal_in_chats: str | None = None  # None: in group chats anyone may


def attempts() -> list[Attempt]:
    return [
        Attempt("poll", items.nothing, STARTERS, text="poll"),
        Attempt("poll", items.nothing, STARTERS, text="poll Lunch? | Pizza | Salad"),
        Attempt("poll.create", items.poll_form, STARTERS, refusal_in_chats=FORM),
        Attempt("poll.close", items.moderated_poll, MODERATORS, refusal_in_chats=MODERATORS),
        Attempt("poll.reopen", items.closed_poll, MODERATORS, refusal_in_chats=MODERATORS),
        Attempt("poll.reveal", items.moderated_poll, MODERATORS, refusal_in_chats=MODERATORS),
        Attempt("questions", items.nothing, STARTERS, text="questions"),
        Attempt("questions", items.open_board, STARTERS, text="questions reviewed",
                refusal_in_chats=MODERATORS),
        Attempt("qna.ask", items.duplicate_offer, ASKER, refusal_in_chats=ASKER),
        Attempt("qna.moderate", items.board, MODERATORS, refusal_in_chats=MODERATORS),
        Attempt("qna.approve", items.pending_question, MODERATORS, refusal_in_chats=MODERATORS),
        Attempt("qna.answering", items.moderated_question, MODERATORS,
                refusal_in_chats=MODERATORS),
        Attempt("qna.answered", items.moderated_question, MODERATORS,
                refusal_in_chats=MODERATORS),
        Attempt("qna.requeue", items.answering_question, MODERATORS,
                refusal_in_chats=MODERATORS),
        Attempt("qna.dismiss", items.moderated_question, MODERATORS,
                refusal_in_chats=MODERATORS),
        Attempt("qna.merge", items.two_questions, MODERATORS, refusal_in_chats=MODERATORS),
        Attempt("qna.mode", items.board_mode, MODERATORS, refusal_in_chats=MODERATORS),
        Attempt("breakout", items.nothing, STARTERS, text="breakout"),
        Attempt("breakout", items.nothing, STARTERS, text="breakout 2"),
        Attempt("breakout.create", items.breakout_form, STARTERS, refusal_in_chats=FORM),
        Attempt("breakout.update", items.draft, MODERATORS, refusal_in_chats=MODERATORS),
        Attempt("breakout.publish", items.draft, MODERATORS, refusal_in_chats=MODERATORS),
        Attempt("breakout.cancel", items.draft, MODERATORS, refusal_in_chats=MODERATORS),
        Attempt("breakout.extend", items.running, MODERATORS, refusal_in_chats=MODERATORS),
        Attempt("breakout.end", items.running, MODERATORS, refusal_in_chats=MODERATORS),
        Attempt("breakout.broadcast", items.running, MODERATORS, refusal_in_chats=MODERATORS),
        Attempt("breakout.reconvene", items.running, MODERATORS, refusal_in_chats=MODERATORS),
        Attempt("breakout.copy", items.running, MODERATORS, refusal_in_chats=MODERATORS),
        Attempt("breakout.report_form", items.report_form, PRESENTER,
                refusal_in_chats=PRESENTER),
        Attempt("breakout.report", items.report, PRESENTER, refusal_in_chats=PRESENTER),
        Attempt("summary", items.nothing, STARTERS, text="summary"),
        Attempt("summary.report_link", items.summary, "Only the meeting's organizers"),
    ]


ATTEMPTS = attempts()
CASES = [pytest.param(attempt, place, id=f"{place}: {attempt.text or attempt.route}")
         for attempt in ATTEMPTS for place in ("meeting", "group chat")
         if place == "meeting" or attempt.refusal_in_chats is not None]


def in_meeting(bot: BotUnderTest, *presenters: Participant) -> None:
    bot.chat.meeting_id = MEETING
    bot.connector.set_role(MEETING, ORGANIZER.aad_object_id, "Organizer")
    bot.connector.set_role(MEETING, ATTENDEE.aad_object_id, "Attendee")
    for presenter in presenters:
        bot.connector.set_role(MEETING, presenter.aad_object_id, "Presenter")


def test_the_attendee_journey_covers_every_route_that_is_not_open_to_everyone():
    registry = build_registry()
    routes = {c.name: c.who for c in registry.commands} | {v.name: v.who
                                                            for v in registry.routes}
    assert {name for name, who in routes.items() if who.everyone} == OPEN_TO_EVERYONE
    assert {name for name, who in routes.items() if not who.everyone} == {
        attempt.route for attempt in ATTEMPTS}


@pytest.mark.parametrize(("attempt", "place"), CASES)
async def test_an_attendee_is_refused_and_nothing_changes(bot, attempt: Attempt, place: str):
    if place == "meeting":
        in_meeting(bot)
    made = await attempt.build(bot)
    await bot.settle()
    tables, sent = database(bot), posted(bot)
    if attempt.text is not None:
        assert await bot.say(ATTENDEE, attempt.text) == 201
        await bot.settle()
        assert [kind for kind, *_ in posted(bot)[len(sent):]] == ["send"]  # the refusal only
        refusal = bot.connector.sent()[-1]["text"]
    else:
        answer = await bot.click(ATTENDEE, attempt.route, made.data)
        assert answer["type"] == "application/vnd.microsoft.activity.message", answer
        refusal = answer["value"]
        await bot.settle()
        assert posted(bot) == sent
    expected = attempt.refusal if place == "meeting" else attempt.refusal_in_chats
    assert expected is not None and expected in refusal
    assert database(bot) == tables


@pytest.mark.parametrize("command", ["poll", "breakout"])
async def test_in_a_group_chat_only_the_person_a_form_was_posted_for_can_send_it(
        bot, command: str):
    made = await (items.poll_form if command == "poll" else items.breakout_form)(bot)
    other = items.MEMBERS[0]
    refused = await bot.click(other, f"{command}.create", made.data)
    assert FORM in refused["value"]
    forged = await bot.click(other, f"{command}.create", {**made.data, "for": "0" * 24})
    assert FORM in forged["value"]
    await bot.settle()
    tables = database(bot)
    assert tables["poll"] == [] and tables["breakout"] == []
    accepted = await bot.click(ORGANIZER, f"{command}.create", made.data)
    assert FORM not in str(accepted["value"])
    await bot.settle()
    assert len(database(bot)["poll" if command == "poll" else "breakout"]) == 1


@pytest.mark.parametrize("command", ["poll", "breakout"])
async def test_in_a_meeting_an_attendee_cannot_send_the_organizers_form_and_a_presenter_can(
        bot, command: str):
    presenter = items.MEMBERS[1]
    in_meeting(bot, presenter)
    made = await (items.poll_form if command == "poll" else items.breakout_form)(bot)
    refused = await bot.click(ATTENDEE, f"{command}.create", made.data)
    assert STARTERS in refused["value"]
    await bot.settle()
    assert database(bot)["poll"] == [] and database(bot)["breakout"] == []
    accepted = await bot.click(presenter, f"{command}.create", made.data)
    assert STARTERS not in str(accepted["value"]) and FORM not in str(accepted["value"])
    await bot.settle()
    assert len(database(bot)["poll" if command == "poll" else "breakout"]) == 1


async def test_attendees_start_polls_in_meetings_when_the_deployment_says_so(bot):
    in_meeting(bot)
    bot.client.app[SERVICES].attendees_start = True
    assert await bot.say(ATTENDEE, "poll Lunch? | Pizza | Salad") == 201
    await bot.settle()
    card = shared_card(bot, bot.message_ids()[-1])
    poll = {"poll": actions(card)["poll.vote"]["data"]["poll"]}
    # Starting a poll makes nobody its moderator in a meeting: closing it is still refused.
    refused = await bot.click(ATTENDEE, "poll.close", poll)
    assert MODERATORS in refused["value"]
