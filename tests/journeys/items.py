"""What a meeting's organizer makes in a chat (polls, the Q&A board, breakout rounds, a
summary), for journeys that then click its cards as somebody else. Each builder returns the
data a real card of that item sends, and who could legitimately click it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.app import SERVICES
from tests.journeys.helpers import (
    actions,
    all_actions,
    create_poll,
    open_form,
    shared_card,
    texts_in,
)
from tests.journeys.test_breakout_journey import action, prepare, publish, teams_member
from tests.journeys.test_qna_journey import ask, post_board, question_ids
from tests.support.scan import sqlite_tables
from tests.support.teams import BotUnderTest, Participant

ORGANIZER = Participant.numbered(0)
MEMBERS = [Participant.numbered(i) for i in range(1, 6)]  # in the chat's roster
ATTENDEE = Participant.numbered(7)  # in the meeting, in no roster, moderates nothing
QUESTION = "When will the new office in Leipzig open?"
OTHER_QUESTION = "Which AI tools are we allowed to use with customer data?"


@dataclass(frozen=True)
class Made:
    """A card's data, and the person who may click it where the card is."""

    data: dict[str, Any]
    rightful: Participant = ORGANIZER


Builder = Callable[[BotUnderTest], Awaitable[Made]]


def database(bot: BotUnderTest) -> dict[str, list[tuple[object, ...]]]:
    """Every table's rows, except when the bot's own timers last ran (they run on their own)."""
    tables = sqlite_tables(bot.client.app[SERVICES].storage.engine.url.database)
    del tables["timer_run"]
    return tables


def posted(bot: BotUnderTest) -> list[tuple[str, str, str | None]]:
    """Every message and edit the bot made so far: (kind, conversation, message id)."""
    return [(r.kind, r.conversation_id, r.activity_id) for r in bot.connector.requests
            if r.kind in ("send", "reply", "edit")]


# ---------------------------------------------------------------------------- polls


async def open_poll(bot: BotUnderTest) -> Made:
    poll_id, _ = await create_poll(bot, ORGANIZER, "poll Lunch? | Pizza | Salad")
    return Made({"poll": poll_id}, MEMBERS[0])


async def vote(bot: BotUnderTest) -> Made:
    made = await open_poll(bot)
    return Made({**made.data, "rz_choice": "1"}, MEMBERS[0])


async def named_poll_voted(bot: BotUnderTest) -> Made:
    """A poll created as not anonymous, with a ballot: its card shows who chose what."""
    posted_for, _ = await open_form(bot, ORGANIZER)
    await bot.click(ORGANIZER, "poll.create", {
        **posted_for, "rz_question": "Who joins the offsite?", "rz_options": "Yes\nNo",
        "rz_kind": "single", "rz_anonymous": "false", "rz_results": "live"})
    await bot.settle()
    poll_id = actions(shared_card(bot, bot.message_ids()[-1]))["poll.vote"]["data"]["poll"]
    await bot.click(MEMBERS[0], "poll.vote", {"poll": poll_id, "rz_choice": "0"})
    await bot.settle()
    return Made({"poll": poll_id}, MEMBERS[0])


async def moderated_poll(bot: BotUnderTest) -> Made:
    made = await open_poll(bot)
    return Made(made.data)


async def closed_poll(bot: BotUnderTest) -> Made:
    made = await open_poll(bot)
    await bot.click(ORGANIZER, "poll.close", made.data)
    await bot.settle()
    return Made(made.data)


async def poll_form(bot: BotUnderTest) -> Made:
    posted_for, _ = await open_form(bot, ORGANIZER)
    return Made({**posted_for, "rz_question": "Pizza or pasta?", "rz_options": "Pizza\nPasta"})


# ---------------------------------------------------------------------------- Q&A


async def board(bot: BotUnderTest) -> Made:
    board_id, _ = await post_board(bot, ORGANIZER)
    return Made({"board": board_id}, MEMBERS[0])


async def ask_on_board(bot: BotUnderTest) -> Made:
    made = await board(bot)
    return Made({**made.data, "named": False, "rz_question": "Is this question injected?"},
                MEMBERS[0])


async def _question(bot: BotUnderTest, *texts: str) -> tuple[str, list[str]]:
    board_id, card_id = await post_board(bot, ORGANIZER)
    for index, text in enumerate(texts):
        await ask(bot, MEMBERS[index], board_id, text)
    await bot.settle()
    ids = question_ids(shared_card(bot, card_id))
    return board_id, [ids[text] for text in texts]


