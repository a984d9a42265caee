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
from tests.journeys.items import ORGANIZER, Builder, Made, database, posted
from tests.support.teams import BotUnderTest, Participant

VICTIM_MEETING = "MCMxOTptZWV0aW5nX1ZpY3RpbUB0aHJlYWQudjIjMA=="
OTHER_MEETING = "MCMxOTptZWV0aW5nX090aGVyQHRocmVhZC52MiMw"
ELSEWHERE = "This card belongs to another chat, so I did nothing."


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


def test_every_card_verb_with_an_item_is_clicked_from_elsewhere():
    routes = build_registry().routes
    assert {v.name for v in routes if v.item is not None} == set(VERBS)
    assert {v.name for v in routes if v.item is None} == FORMS


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


@pytest.mark.parametrize("verb", ["poll.vote", "poll.close", "qna.upvote", "qna.ask",
                                  "breakout.join"])
async def test_edits_of_a_shared_card_go_to_its_own_chats_address(bot, verb: str):
    """A click from the card's chat that names another connector address still edits the card
    where the chat was stored."""
    build = {"poll.vote": items.vote, "poll.close": items.moderated_poll,
             "qna.upvote": items.upvote, "qna.ask": items.ask_on_board,
             "breakout.join": items.joinable_draft}[verb]
    made = await build(bot)
    await bot.settle()
    card_id = bot.message_ids()[-1]  # the shared card of the item
    edits_before = len([r for r in bot.connector.requests if r.kind == "edit"])
    async with LocalConnector() as other:
        moved = replace(bot.chat, service_url=other.service_url)
        status, _ = await bot.post(moved.click(made.rightful, verb, made.data))
        assert status == 200
        await bot.settle()
        assert [r for r in other.requests if r.kind in ("send", "reply", "edit")] == []
    edits = [r for r in bot.connector.requests if r.kind == "edit"][edits_before:]
    assert edits, "the shared card was not edited"
    assert {(r.conversation_id, r.status) for r in edits} == {(bot.chat.conversation_id, 200)}
    assert card_id in {r.activity_id for r in edits}
