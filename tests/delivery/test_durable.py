"""DurableSends against a local connector and a real database: private messages through an
outage of chat creation, the tenant's creation budget, and messages found too late."""

from __future__ import annotations

import asyncio
import inspect
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from bot.delivery.durable import CREATE_WINDOWS, DurableSends
from bot.delivery.outbox import Outbox
from bot.delivery.transport import ConnectorTransport, TransientDeliveryError
from devtools.local_connector import LocalConnector
from storage.database import create_engine, create_schema
from storage.outgoing import OutgoingStore
from tests.delivery.helpers import address_in

ROOMY = ((1.0, 1000),)


class Opener:
    """Opens 1:1 chats; fails the first `failing` calls as Teams does in an outage."""

    def __init__(self, failing: int = 0) -> None:
        self.failing = failing
        self.calls: list[float] = []

    async def create_conversation(self, service_url: str, bot_id: str, tenant_id: str,
                                  member_id: str) -> str:
        self.calls.append(asyncio.get_running_loop().time())
        if len(self.calls) <= self.failing:
            raise TransientDeliveryError(503)
        return f"a:{member_id}"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[OutgoingStore]:
    engine = create_engine(f"sqlite:///{tmp_path / 'resonanz.db'}")
    await create_schema(engine)
    yield OutgoingStore(engine, "this", claim_for=timedelta(seconds=60))
    await engine.dispose()


def sends_for(store: OutgoingStore, outbox: Outbox, opener: Opener, *,
              now: datetime | None = None) -> DurableSends:
    return DurableSends(store, outbox, opener, clock=lambda: now or datetime.now(UTC),
                        new_id=lambda: uuid.uuid4().hex, shared=False,
                        give_up_after=timedelta(seconds=60))


async def test_a_private_message_waits_out_an_outage_of_chat_creation(
    connector: LocalConnector, transport: ConnectorTransport, store: OutgoingStore
) -> None:
    opener = Opener(failing=4)  # pauses 0.5, 1, 2, 4 s: longer than three quick attempts
    sends = sends_for(store, Outbox(transport, windows=ROOMY), opener)
    await sends.promise([sends.private(connector.service_url, "28:bot", "tenant", "29:anna",
                                       {"type": "message", "text": "Gruppe 2"})])
    await sends.drain()
    assert len(opener.calls) == 5
    assert [m["text"] for m in connector.sent("a:29:anna")] == ["Gruppe 2"]
    assert await store.count() == 0


async def test_opening_many_private_chats_keeps_to_the_tenants_budget(
    connector: LocalConnector, transport: ConnectorTransport, store: OutgoingStore
) -> None:
    opener = Opener()
    sends = sends_for(store, Outbox(transport, windows=ROOMY), opener)
    await sends.promise([sends.private(connector.service_url, "28:bot", "tenant", f"29:p{n}",
                                       {"type": "message", "text": "hi"}) for n in range(25)])
    await sends.drain()
    per_second, limit = CREATE_WINDOWS[0]
    calls = sorted(opener.calls)
    busiest = max(sum(1 for t in calls if start <= t < start + per_second) for start in calls)
    assert len(calls) == 25 and busiest <= limit


async def test_a_message_found_long_after_it_was_promised_is_reported_not_posted(
    connector: LocalConnector, transport: ConnectorTransport, store: OutgoingStore
) -> None:
    promised = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    earlier = sends_for(store, Outbox(transport, windows=ROOMY), Opener(), now=promised)
    message = earlier.message(address_in(connector), {"type": "message", "text": "Time's up"},
                              notice_locale="en")
    await store.add([message], now=promised)
    later = DurableSends(OutgoingStore(store._engine, "next", claim_for=timedelta(seconds=60)),
                         Outbox(transport, windows=ROOMY), Opener(),
                         clock=lambda: promised + timedelta(hours=3),
                         new_id=lambda: uuid.uuid4().hex, shared=False,
                         give_up_after=timedelta(seconds=300))
    await later.start()
    await later.drain()
    [notice] = connector.sent()
    assert "could not be delivered" in notice["text"]
    await later.close()


