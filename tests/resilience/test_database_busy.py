"""A busy database, through the real endpoint: another process holding SQLite's write lock, and
PostgreSQL dropping the bot's connections. No vote is lost, none is answered 5xx; a lock held for
too long gets a clear "try again" in the person's language, with nothing half stored."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bot.i18n import t
from tests.journeys.helpers import counts_on, create_poll, shared_card, texts_in
from tests.support.teams import BotUnderTest, Participant, settings_for_tests, start_bot

RECEIPT = "application/vnd.microsoft.card.adaptive"
MESSAGE = "application/vnd.microsoft.activity.message"

# Run as another process: on "lock", take SQLite's write lock and say so; on the next line,
# release it and say so.
_LOCK_HOLDER = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
sys.stdin.readline()
connection.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
connection.execute("COMMIT")
print("released", flush=True)
"""


class LockHolder:
    """Another process that takes the database's write lock when told to, and releases it."""

    def __init__(self, holder: asyncio.subprocess.Process) -> None:
        self._holder = holder
        self.released_at: float | None = None
        self.locked = False

    async def _say(self, expected: bytes) -> None:
        assert self._holder.stdin is not None and self._holder.stdout is not None
        self._holder.stdin.write(b"go\n")
        await self._holder.stdin.drain()
        assert (await self._holder.stdout.readline()).strip() == expected

    async def lock(self) -> None:
        await self._say(b"locked")
        self.locked = True

    async def release(self) -> None:
        if self.locked and self.released_at is None:
            await self._say(b"released")
            self.released_at = time.monotonic()


@asynccontextmanager
async def lock_holder(database: Path) -> AsyncIterator[LockHolder]:
    """A lock holder process, started and ready; leaving the block releases the lock."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _LOCK_HOLDER, str(database),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    holder = LockHolder(process)
    try:
        yield holder
    finally:
        await holder.release()
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):  # it may be exiting by itself
                process.kill()
        await process.wait()


@asynccontextmanager
async def write_lock(database: Path) -> AsyncIterator[LockHolder]:
    """Another process holds the database's write lock until `release()` or the block ends."""
    async with lock_holder(database) as holder:
        await holder.lock()
        yield holder


@asynccontextmanager
async def running(tmp_path: Path, **overrides: Any) -> AsyncIterator[BotUnderTest]:
    bot, _ = await start_bot(settings_for_tests(tmp_path, **overrides))
    try:
        yield bot
    finally:
        await bot.client.close()
        await bot.connector.stop()


def ballots_in(database: Path) -> int:
    with sqlite3.connect(database) as connection:
        return connection.execute("select count(*) from ballot").fetchone()[0]


async def vote(bot: BotUnderTest, number: int, poll_id: str, choice: int,
               locale: str = "en-US") -> tuple[int, dict[str, Any], float]:
    """(HTTP status, invoke answer, when it came)."""
    status, body = await bot.post(bot.chat.click(
        Participant.numbered(number), "poll.vote", {"poll": poll_id, "rz_choice": str(choice)},
        locale=locale))
    return status, body, time.monotonic()


async def close(bot: BotUnderTest, poll_id: str) -> None:
    await bot.post(bot.chat.click(Participant.numbered(0), "poll.close", {"poll": poll_id}))
    await bot.settle()


