"""Card ids from one chat are worth nothing elsewhere: every card verb clicked from another
conversation or another tenant, with a real id from a victim chat's card, is refused and
changes, sends and reveals nothing; edits of a shared card go to its own chat's address."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.app import build_registry
from devtools.local_connector import LocalConnector
from tests.journeys import items
from tests.journeys.helpers import shared_card
from tests.journeys.items import (
    ORGANIZER,
    OTHER_QUESTION,
    QUESTION,
    Builder,
    Made,
    database,
    posted,
)
from tests.support.teams import BotUnderTest, Participant

VICTIM_MEETING = "MCMxOTptZWV0aW5nX1ZpY3RpbUB0aHJlYWQudjIjMA=="
OTHER_MEETING = "MCMxOTptZWV0aW5nX090aGVyQHRocmVhZC52MiMw"
ELSEWHERE = "This card belongs to another chat, so I did nothing."
FOREIGN = "This chat belongs to another organisation than yours, so I did nothing here."
ANOTHER_TENANT = "9f3e2d1c-other-tenant"


def organizer(build: Builder) -> Builder:
    """The same item, clicked by the organizer (who moderates it where it is)."""
    async def made(bot: BotUnderTest) -> Made:
        return replace(await build(bot), rightful=ORGANIZER)
    return made


# Every verb that acts on an item, with a victim item in a state where the click would work
# in the victim's chat, and the person who may click it there.
VERBS: dict[str, Builder] = {
    "poll.vote": items.vote,
    "poll.change": items.named_poll_voted,
    "poll.close": items.moderated_poll,
    "poll.reopen": items.closed_poll,
    "poll.reveal": items.moderated_poll,
    "qna.ask": items.ask_on_board,
    "qna.upvote": items.upvote,
    "qna.all": items.board,
    "qna.view": items.board,
    "qna.moderate": organizer(items.board),
    "qna.approve": items.pending_question,
    "qna.answering": items.moderated_question,
    "qna.answered": items.moderated_question,
    "qna.requeue": items.answering_question,
    "qna.dismiss": items.moderated_question,
    "qna.merge": items.two_questions,
    "qna.mode": items.board_mode,
    "breakout.join": items.joinable_draft,
    "breakout.update": items.draft,
    "breakout.publish": items.draft,
    "breakout.cancel": items.draft,
    "breakout.extend": items.running,
    "breakout.end": items.running,
    "breakout.broadcast": items.running,
    "breakout.reconvene": items.running,
    "breakout.copy": items.running,
    "breakout.report_form": items.report_form,
    "breakout.report": items.report,
    "summary.report_link": items.summary,
}
# Forms carry no item: what they create lands in the chat they are sent from.
FORMS = {"poll.create", "breakout.create"}
FORM_BUILDERS: dict[str, Builder] = {"poll.create": items.poll_form,
                                     "breakout.create": items.breakout_form}
# Every command, as someone would type it to act (the organizer may, where the chat is).
COMMANDS = {"help": "help", "ask": "ask Is this question injected?", "summary": "summary",
            "poll": "poll Injected? | Yes | No", "questions": "questions reviewed",
            "breakout": "breakout 2"}


def test_every_route_is_tried_from_elsewhere():
    registry = build_registry()
    assert {v.name for v in registry.routes if v.item is not None} == set(VERBS)
    assert {v.name for v in registry.routes if v.item is None} == FORMS == set(FORM_BUILDERS)
    assert {c.name for c in registry.commands} == set(COMMANDS)


def victim_meeting(bot: BotUnderTest, *people: Participant) -> None:
    """The victim chat is a meeting; Teams would call these people its organizers, so only
    the place of the click stands between them and the victim's items."""
    bot.chat.meeting_id = VICTIM_MEETING
    for person in (ORGANIZER, *people):
        bot.connector.set_role(VICTIM_MEETING, person.aad_object_id, "Organizer")