class AtEveryCommit:
    """An OutgoingStore that notes, after each of its calls, the texts of the messages in the
    table: what a kill -9 right then would leave for the next start."""

    def __init__(self, inner: OutgoingStore) -> None:
        self.inner = inner
        self.states: list[set[str]] = []

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.inner, name)
        if not inspect.iscoroutinefunction(attribute):
            return attribute

        async def noted(*args: Any, **kwargs: Any) -> Any:
            result = await attribute(*args, **kwargs)
            async with self.inner._engine.connect() as connection:
                rows = await connection.execute(text("select activity from outgoing"))
                self.states.append({json.loads(row[0])["text"] for row in rows})
            return result

        return noted


async def test_a_kill_at_any_moment_keeps_either_the_lost_message_or_its_notice_never_both(
    connector: LocalConnector, transport: ConnectorTransport, store: OutgoingStore
) -> None:
    connector.fail_next(1, 500)  # it may have arrived: reported, never posted again
    noted = AtEveryCommit(store)
    sends = sends_for(noted, Outbox(transport, windows=ROOMY), Opener())  # type: ignore[arg-type]
    await sends.promise([sends.message(address_in(connector), {"type": "message",
                                                               "text": "Poll card"},
                                       notice_locale="en")])
    await sends.drain()
    [notice] = connector.sent()
    states = [state for state in noted.states if state]  # until the notice arrived
    assert states[0] == {"Poll card"}
    assert states[-1] == {notice["text"]}
    assert all(len(state) == 1 for state in states), states
    assert await store.count() == 0


class RefusingRemoval:
    """An OutgoingStore whose database refuses every removal and replacement (a disk that
    filled up after the message was written)."""

    def __init__(self, inner: OutgoingStore) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def remove(self, *args: Any, **kwargs: Any) -> None:
        raise OSError("database or disk is full")

    async def replace(self, *args: Any, **kwargs: Any) -> bool:
        raise OSError("database or disk is full")


