"""Two real bot processes on one PostgreSQL database behind one endpoint (votes alternate
between them, and a voter's changed vote arrives at the other one): every vote counted once,
exact tallies in the database and on the final card, and card edits one process at a time, an
edit interval apart."""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import text

from devtools.simulation import Chat, Participant
from storage.database import create_engine
from tests.journeys.helpers import all_actions, counts_on, texts_in
from tests.scaleout.helpers import TimedConnector, overlaps, pauses
from tests.support.processes import BotProcess, running_together, start_process

pytestmark = pytest.mark.postgres
INTERVAL = 0.5
VOTERS = 120
CHANGERS = range(0, VOTERS, 3)  # these change their vote, through the other process
HOLD = re.compile(r"card lease (\w+) held by (\w+) from ([\d.]+) to ([\d.]+)")


async def _start(folder: Path, database_url: str, name: str) -> BotProcess:
    return await start_process(folder, database_url=database_url, log=folder / f"{name}.log",
                               secret="one secret for every instance", log_level="DEBUG",
                               edit_interval=INTERVAL)


@pytest.fixture
async def connector() -> AsyncIterator[TimedConnector]:
    async with TimedConnector(edit_delay=0.05) as running:
        yield running


@pytest.fixture
async def bots(tmp_path: Path, postgres_url: str) -> AsyncIterator[list[BotProcess]]:
    async with running_together(*(_start(tmp_path, postgres_url, name) for name in "ab")
                                ) as running:
        yield running


async def _post(http: aiohttp.ClientSession, url: str, activity: dict[str, Any]) -> int:
    async with http.post(url, json=activity) as answer:
        await answer.read()
        return answer.status


def _holds(bots: list[BotProcess]) -> dict[str, list[tuple[float, float, str]]]:
    """Per card lease: (from, to, holder) of every hold logged by any process."""
    found: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
    for bot in bots:
        for match in HOLD.finditer(bot.log.read_text(errors="replace")):
            card, holder, start, end = match.groups()
            found[card].append((float(start), float(end), holder))
    return found


async def _rows(database_url: str, sql: str, **params: Any) -> list[Any]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return list((await connection.execute(text(sql), params)).all())
    finally:
        await engine.dispose()


async def test_votes_through_two_processes_are_counted_exactly_once(
        bots: list[BotProcess], connector: TimedConnector, postgres_url: str):
    chat = Chat(service_url=connector.service_url)
    urls = [bot.url for bot in bots]
    async with aiohttp.ClientSession() as http:
        assert await _post(http, urls[0], chat.message(Participant.numbered(0),
                                                       "poll Scale out? | Yes | No")) == 201
        await connector.wait_for(lambda c: len(c.sent()) == 1)
        card_id = connector.requests[-1].activity_id
        assert card_id is not None
        poll_id = connector.sent()[0]["attachments"][0]["content"]["actions"][0]["data"]["poll"]
        statuses: list[int] = []
        gate = asyncio.Semaphore(32)

        async def vote(number: int, choice: int, url: str) -> None:
            activity = chat.click(Participant.numbered(1000 + number), "poll.vote",
                                  {"poll": poll_id, "rz_choice": str(choice)},
                                  reply_to_id=card_id)
            async with gate:
                statuses.append(await _post(http, url, activity))

        async def voter(number: int) -> None:
            await vote(number, number % 2, urls[number % 2])
            if number in CHANGERS:  # changed at the other process
                await vote(number, 1 - number % 2, urls[1 - number % 2])

        await asyncio.gather(*(voter(n) for n in range(VOTERS)))
    assert statuses == [200] * (VOTERS + len(CHANGERS))

    final = [1 - n % 2 if n in CHANGERS else n % 2 for n in range(VOTERS)]
    expected = {"Yes": final.count(0), "No": final.count(1)}
    stored = await _rows(postgres_url, "select choices, count(*) from ballot where poll_id = "
                         ":poll group by choices order by choices", poll=poll_id)
    assert stored == [(1, expected["Yes"]), (2, expected["No"])]  # every voter once

    await connector.wait_for(
        lambda c: counts_on(c.message(card_id)["attachments"][0]["content"]) == expected,
        timeout=15)
    await asyncio.sleep(INTERVAL * 2)  # a late edit would still show up
    assert counts_on(connector.message(card_id)["attachments"][0]["content"]) == expected

    spans = connector.spans_of(card_id)
    assert len(spans) >= 2
    assert overlaps(spans) == []  # never two edits of the card in flight
    assert min(pauses(spans)) >= INTERVAL - 0.005  # across both processes

    holds = _holds(bots)
    assert holds, "no lease was logged"
    for card_holds in holds.values():  # one process at a time worked on a card
        assert overlaps([(start, end) for start, end, _ in card_holds]) == []
    assert max(len({holder for *_, holder in h}) for h in holds.values()) == 2  # both edited


async def test_upvotes_through_two_processes_are_counted_exactly_once(
        bots: list[BotProcess], connector: TimedConnector, postgres_url: str):
    chat = Chat(service_url=connector.service_url, conversation_id="19:board@thread.v2")
    urls = [bot.url for bot in bots]
    async with aiohttp.ClientSession() as http:
        assert await _post(http, urls[0], chat.message(Participant.numbered(0),
                                                       "questions")) == 201
        await connector.wait_for(lambda c: len(c.sent()) == 1)
        card_id = connector.requests[-1].activity_id
        assert card_id is not None
        board_id = next(a["data"]["board"] for a in all_actions(connector.message(card_id))
                        if a.get("verb") == "qna.ask")
        asked = chat.click(Participant.numbered(1), "qna.ask",
                           {"board": board_id, "named": False, "rz_question": "Scale out?"})
        assert await _post(http, urls[1], asked) == 200
        await connector.wait_for(lambda c: any(
            a.get("verb") == "qna.upvote" for a in all_actions(c.message(card_id))), timeout=10)
        question = next(a["data"]["question"] for a in all_actions(connector.message(card_id))
                        if a.get("verb") == "qna.upvote")
        statuses: list[int] = []

        async def upvote(number: int, url: str) -> None:
            activity = chat.click(Participant.numbered(2000 + number), "qna.upvote",
                                  {"board": board_id, "question": question})
            statuses.append(await _post(http, url, activity))

        async def voter(number: int) -> None:
            await upvote(number, urls[number % 2])
            if number % 4 == 0:  # clicked again at the other process: taken back
                await upvote(number, urls[1 - number % 2])

        await asyncio.gather(*(voter(n) for n in range(40)))
    assert statuses == [200] * 50
    expected = 30
    stored = await _rows(postgres_url, "select count(*) from upvote where question_id = :q",
                         q=question)
    assert stored == [(expected,)]
    await connector.wait_for(
        lambda c: f"▲ {expected}" in texts_in(c.message(card_id)["attachments"][0]["content"]),
        timeout=15)
    spans = connector.spans_of(card_id)
    assert overlaps(spans) == []
    assert min(pauses(spans)) >= INTERVAL - 0.005
