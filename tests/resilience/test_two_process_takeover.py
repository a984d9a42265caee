"""Two real bot processes on one PostgreSQL database: one is killed (kill -9) with messages
queued while the connector is down; the other, once the dead one's claim has run out and the
connector is back, sends each of them exactly once, in the order they were queued, and binds
them to their items."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import text

from devtools.local_connector import LocalConnector
from devtools.simulation import Chat, Participant
from storage.database import create_engine
from tests.journeys.helpers import texts_in
from tests.support.processes import BotProcess, post, running_together, start_process

pytestmark = pytest.mark.postgres
MODERATOR = Participant.numbered(0)
QUESTIONS = ("First?", "Second?", "Third?")
# The dead process's claim lasts 60 s after its last renewal (bot/app.py, OUTGOING_CLAIM);
# the other one looks for such rows every 20 s: at most about 80 s after the kill.
TAKEOVER_TIMEOUT = 120.0


async def _rows(database_url: str, sql: str) -> list[Any]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return list((await connection.execute(text(sql))).all())
    finally:
        await engine.dispose()


async def _until(check: Callable[[], Awaitable[bool]], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("the expected state was not reached in time")
        await asyncio.sleep(0.1)


def _posts(connector: LocalConnector) -> list[int]:
    return [r.status for r in connector.requests if r.method == "POST" and r.kind == "send"]


@pytest.fixture
async def bots(tmp_path: Path, postgres_url: str) -> AsyncIterator[list[BotProcess]]:
    async with running_together(*(
            start_process(tmp_path, database_url=postgres_url, log=tmp_path / f"{name}.log",
                          secret="one secret for every instance", log_level="INFO")
            for name in "ab")) as running:
        yield running


async def test_messages_of_a_killed_process_are_sent_once_in_order_by_the_other(
        bots: list[BotProcess], postgres_url: str, tmp_path: Path):
    dying, survivor = bots
    async with LocalConnector() as connector, aiohttp.ClientSession() as http:
        chat = Chat(service_url=connector.service_url)
        # Down: every new message is refused as not handled, with a long Retry-After, so the
        # dying process keeps them queued (certainly not sent) when it is killed.
        connector.storm(503, retry_after="30", methods=("POST",))
        for question in QUESTIONS:
            status, _ = await post(http, dying, chat.message(MODERATOR,
                                                             f"poll {question} | Yes | No"))
            assert status == 201
        await connector.wait_for(lambda c: 503 in _posts(c))

        async def all_queued() -> bool:
            rows = await _rows(postgres_url, "select state from outgoing")
            return [state for (state,) in rows] == ["queued"] * len(QUESTIONS)

        await _until(all_queued, timeout=10)
        await dying.kill()
        killed_at = time.monotonic()
        connector.calm()

        await connector.wait_for(lambda c: len(c.sent()) >= len(QUESTIONS),
                                 timeout=TAKEOVER_TIMEOUT)
        taken_over_after = time.monotonic() - killed_at

        async def crossed_off() -> bool:
            return await _rows(postgres_url, "select count(*) from outgoing") == [(0,)]

        await _until(crossed_off, timeout=10)  # each arrived and was bound to its poll
        await asyncio.sleep(1.0)  # a late duplicate would still show up
        arrived = [(_question(r.body), r.activity_id) for r in connector.requests
                   if r.kind == "send" and 200 <= r.status < 300]
        polls = await _rows(postgres_url, "select question, card_activity_id from poll")
    assert [question for question, _ in arrived] == list(QUESTIONS)  # once each, in order
    assert _posts(connector).count(503) == 1  # only the first was tried, by the dying process
    assert sorted(polls) == sorted(arrived)  # each poll knows its card: bound
    assert survivor.log is not None
    assert "3 outgoing messages taken over" in survivor.log.read_text(errors="replace")
    print(f"taken over and sent {taken_over_after:.1f} s after the kill")
    assert taken_over_after < 90  # DEPLOY.md: at most about 80 s (a 60 s claim, a 20 s look)


def _question(activity: dict[str, Any]) -> str:
    card = activity["attachments"][0]["content"]
    return next(line for line in texts_in(card) if line in QUESTIONS)
