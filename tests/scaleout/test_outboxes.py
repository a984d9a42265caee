"""Two outboxes (as in two bot processes) on one PostgreSQL database edit one card: never at
the same time, spaced by the edit interval across both, and the last edit shows the latest
state."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.delivery.outbox import Outbox
from bot.delivery.transport import Address, ConnectorTransport
from storage.card_leases import LocalCardLeases, SharedCardLeases
from tests.delivery.helpers import no_token
from tests.scaleout.helpers import TimedConnector, overlaps, pauses

pytestmark = pytest.mark.postgres
ROOMY = ((1.0, 1000),)
INTERVAL = 0.2


@pytest.fixture
async def connector() -> AsyncIterator[TimedConnector]:
    async with TimedConnector(edit_delay=0.05) as running:
        yield running


@pytest.fixture
async def transports() -> AsyncIterator[list[ConnectorTransport]]:
    wires = [ConnectorTransport(no_token) for _ in range(2)]
    yield wires
    for wire in wires:
        await wire.close()


async def _edit_from_both(outboxes: list[Outbox], connector: TimedConnector, edits: int
                          ) -> tuple[str, dict[str, int]]:
    address = Address(connector.service_url, "19:shared@thread.v2", "28:bot")
    message_id = await outboxes[0].send(address, {"text": "count 0"})
    assert message_id is not None
    state = {"count": 0}  # the database both processes render from

    async def render() -> dict[str, Any]:
        return {"text": f"count {state['count']}"}

    for number in range(edits):
        state["count"] += 1
        outboxes[number % 2].edit(address, ("poll", "p1"), message_id, render)
        await asyncio.sleep(0.02)
    await asyncio.gather(*(outbox.drain() for outbox in outboxes))
    return message_id, state


async def test_two_processes_edit_a_card_one_at_a_time_and_an_interval_apart(
        two_storages, connector: TimedConnector, transports: list[ConnectorTransport]):
    outboxes = [Outbox(wire, windows=ROOMY, edit_interval=INTERVAL,
                       leases=SharedCardLeases(storage.engine, ttl=2.0, holder=name))
                for storage, wire, name in zip(two_storages, transports, "ab", strict=True)]
    message_id, state = await _edit_from_both(outboxes, connector, edits=50)
    spans = connector.spans_of(message_id)
    assert len(spans) >= 4
    assert overlaps(spans) == []
    # The interval runs from the answer to one edit to the arrival of the next.
    assert min(pauses(spans)) >= INTERVAL - 0.005
    assert connector.message(message_id)["text"] == f"count {state['count']}"
    assert all(outbox.stats.puts for outbox in outboxes)  # both edited the card ...
    assert sum(outbox.stats.lease_waits for outbox in outboxes)  # ... and had to wait
    await _close(outboxes)


async def test_an_older_card_rendered_when_asked_for_does_not_replace_a_newer_one(
        two_storages, connector: TimedConnector, transports: list[ConnectorTransport]):
    # Breakout cards are rendered when the click is handled. Process A must wait (it edited the
    # card just now; its interval is long here), process B, asked later, edits first: A's older
    # card must not follow.
    a, b = (Outbox(wire, windows=ROOMY, edit_interval=interval,
                   leases=SharedCardLeases(storage.engine, ttl=2.0, holder=name))
            for storage, wire, name, interval in zip(two_storages, transports, "ab", (1.0, 0.1),
                                                     strict=True))
    address = Address(connector.service_url, "19:shared@thread.v2", "28:bot")
    message_id = await a.send(address, {"text": "draft 0"})
    assert message_id is not None

    def card(text: str) -> Any:
        async def render() -> dict[str, Any]:
            return {"text": text}
        return render

    a.edit(address, ("message", message_id), message_id, card("draft 1"))
    await a.drain()
    a.edit(address, ("message", message_id), message_id, card("draft 2"))  # waits 1 s in A
    await asyncio.sleep(0.4)
    b.edit(address, ("message", message_id), message_id, card("draft 3"))
    await asyncio.gather(a.drain(), b.drain())
    assert [e["text"] for e in connector.edits(message_id)] == ["draft 1", "draft 3"]
    assert connector.message(message_id)["text"] == "draft 3"
    await _close([a, b])


async def test_without_coordination_the_same_load_breaks_the_interval(
        connector: TimedConnector, transports: list[ConnectorTransport]):
    # The check above can fail: two uncoordinated processes space only their own edits.
    outboxes = [Outbox(wire, windows=ROOMY, edit_interval=INTERVAL, leases=LocalCardLeases())
                for wire in transports]
    message_id, _ = await _edit_from_both(outboxes, connector, edits=50)
    spans = connector.spans_of(message_id)
    assert min(pauses(spans)) < INTERVAL - 0.005
    await _close(outboxes)


async def _close(outboxes: list[Outbox]) -> None:
    for outbox in outboxes:
        await outbox.close()