# ----------------------------------------------------------------- SQLite
async def votes_during_a_lock(tmp_path: Path, *, votes: int, hold: float) -> None:
    """`votes` votes arrive while another process holds the write lock for `hold` seconds."""
    database = tmp_path / "resonanz.db"
    async with running(tmp_path) as bot:  # the production busy timeout and BEGIN attempts
        poll_id, card_id = await create_poll(bot, Participant.numbered(0), "poll Q? | A | B")
        gate = asyncio.Semaphore(32)

        async def limited(number: int) -> tuple[int, dict[str, Any], float]:
            async with gate:
                return await vote(bot, 100 + number, poll_id, number % 2)

        async with write_lock(database) as lock:
            tasks = [asyncio.create_task(limited(n)) for n in range(votes)]
            await asyncio.sleep(hold)
            assert not any(task.done() for task in tasks)  # they wait for the lock...
            await lock.release()
            answers = await asyncio.gather(*tasks)
        assert all(status == 200 and body["type"] == RECEIPT for status, body, _ in answers)
        assert ballots_in(database) == votes  # ...and every one of them is stored
        await close(bot, poll_id)  # open, the card moves in steps; closed, it is exact
        assert counts_on(shared_card(bot, card_id)) == {"A": (votes + 1) // 2, "B": votes // 2}


async def test_votes_arriving_while_another_process_holds_the_write_lock_wait_and_all_count(
    tmp_path: Path,
):
    await votes_during_a_lock(tmp_path, votes=30, hold=1.0)


@pytest.mark.long
async def test_the_production_settings_outlast_an_eight_second_lock_during_a_burst(
    tmp_path: Path,
):
    await votes_during_a_lock(tmp_path, votes=300, hold=8.0)


async def test_a_lock_held_past_the_busy_timeout_is_outlasted_by_beginning_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    # A busy timeout of 0.2 s: three attempts take at least 0.6 s, the lock is held 0.45 s.
    database = tmp_path / "resonanz.db"
    async with running(tmp_path, database_url=f"sqlite:///{database}?timeout=0.2") as bot:
        poll_id, _ = await create_poll(bot, Participant.numbered(0), "poll Q? | A | B")
        with caplog.at_level(logging.WARNING, logger="storage.database"):
            async with write_lock(database) as lock:
                votes = [asyncio.create_task(vote(bot, 100 + n, poll_id, 0)) for n in range(5)]
                await asyncio.sleep(0.45)
                await lock.release()
                answers = await asyncio.gather(*votes)
        assert [body["type"] for _, body, _ in answers] == [RECEIPT] * 5
        assert ballots_in(database) == 5
        assert any("beginning again" in r.getMessage() for r in caplog.records)


async def test_a_lock_held_too_long_gets_a_clear_try_again_in_the_persons_language(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    database = tmp_path / "resonanz.db"
    # Timers slowed down: each of their ticks would also wait out the lock for the one connection.
    async with running(tmp_path, database_url=f"sqlite:///{database}?timeout=0.05",
                       close_check_seconds=30.0) as bot:
        poll_id, card_id = await create_poll(bot, Participant.numbered(0), "poll Q? | A | B")
        with caplog.at_level(logging.WARNING, logger="storage.database"):
            async with write_lock(database):
                started = time.monotonic()
                before = len(bot.connector.sent())
                english, command = await asyncio.gather(
                    vote(bot, 1, poll_id, 0),
                    bot.say(Participant.numbered(2), "umfrage F? | A | B", locale="de-DE"))
                finished = time.monotonic()
        assert (english[0], command) == (200, 201)  # never a 5xx
        assert english[1] == {"statusCode": 200, "type": MESSAGE,
                              "value": t("storage.busy", "en")}
        await bot.settle()
        assert [m.get("text") for m in bot.connector.sent()[before:]] == [t("storage.busy", "de")]
        # Bounded: a request waits out three attempts of 0.05 s (and the pauses between them),
        # not more; the vote is tried once more on its own (the ballot box's fallback).
        assert 0.15 <= english[2] - started < 2.5 and finished - started < 4
        assert any("after 3 attempts" in r.getMessage() for r in caplog.records)
        with sqlite3.connect(database) as connection:  # nothing half stored
            assert connection.execute("select count(*) from ballot").fetchone()[0] == 0
            assert connection.execute("select count(*) from poll").fetchone()[0] == 1
        # Once the lock is gone, trying again works.
        for number, choice in ((1, 0), (2, 1), (3, 0)):
            assert (await vote(bot, number, poll_id, choice))[1]["type"] == RECEIPT
        await bot.settle()
        assert counts_on(shared_card(bot, card_id)) == {"A": 2, "B": 1}


async def test_a_card_edit_that_meets_a_locked_database_arrives_once_the_lock_is_gone(
    tmp_path: Path,
):
    # The shared card is rendered from the database right before each edit: an edit due while
    # another process holds the lock (longer than the three BEGIN attempts, twice) must not be
    # dropped, or the card would keep showing an old tally.
    database = tmp_path / "resonanz.db"
    async with running(tmp_path, database_url=f"sqlite:///{database}?timeout=0.05",
                       edit_interval=0.3, close_check_seconds=30.0) as bot:
        poll_id, card_id = await create_poll(bot, Participant.numbered(0), "poll Q? | A | B")
        async with lock_holder(database) as holder:
            for number in range(1, 6):
                assert (await vote(bot, number, poll_id, number % 2))[1]["type"] == RECEIPT
            await holder.lock()  # before the card's next edit is due
            await asyncio.sleep(2.2)  # that edit and the catch-up edit both meet the lock
            assert "5 votes" not in texts_in(shared_card(bot, card_id))
            await holder.release()
        await bot.settle()
        card = shared_card(bot, card_id)
        assert counts_on(card) == {"A": 2, "B": 3} and "5 votes" in texts_in(card)


# ----------------------------------------------------------------- PostgreSQL
async def terminate_backends(url: str) -> int:
    """pg_terminate_backend on every other connection to the bot's database."""
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return await connection.fetchval(
            "select count(pg_terminate_backend(pid)) from pg_stat_activity "
            "where datname = current_database() and pid <> pg_backend_pid()")
    finally:
        await connection.close()


async def votes_while_connections_drop(tmp_path: Path, postgres_url: str, *, votes: int,
                                       kills: int) -> None:
    url = postgres_url.replace("postgresql+asyncpg://", "postgresql://")
    async with running(tmp_path, database_url=url) as bot:
        poll_id, card_id = await create_poll(bot, Participant.numbered(0), "poll PG? | A | B")
        # Dropped while idle in the pool (a restart, a failover): noticed before use, so
        # neither a command nor a vote right afterwards notices anything.
        for round_ in range(2):
            assert await terminate_backends(postgres_url) >= 1
            before = len(bot.cards())
            assert await bot.say(Participant.numbered(0), f"poll Round {round_}? | A | B") == 201
            await bot.settle()
            assert len(bot.cards()) == before + 1, bot.texts()[-1:]  # a poll card, no apology
            assert await terminate_backends(postgres_url) >= 1
            status, body, _ = await vote(bot, 10 + round_, poll_id, 0)
            assert (status, body["type"]) == (200, RECEIPT), body

        # Dropped in the middle of a burst: a vote may be refused, never lost once confirmed.
        async def killer() -> None:
            for _ in range(kills):
                await asyncio.sleep(0.05)
                await terminate_backends(postgres_url)

        gate = asyncio.Semaphore(10)

        async def limited(number: int) -> tuple[int, dict[str, Any], float]:
            async with gate:
                return await vote(bot, number, poll_id, number % 2)

        answers, _ = await asyncio.gather(
            asyncio.gather(*(limited(100 + n) for n in range(votes))), killer())
        assert all(status == 200 for status, _, _ in answers)  # never a 5xx
        refused = [100 + n for n, (_, body, _) in enumerate(answers) if body["type"] != RECEIPT]
        for number in refused:  # those told "try again" do so, and then it works
            _, body, _ = await vote(bot, number, poll_id, number % 2)
            assert body["type"] == RECEIPT
        await close(bot, poll_id)  # open, the card moves in steps; closed, it is exact
        assert counts_on(shared_card(bot, card_id)) == {"A": 2 + (votes + 1) // 2,
                                                        "B": votes // 2}


@pytest.mark.postgres
async def test_connections_the_server_drops_cost_no_acknowledged_vote(
    tmp_path: Path, postgres_url: str
):
    await votes_while_connections_drop(tmp_path, postgres_url, votes=60, kills=4)


@pytest.mark.long
@pytest.mark.postgres
async def test_connections_dropped_again_and_again_during_a_big_burst(
    tmp_path: Path, postgres_url: str
):
    await votes_while_connections_drop(tmp_path, postgres_url, votes=1000, kills=40)