@pytest.mark.parametrize("verb", sorted(VERBS))
async def test_a_click_from_another_chat_or_tenant_is_refused_and_changes_nothing(
        bot, verb: str):
    victim_meeting(bot, *items.MEMBERS, items.ATTENDEE)
    made = await VERBS[verb](bot)
    await bot.settle()
    tables, sent = database(bot), posted(bot)
    elsewhere = {
        "another conversation": replace(bot.chat, conversation_id="19:other-chat@thread.v2",
                                        meeting_id=OTHER_MEETING),
        "another tenant": replace(bot.chat, tenant_id="9f3e2d1c-other-tenant"),
        "another tenant's chat": replace(bot.chat, conversation_id="19:their-chat@thread.v2",
                                         tenant_id="9f3e2d1c-other-tenant", meeting_id=None),
    }
    for where, chat in elsewhere.items():
        status, answer = await bot.post(chat.click(made.rightful, verb, made.data))
        assert status == 200, (where, status)
        assert answer["type"] == "application/vnd.microsoft.activity.message", (where, answer)
        assert ELSEWHERE in answer["value"], (where, answer)
        await bot.settle()
        assert posted(bot) == sent, where  # no message, no edit, in any conversation
        assert database(bot) == tables, where
    # Where the card is, the same click works (so the refusals above were about the place).
    answer = await bot.click(made.rightful, verb, made.data)
    assert ELSEWHERE not in str(answer["value"])


async def test_a_vote_click_refused_elsewhere_keeps_the_victims_poll_as_it_was(bot):
    made = await items.named_poll_voted(bot)
    card_id = bot.message_ids()[-1]
    before = shared_card(bot, card_id)
    attacker = replace(bot.chat, conversation_id="19:other-chat@thread.v2")
    status, answer = await bot.post(attacker.click(Participant.numbered(40), "poll.change",
                                                   made.data))
    assert status == 200 and ELSEWHERE in answer["value"]
    assert items.MEMBERS[0].name not in str(answer)  # the named poll's voters are not read
    await bot.settle()
    assert shared_card(bot, card_id) == before


# Verbs whose click edits the item's shared card in the chat, and verbs whose click posts a
# new message into it (the others answer the clicker alone, or only store something).
EDITING = {"poll.vote", "poll.close", "poll.reopen", "poll.reveal", "qna.ask", "qna.upvote",
           "qna.approve", "qna.answering", "qna.answered", "qna.requeue", "qna.dismiss",
           "qna.merge", "qna.mode", "breakout.join", "breakout.update", "breakout.publish",
           "breakout.cancel"}
POSTING = {"breakout.broadcast", "breakout.end", "breakout.extend", "breakout.reconvene"}


@pytest.mark.parametrize("verb", sorted(VERBS))
async def test_what_a_click_edits_or_sends_goes_to_its_chats_stored_address(bot, verb: str):
    """A click from the card's chat that names another connector address still edits (and
    posts into) the chat at the address it was stored with; nothing reaches the other one."""
    victim_meeting(bot, *items.MEMBERS, items.ATTENDEE)
    made = await VERBS[verb](bot)
    await bot.settle()
    before = len(bot.connector.requests)
    async with LocalConnector() as other:
        moved = replace(bot.chat, service_url=other.service_url)
        status, answer = await bot.post(moved.click(made.rightful, verb, made.data))
        assert status == 200
        assert ELSEWHERE not in str(answer), answer  # the click is from the card's own chat
        await bot.settle()
        assert [r for r in other.requests if r.kind in ("send", "reply", "edit")] == []
    made_now = [r for r in bot.connector.requests[before:]
                if r.kind in ("send", "reply", "edit")]
    assert {r.conversation_id for r in made_now if r.kind == "edit"} <= {
        bot.chat.conversation_id}
    assert {r.conversation_id for r in made_now} <= {bot.chat.conversation_id} | {
        r.conversation_id for r in made_now if r.conversation_id.startswith("a:")}
    assert all(r.status < 300 for r in made_now)
    if verb in EDITING:
        assert [r for r in made_now if r.kind == "edit"], "the shared card was not edited"
    if verb in POSTING:
        assert [r for r in made_now if r.kind in ("send", "reply")
                and r.conversation_id == bot.chat.conversation_id], "nothing was posted"