async def upvote(bot: BotUnderTest) -> Made:
    board_id, [question] = await _question(bot, QUESTION)
    return Made({"board": board_id, "question": question}, MEMBERS[1])


async def moderated_question(bot: BotUnderTest) -> Made:
    board_id, [question] = await _question(bot, QUESTION)
    return Made({"board": board_id, "question": question})


async def answering_question(bot: BotUnderTest) -> Made:
    made = await moderated_question(bot)
    await bot.click(ORGANIZER, "qna.answering", made.data)
    await bot.settle()
    return made


async def pending_question(bot: BotUnderTest) -> Made:
    """A question waiting for review on a reviewed board."""
    board_id, _ = await post_board(bot, ORGANIZER, "reviewed")
    await ask(bot, MEMBERS[0], board_id, QUESTION)
    view = await bot.click(ORGANIZER, "qna.moderate", {"board": board_id})
    approve = next(a for a in all_actions(view["value"]) if a.get("verb") == "qna.approve")
    return Made(dict(approve["data"]))


async def two_questions(bot: BotUnderTest) -> Made:
    board_id, [first, second] = await _question(bot, QUESTION, OTHER_QUESTION)
    return Made({"board": board_id, "rz_merge_from": first, "rz_merge_into": second})


async def board_mode(bot: BotUnderTest) -> Made:
    made = await board(bot)
    return Made({**made.data, "mode": "reviewed"})


async def duplicate_offer(bot: BotUnderTest) -> Made:
    """`ask` posts a near-duplicate's offer publicly: its "post anyway" is the asker's own."""
    board_id, _ = await _question(bot, QUESTION)
    assert await bot.say(ORGANIZER, "ask When does the new office in Leipzig open?") == 201
    await bot.settle()
    offer = shared_card(bot, bot.message_ids()[-1])
    anyway = next(a for a in all_actions(offer)
                  if a.get("verb") == "qna.ask" and a["data"].get("force") is True)
    assert anyway["data"]["board"] == board_id
    return Made(dict(anyway["data"]))


# ---------------------------------------------------------------------------- breakouts


def _roster(bot: BotUnderTest) -> None:
    bot.connector.set_members(bot.chat.conversation_id,
                              [teams_member(p) for p in (ORGANIZER, *MEMBERS)])


async def draft(bot: BotUnderTest) -> Made:
    _roster(bot)
    round_id, _ = await prepare(bot, ORGANIZER, "breakout 2")
    return Made({"breakout": round_id, "rz_topics": "Tools\nHiring"})


async def joinable_draft(bot: BotUnderTest) -> Made:
    made = await draft(bot)
    return Made({"breakout": made.data["breakout"]}, ATTENDEE)


async def _running(bot: BotUnderTest) -> tuple[str, Participant]:
    """A published round, and one of its groups' presenters."""
    made = await draft(bot)
    round_id = made.data["breakout"]
    assignment = await publish(bot, ORGANIZER, round_id)
    names = [text.split("presents: ")[1] for text in texts_in(assignment)
             if "presents: " in text]
    presenter = next(p for p in (ORGANIZER, *MEMBERS) if p.name == names[0])
    return round_id, presenter


async def running(bot: BotUnderTest) -> Made:
    round_id, _ = await _running(bot)
    return Made({"breakout": round_id, "rz_message": "Five more minutes, please."})


async def report_form(bot: BotUnderTest) -> Made:
    round_id, presenter = await _running(bot)
    return Made({"breakout": round_id}, presenter)


async def report(bot: BotUnderTest) -> Made:
    round_id, presenter = await _running(bot)
    form = await bot.click(presenter, "breakout.report_form", {"breakout": round_id})
    group = action(form["value"], "breakout.report")["data"]["group"]
    return Made({"breakout": round_id, "group": group, "rz_point1": "Injected point"},
                presenter)


async def breakout_form(bot: BotUnderTest) -> Made:
    _roster(bot)
    posted_for, _ = await open_form(bot, ORGANIZER, "breakout")
    return Made({**posted_for, "rz_split": "groups", "rz_number": "2"})


# ---------------------------------------------------------------------------- summaries


async def summary(bot: BotUnderTest) -> Made:
    assert await bot.say(ORGANIZER, "summary") == 201
    await bot.settle()
    card = shared_card(bot, bot.message_ids()[-1])
    return Made(dict(action(card, "summary.report_link")["data"]))


async def nothing(bot: BotUnderTest) -> Made:
    return Made({})


async def open_board(bot: BotUnderTest) -> Made:
    """The chat's board exists, open: `questions reviewed` would change its mode."""
    await post_board(bot, ORGANIZER)
    return Made({})
