"""Helpers for journeys: find cards, their actions, and read results off a card."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.support.teams import BotUnderTest, Participant, card_of


def actions(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Action.Execute buttons of a card by verb."""
    return {a["verb"]: a for a in card.get("actions", []) if a.get("type") == "Action.Execute"}


def texts_in(element: Any) -> list[str]:
    """Every text of a card (TextBlocks and TextRuns), in order."""
    found: list[str] = []
    if isinstance(element, dict):
        if element.get("type") in ("TextBlock", "TextRun"):
            found.append(element["text"])
        for value in element.values():
            found += texts_in(value)
    elif isinstance(element, list):
        for value in element:
            found += texts_in(value)
    return found


def counts_on(card: dict[str, Any]) -> dict[str, int]:
    """Option -> count as shown by the result rows of a poll card."""
    result: dict[str, int] = {}
    for column_set in _find(card, "ColumnSet"):
        option = "".join(texts_in(column_set["columns"][0]))
        shown = " ".join(texts_in(column_set["columns"][1]))
        match = re.search(r"\((\d[\d,]*)\)\s*$", shown)  # English cards group digits: 1,234
        if match:
            result[option] = int(match.group(1).replace(",", ""))
    return result


def _find(element: Any, kind: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(element, dict):
        if element.get("type") == kind:
            found.append(element)
        for value in element.values():
            found += _find(value, kind)
    elif isinstance(element, list):
        for value in element:
            found += _find(value, kind)
    return found


async def create_poll(bot: BotUnderTest, who: Participant, command: str, **options: Any
                      ) -> tuple[str, str]:
    """Post a poll command; returns (poll id, message id of the shared card)."""
    before = len(bot.message_ids())
    assert await bot.say(who, command, **options) == 201
    await bot.settle()
    card_id = bot.message_ids()[before]
    card = card_of(bot.connector.message(card_id))
    return actions(card)["poll.vote"]["data"]["poll"], card_id


def shared_card(bot: BotUnderTest, card_id: str) -> dict[str, Any]:
    return card_of(bot.connector.message(card_id))


def dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def walk(element: Any):
    """Every dict inside a card, depth first."""
    if isinstance(element, dict):
        yield element
        for value in element.values():
            yield from walk(value)
    elif isinstance(element, list):
        for value in element:
            yield from walk(value)


def all_actions(element: Any) -> list[dict[str, Any]]:
    """Every action anywhere in a card (buttons in the body and at the bottom)."""
    return [e for e in walk(element) if str(e.get("type", "")).startswith("Action.")]


async def open_form(bot: BotUnderTest, who: Participant, command: str = "poll",
                    **options: Any) -> tuple[dict[str, Any], str]:
    """Write `poll` or `breakout` alone; returns (what the form's button sends: the tag of the
    person it was posted for, the message id of the form)."""
    before = len(bot.message_ids())
    assert await bot.say(who, command, **options) == 201
    await bot.settle()
    form_id = bot.message_ids()[before]
    create = next(a for a in all_actions(shared_card(bot, form_id))
                  if a.get("verb", "").endswith(".create"))
    return dict(create["data"]), form_id