async def test_an_arrived_message_that_cannot_be_crossed_off_is_not_reported_as_missing(
    connector: LocalConnector, transport: ConnectorTransport, store: OutgoingStore,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr("bot.delivery.durable.REMOVE_PAUSES", (0.01, 0.01))
    sends = sends_for(RefusingRemoval(store), Outbox(transport, windows=ROOMY),  # type: ignore[arg-type]
                      Opener())
    await sends.promise([sends.message(address_in(connector), {"type": "message",
                                                               "text": "Poll card"},
                                       notice_locale="en")])
    await sends.drain()
    assert [m["text"] for m in connector.sent()] == ["Poll card"]  # and no "may be missing"
    assert sends.stats.uncertain == 0
    assert "a delivered message could not be crossed off" in caplog.text


async def test_a_row_that_nothing_carries_is_sent_once_by_the_claim_keeper(
    connector: LocalConnector, transport: ConnectorTransport, tmp_path: Path,
    caplog: pytest.LogCaptureFixture
) -> None:
    """A message written in a transaction whose COMMIT took effect but reported a failure: its
    after-commit step never started it. The claim keeper finds it and sends it, once."""
    engine = create_engine(f"sqlite:///{tmp_path / 'stranded.db'}")
    await create_schema(engine)
    store = OutgoingStore(engine, "this", claim_for=timedelta(seconds=0.3))
    sends = DurableSends(store, Outbox(transport, windows=ROOMY), Opener(),
                         clock=lambda: datetime.now(UTC), new_id=lambda: uuid.uuid4().hex,
                         shared=False,
                         give_up_after=timedelta(seconds=60),
                         stranded_after=timedelta(seconds=0.2))
    try:
        stranded = sends.message(address_in(connector), {"type": "message", "text": "Time's up"})
        await store.add([stranded], now=datetime.now(UTC))  # written, never carried
        await sends.start()
        carried = sends.message(address_in(connector), {"type": "message", "text": "Poll card"})
        await sends.promise([carried])
        await connector.wait_for(lambda c: len(c.sent()) >= 2, timeout=5)
        await asyncio.sleep(0.6)  # more rounds of the keeper: nothing is sent again
        await sends.drain()
        assert sorted(m["text"] for m in connector.sent()) == ["Poll card", "Time's up"]
        assert "1 outgoing messages found that nothing was sending" in caplog.text
        assert await store.count() == 0
    finally:
        await sends.close()
        await engine.dispose()


def sends_on(store: OutgoingStore, transport: ConnectorTransport, *,
             shared: bool = False) -> DurableSends:
    """DurableSends whose claim keeper runs every 0.1 s (a 0.3 s claim) and picks up rows
    nothing carries after 0.2 s."""
    return DurableSends(store, Outbox(transport, windows=ROOMY), Opener(),
                        clock=lambda: datetime.now(UTC), new_id=lambda: uuid.uuid4().hex,
                        shared=shared, give_up_after=timedelta(seconds=60),
                        stranded_after=timedelta(seconds=0.2))


async def test_a_message_lost_to_another_process_and_taken_back_is_sent(
    connector: LocalConnector, transport: ConnectorTransport, tmp_path: Path
) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'shared.db'}")
    await create_schema(engine)
    claim = timedelta(seconds=0.3)
    mine, theirs = (OutgoingStore(engine, name, claim_for=claim) for name in ("A", "B"))
    sends = sends_on(mine, transport, shared=True)
    try:
        message = sends.message(address_in(connector), {"type": "message", "text": "Poll card"})
        await mine.add([message], now=datetime.now(UTC))
        await asyncio.sleep(0.35)  # this process stalled past its claim
        assert [m.id for m in await theirs.take_over(now=datetime.now(UTC))] == [message.id]
        sends._carry(message)  # its carrier wakes: the row is not its own, nothing is posted
        await sends.drain()
        assert connector.sent() == []
        await sends.start()  # the other process dies without sending; this one takes it back
        await connector.wait_for(lambda c: len(c.sent()) >= 1, timeout=5)
        await asyncio.sleep(0.5)
        assert [m["text"] for m in connector.sent()] == ["Poll card"]
    finally:
        await sends.close()
        await engine.dispose()


class CommitReportsFailure:
    """An OutgoingStore whose `add` writes the rows and then reports a failure, as a COMMIT
    whose answer was lost does."""

    def __init__(self, inner: OutgoingStore) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def add(self, *args: Any, **kwargs: Any) -> None:
        await self.inner.add(*args, **kwargs)
        raise OSError("server closed the connection unexpectedly")


async def test_a_message_written_though_the_write_reported_a_failure_is_sent_once(
    connector: LocalConnector, transport: ConnectorTransport, store: OutgoingStore,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.delivery.durable.FINISHED_KEPT", 1)  # forgotten at once
    sends = sends_on(CommitReportsFailure(store), transport)  # type: ignore[arg-type]
    try:
        await sends.start()
        for text in ("Poll card", "Board"):
            await sends.promise([sends.message(address_in(connector),
                                               {"type": "message", "text": text})])
        await sends.drain()
        await asyncio.sleep(0.6)  # rounds of the claim keeper
        assert sorted(m["text"] for m in connector.sent()) == ["Board", "Poll card"]
        assert await store.count() == 0
    finally:
        await sends.close()


async def test_a_row_read_just_as_its_carrier_finished_or_started_is_not_sent_again(
    connector: LocalConnector, transport: ConnectorTransport, store: OutgoingStore
) -> None:
    # Kept apart three times over: the ids being carried, the chat's one lane, and a row that
    # is gone (or no longer QUEUED) once it arrived.
    sends = sends_on(store, transport)
    message = sends.message(address_in(connector), {"type": "message", "text": "Poll card"})
    await store.add([message], now=datetime.now(UTC))
    sends._carry(message)
    sends._carry(message)  # a stale read of the keeper while the carrier runs
    await sends.drain()
    sends._carry(message)  # a stale read of the keeper just after it finished
    await sends.drain()
    assert [m["text"] for m in connector.sent()] == ["Poll card"]