@pytest.mark.parametrize("route", sorted(COMMANDS) + sorted(FORMS))
async def test_a_command_or_form_from_another_tenant_in_a_known_chat_is_refused(
        bot, route: str):
    """Commands and forms act in the chat they come from: one naming a known chat under
    another tenant changes nothing there, and its answer says why (no card is involved)."""
    await items.open_board(bot)
    made = await FORM_BUILDERS[route](bot) if route in FORMS else None
    await bot.settle()
    tables, sent = database(bot), posted(bot)
    foreign = replace(bot.chat, tenant_id=ANOTHER_TENANT)
    if made is None:
        status, _ = await bot.post(foreign.message(ORGANIZER, COMMANDS[route]))
        assert status == 201
        await bot.settle()
        assert [kind for kind, *_ in posted(bot)[len(sent):]] == ["send"]  # the refusal only
        refusal = bot.connector.sent()[-1]["text"]
    else:
        status, answer = await bot.post(foreign.click(made.rightful, route, made.data))
        assert status == 200
        refusal = answer["value"]
        await bot.settle()
        assert posted(bot) == sent
    assert FOREIGN in refusal and ELSEWHERE not in refusal
    assert database(bot) == tables
    # From the chat's own tenant the same command or form works.
    if made is None:
        assert await bot.say(ORGANIZER, COMMANDS[route]) == 201
        await bot.settle()
        assert FOREIGN not in bot.connector.sent()[-1].get("text", "")
    else:
        assert FOREIGN not in str((await bot.click(made.rightful, route, made.data))["value"])


async def test_a_command_from_another_tenant_in_german_is_refused_in_german(bot):
    await items.open_board(bot)
    await bot.settle()
    foreign = replace(bot.chat, tenant_id=ANOTHER_TENANT)
    status, _ = await bot.post(foreign.message(ORGANIZER, "umfrage Eingeschleust? | Ja | Nein",
                                               locale="de-DE"))
    assert status == 201
    await bot.settle()
    assert bot.connector.sent()[-1]["text"].startswith(
        "Dieser Chat gehört zu einer anderen Organisation als deiner")


QUESTION_VERBS: dict[str, Builder] = {
    "qna.upvote": items.upvote, "qna.approve": items.pending_question,
    "qna.answering": items.moderated_question, "qna.answered": items.moderated_question,
    "qna.requeue": items.answering_question, "qna.dismiss": items.moderated_question,
    "qna.merge": items.two_questions}


@pytest.mark.parametrize("verb", sorted(QUESTION_VERBS))
async def test_a_victims_question_sent_with_ones_own_board_is_refused(bot, verb: str):
    """Mallory moderates her own board in her own chat and sends its id with a question id
    (or two) from the victim's board: the question is not on her board, so nothing happens."""
    made = await QUESTION_VERBS[verb](bot)
    await bot.settle()
    mallory = Participant.numbered(60)
    victim = bot.chat
    bot.chat = replace(victim, conversation_id="19:mallory-chat@thread.v2", meeting_id=None)
    own = await items.board(bot)  # Mallory's board, posted by the organizer helper...
    await bot.settle()
    tables, sent = database(bot), posted(bot)
    for who in (mallory, items.ORGANIZER):  # ...whose creator moderates it outside meetings
        answer = await bot.click(who, verb, {**made.data, "board": own.data["board"]})
        assert answer["type"] == "application/vnd.microsoft.activity.message", answer
        assert QUESTION not in str(answer) and OTHER_QUESTION not in str(answer)
        await bot.settle()
        assert posted(bot) == sent, who
        assert database(bot) == tables, who
