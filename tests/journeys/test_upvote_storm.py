"""An upvote storm through the real endpoint: clicks arriving together are stored in groups, and
the board, the database and every clicker's answer come out exactly as one by one."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bot.app import SERVICES
from storage.qna_repository import QnaRepository, UpvoteClick
from tests.journeys.helpers import all_actions, shared_card, texts_in
from tests.journeys.test_qna_journey import (
    QUESTIONS,
    ask,
    board_order,
    bot_db,
    post_board,
    question_ids,
)
from tests.support.scan import sqlite_tables
from tests.support.teams import Participant

ADDED, REMOVED = "You upvoted the question.", "You took your upvote back."


@pytest.fixture
def group_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many clicks each write of upvotes carried."""
    sizes: list[int] = []
    write = QnaRepository.click_upvotes

    async def counted(self: QnaRepository, clicks: list[UpvoteClick]) -> list[bool]:
        sizes.append(len(clicks))
        return await write(self, clicks)

    monkeypatch.setattr(QnaRepository, "click_upvotes", counted)
    return sizes


def buttons(card: dict[str, Any]) -> dict[str, str]:
    """Question id -> the title of its upvote button, on a personal card."""
    return {a["data"]["question"]: a["title"] for a in all_actions(card)
            if a.get("verb") == "qna.upvote"}


async def test_a_crowd_upvoting_at_once_gives_exact_counts_on_the_card_and_in_the_database(
        bot, group_sizes):
    creator = Participant.numbered(0)
    board_id, card_id = await post_board(bot, creator)
    for index, text in enumerate([*QUESTIONS[:3], "Will the canteen open on Saturdays?"]):
        await ask(bot, Participant.numbered(1 + index), board_id, text)
    await bot.settle()
    ids = question_ids(shared_card(bot, card_id))
    q0, q1, q2 = (ids[text] for text in QUESTIONS[:3])
    dismissed = ids["Will the canteen open on Saturdays?"]
    await bot.click(creator, "qna.dismiss", {"board": board_id, "question": dismissed})
    reached_before = len(sqlite_tables(Path(bot_db(bot)))["participation"])

    def click(number: int, question: str, **extra: Any) -> Any:
        return bot.click(Participant.numbered(number), "qna.upvote",
                         {"board": board_id, "question": question, **extra})

    # Round 1, all at once: 60 people upvote (30 / 20 / 10); one person clicks q0 twice, one
    # clicks "upvote that one" on q1 twice; one clicks a dismissed question, one an unknown one.
    crowd = {100 + i: (q0, q0, q0, q1, q1, q2)[i % 6] for i in range(60)}
    first = await asyncio.gather(
        *(click(number, question) for number, question in crowd.items()),
        click(200, q0), click(200, q0), click(201, q1, add=True), click(201, q1, add=True),
        click(202, dismissed), click(203, "no-such-question"))
    for (number, question), answer in zip(crowd.items(), first, strict=False):
        card = answer["value"]
        assert ADDED in texts_in(card), number
        assert buttons(card)[question] == "✓ Upvoted"
        assert {buttons(card)[other] for other in (q0, q1, q2) if other != question} == {
            "▲ Upvote"}
    twice, added, late, unknown = first[60:62], first[62:64], first[64], first[65]
    assert sorted(text for answer in twice for text in texts_in(answer["value"])
                  if text in (ADDED, REMOVED)) == [REMOVED, ADDED]
    assert all(ADDED in texts_in(answer["value"]) for answer in added)
    assert "was dismissed" in late["value"]
    assert "can't find this question" in unknown["value"]

    # Round 2, all at once: every third of the crowd takes their upvote back, ten newcomers
    # upvote q2, and the person who added q1 clicks it again (a plain click takes it back).
    back = [number for number in crowd if number % 3 == 0]
    second = await asyncio.gather(*(click(number, crowd[number]) for number in back),
                                  *(click(300 + i, q2) for i in range(10)), click(201, q1))
    assert all(REMOVED in texts_in(answer["value"]) for answer in second[:len(back)])
    assert all(ADDED in texts_in(answer["value"]) for answer in second[len(back):-1])
    assert REMOVED in texts_in(second[-1]["value"])
    for number, answer in zip(back, second, strict=False):
        assert buttons(answer["value"])[crowd[number]] == "▲ Upvote"

    expected = Counter(question for number, question in crowd.items() if number not in back)
    expected[q2] += 10
    await bot.settle()
    by_text = {question: text for text, question in ids.items()}
    in_board_order = sorted(expected.items(), key=lambda item: (-item[1], QUESTIONS.index(
        by_text[item[0]])))  # by votes, then by age
    assert board_order(shared_card(bot, card_id)) == [
        (by_text[question], count) for question, count in in_board_order]
    # Participation keys are held in memory and written apart from the upvotes (in batches, by
    # the housekeeping timer): write what is held, as the timer would.
    services = bot.client.app[SERVICES]
    await services.meetings.write_reached(services.storage, everything=True)
    tables = sqlite_tables(Path(bot_db(bot)))
    assert Counter(question for question, _ in tables["upvote"]) == expected
    assert len(tables["upvote"]) == len(set(tables["upvote"]))
    # Everyone whose click was stored counts as reached, once; the refused clicks do not.
    assert len(tables["participation"]) - reached_before == len(crowd) + 2 + 10
    assert max(group_sizes) > 1, f"the clicks were not written together: {group_sizes}"
