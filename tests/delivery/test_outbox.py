"""Outbox against a running LocalConnector: order, coalescing, spacing, retries, limits, flush."""

from __future__ import annotations

import asyncio
import logging
import time
from itertools import pairwise
from typing import Any

import pytest

from bot.delivery.outbox import Outbox
from bot.delivery.throttle import DEFAULT_WINDOWS
from bot.delivery.transport import (
    Address,
    ConnectorTransport,
    DeliveryError,
    TransientDeliveryError,
)
from devtools.local_connector import LocalConnector
from tests.delivery.helpers import (
    SpyTransport,
    UpperBoundRandom,
    address_in,
    closed_port_url,
    no_token,
)

# Tests that are not about throttling get windows too wide to matter.
ROOMY = ((1.0, 1000),)


class Card:
    """A card whose state is a counter; render() shows the current count."""

    def __init__(self) -> None:
        self.count = 0
        self.renders = 0

    async def render(self) -> dict[str, Any]:
        self.renders += 1
        return {"text": f"count {self.count}"}


def statuses(connector: LocalConnector, method: str) -> list[int]:
    return [r.status for r in connector.requests if r.method == method]


async def post_card(outbox: Outbox, address: Address) -> str:
    message_id = await outbox.send(address, {"text": "count 0"})
    assert message_id is not None
    return message_id


# ----------------------------------------------------------------- sends
async def test_sends_arrive_in_order_and_return_their_ids(
    connector: LocalConnector, transport: ConnectorTransport
) -> None:
    outbox = Outbox(transport, windows=ROOMY)
    futures = [outbox.send(address_in(connector), {"text": f"m{i}"}) for i in range(12)]
    ids = await asyncio.gather(*futures)
    assert [a["text"] for a in connector.sent("conv-a")] == [f"m{i}" for i in range(12)]
    assert ids == [r.activity_id for r in connector.requests]
    assert len(set(ids)) == 12
    await outbox.close()


async def test_a_send_cancelled_while_queued_is_not_posted(
    connector: LocalConnector, transport: ConnectorTransport
) -> None:
    outbox = Outbox(transport, windows=ROOMY)
    outbox.send(address_in(connector), {"text": "never"}).cancel()
    await outbox.send(address_in(connector), {"text": "kept"})
    assert [a["text"] for a in connector.sent()] == ["kept"]
    await outbox.close()


async def test_lane_workers_exist_only_while_there_is_work(
    connector: LocalConnector, transport: ConnectorTransport
) -> None:
    def lane_workers() -> list[asyncio.Task[Any]]:
        return [t for t in asyncio.all_tasks() if t.get_name() == "outbox-lane"]

    outbox = Outbox(transport, windows=ROOMY, edit_interval=0.05)
    message_id = await post_card(outbox, address_in(connector))
    card = Card()
    outbox.send(address_in(connector, "conv-b"), {"text": "b"})
    outbox.edit(address_in(connector), ("poll", 1), message_id, card.render)
    assert len(lane_workers()) == 2
    await outbox.drain()
    assert lane_workers() == []
    await outbox.close()


# ----------------------------------------------------------------- edits
async def test_edits_of_one_card_are_coalesced(
    connector: LocalConnector, transport: ConnectorTransport
) -> None:
    outbox = Outbox(transport, windows=ROOMY, edit_interval=0.2)
    address = address_in(connector)
    message_id = await post_card(outbox, address)
    card = Card()
    for _ in range(100):
        card.count += 1
        outbox.edit(address, ("poll", 1), message_id, card.render)
        await asyncio.sleep(0)
    await outbox.drain()
    edits = connector.edits(message_id)
    assert 1 <= len(edits) <= 3
    assert edits[-1]["text"] == "count 100"
    assert connector.message(message_id)["text"] == "count 100"
    assert outbox.stats.coalesced >= 97
    await outbox.close()


async def test_edits_of_one_card_are_spaced_by_the_edit_interval(
    connector: LocalConnector, transport: ConnectorTransport
) -> None:
    spy = SpyTransport(transport)
    outbox = Outbox(spy, windows=ROOMY, edit_interval=0.15)
    address = address_in(connector)
    message_id = await post_card(outbox, address)
    card = Card()
    for _ in range(12):
        card.count += 1
        outbox.edit(address, ("poll", 1), message_id, card.render)
        await asyncio.sleep(0.05)
    await outbox.drain()
    starts = spy.put_starts
    assert len(starts) >= 3
    assert all(later - earlier >= 0.15 for earlier, later in pairwise(starts))
    assert connector.edits(message_id)[-1]["text"] == "count 12"
    await outbox.close()


async def test_edits_of_different_cards_are_not_coalesced(
    connector: LocalConnector, transport: ConnectorTransport
) -> None:
    outbox = Outbox(transport, windows=ROOMY, edit_interval=5.0)
    address = address_in(connector)
    first, second = await post_card(outbox, address), await post_card(outbox, address)
    one, two = Card(), Card()
    one.count, two.count = 1, 2
    outbox.edit(address, ("poll", 1), first, one.render)
    outbox.edit(address, ("poll", 2), second, two.render)
    await outbox.drain()
    assert connector.message(first)["text"] == "count 1"
    assert connector.message(second)["text"] == "count 2"
    await outbox.close()


async def test_an_edit_requested_while_one_is_in_flight_is_sent_afterwards(
    connector: LocalConnector, transport: ConnectorTransport
) -> None:
    outbox = Outbox(transport, windows=ROOMY, edit_interval=0.05)
    address = address_in(connector)
    message_id = await post_card(outbox, address)
    state = {"count": 1}
    rendering, release = asyncio.Event(), asyncio.Event()

    async def render() -> dict[str, Any]:
        snapshot = state["count"]  # what this render shows is fixed before it waits
        rendering.set()
        await release.wait()
        return {"text": f"count {snapshot}"}

    outbox.edit(address, "card", message_id, render)
    await rendering.wait()
    state["count"] = 2
    outbox.edit(address, "card", message_id, render)
    release.set()
    await outbox.drain()
    assert [e["text"] for e in connector.edits(message_id)] == ["count 1", "count 2"]
    assert outbox.stats.coalesced == 0
    await outbox.close()


async def test_identical_rendered_state_is_not_sent_again(
    connector: LocalConnector, transport: ConnectorTransport
) -> None:
    outbox = Outbox(transport, windows=ROOMY, edit_interval=0.01)
    address = address_in(connector)
    message_id = await post_card(outbox, address)
    card = Card()
    card.count = 5
    for _ in range(3):
        outbox.edit(address, "card", message_id, card.render)
        await outbox.drain()
    assert len(connector.edits(message_id)) == 1
    assert card.renders == 3
    assert outbox.stats.skipped == 2
    await outbox.close()


async def test_the_same_state_is_still_sent_to_a_new_message_of_the_key(
    connector: LocalConnector, transport: ConnectorTransport
) -> None:
    outbox = Outbox(transport, windows=ROOMY, edit_interval=0.01)
    address = address_in(connector)
    first, second = await post_card(outbox, address), await post_card(outbox, address)
    card = Card()
    card.count = 5
    outbox.edit(address, "card", first, card.render)
    await outbox.drain()
    outbox.edit(address, "card", second, card.render)
    await outbox.drain()
    assert connector.message(second)["text"] == "count 5"
    await outbox.close()


async def test_an_edit_that_renders_nothing_is_skipped(
    connector: LocalConnector, transport: ConnectorTransport
) -> None:
    outbox = Outbox(transport, windows=ROOMY)
    message_id = await post_card(outbox, address_in(connector))

    async def nothing() -> None:
        return None

    outbox.edit(address_in(connector), "card", message_id, nothing)
    await outbox.drain()
    assert connector.edits() == []
    assert outbox.stats.skipped == 1
    await outbox.close()


async def test_a_render_that_raises_does_not_stop_the_lane(
    connector: LocalConnector, transport: ConnectorTransport, caplog: pytest.LogCaptureFixture
) -> None:
    outbox = Outbox(transport, windows=ROOMY, edit_interval=0.01)
    address = address_in(connector)
    message_id = await post_card(outbox, address)

    async def broken() -> dict[str, Any]:
        raise RuntimeError("template bug")

    with caplog.at_level(logging.ERROR, logger="bot.delivery.outbox"):
        outbox.edit(address, "card", message_id, broken)
        later = outbox.send(address, {"text": "after"})
        assert await later is not None
    assert any(r.exc_info and r.levelno == logging.ERROR for r in caplog.records)
    card = Card()
    card.count = 3
    outbox.edit(address, "card", message_id, card.render)
    await outbox.drain()
    assert connector.message(message_id)["text"] == "count 3"
    await outbox.close()


async def test_sends_are_not_held_back_by_an_edit_that_is_not_due_yet(
    connector: LocalConnector, transport: ConnectorTransport
) -> None:
    outbox = Outbox(transport, windows=ROOMY, edit_interval=10.0)
    address = address_in(connector)
    message_id = await post_card(outbox, address)
    card = Card()
    card.count = 1
    outbox.edit(address, "card", message_id, card.render)
    await connector.wait_for(lambda c: len(c.edits()) == 1)
    card.count = 2
    outbox.edit(address, "card", message_id, card.render)  # not due for ten seconds
    assert await asyncio.wait_for(outbox.send(address, {"text": "news"}), 1.0) is not None
    assert len(connector.edits()) == 1
    await outbox.close()


async def test_close_flushes_an_edit_that_is_not_due_yet(
    connector: LocalConnector, transport: ConnectorTransport
) -> None:
    outbox = Outbox(transport, windows=ROOMY, edit_interval=10.0)
    address = address_in(connector)
    message_id = await post_card(outbox, address)
    card = Card()
    card.count = 1
    outbox.edit(address, "card", message_id, card.render)
    await connector.wait_for(lambda c: len(c.edits()) == 1)
    card.count = 2
    outbox.edit(address, "card", message_id, card.render)
    started = time.monotonic()
    await outbox.close()
    assert time.monotonic() - started < 1.0
    assert [e["text"] for e in connector.edits(message_id)] == ["count 1", "count 2"]


async def test_close_is_idempotent_and_then_refuses_new_work(
    connector: LocalConnector, transport: ConnectorTransport
) -> None:
    outbox = Outbox(transport, windows=ROOMY)
    sent = outbox.send(address_in(connector), {"text": "last words"})
    await outbox.close()
    await outbox.close()
    assert sent.done() and sent.result() is not None
    with pytest.raises(RuntimeError):
        outbox.send(address_in(connector), {"text": "too late"})


# ----------------------------------------------------------------- retries
async def test_throttling_with_retry_after_is_honoured_then_the_send_succeeds(
    connector: LocalConnector, transport: ConnectorTransport
) -> None:
    rng = UpperBoundRandom()
    outbox = Outbox(transport, windows=ROOMY, rng=rng)
    connector.fail_next(1, 429, retry_after="1")
    started = time.monotonic()
    message_id = await outbox.send(address_in(connector), {"text": "hi"})
    assert time.monotonic() - started >= 1.0
    assert message_id is not None
    assert statuses(connector, "POST") == [429, 201]
    assert rng.ranges == []  # the connector's wait replaced our own backoff
    assert outbox.stats.retries == 1
    await outbox.close()


@pytest.mark.parametrize("status", [412, 503])
async def test_precondition_and_not_handled_sends_are_retried_with_jittered_backoff(
    connector: LocalConnector, transport: ConnectorTransport, status: int
) -> None:
    rng = UpperBoundRandom()
    outbox = Outbox(transport, windows=ROOMY, rng=rng, backoff_base=0.05, backoff_cap=1.0)
    connector.fail_next(2, status)
    started = time.monotonic()
    assert await outbox.send(address_in(connector), {"text": "hi"}) is not None
    assert time.monotonic() - started >= 0.05 + 0.1
    assert statuses(connector, "POST") == [status, status, 201]
    assert rng.ranges == [(0, 0.05), (0, 0.1)]
    await outbox.close()


async def test_throttling_without_retry_after_is_retried_with_jittered_backoff(
    connector: LocalConnector, transport: ConnectorTransport
) -> None:
    rng = UpperBoundRandom()
    outbox = Outbox(transport, windows=ROOMY, rng=rng, backoff_base=0.05)
    connector.fail_next(1, 429)
    assert await outbox.send(address_in(connector), {"text": "hi"}) is not None
    assert statuses(connector, "POST") == [429, 201]
    assert rng.ranges == [(0, 0.05)]
    await outbox.close()


async def test_backoff_is_capped(connector: LocalConnector, transport: ConnectorTransport) -> None:
    rng = UpperBoundRandom()
    outbox = Outbox(transport, windows=ROOMY, rng=rng, backoff_base=0.05, backoff_cap=0.08)
    connector.fail_next(3, 503)
    assert await outbox.send(address_in(connector), {"text": "hi"}) is not None
    assert rng.ranges == [(0, 0.05), (0, 0.08), (0, 0.08)]
    await outbox.close()


async def test_a_forbidden_send_is_not_retried_and_fails_its_future(
    connector: LocalConnector, transport: ConnectorTransport
) -> None:
    outbox = Outbox(transport, windows=ROOMY)
    connector.fail_next(1, 403)
    with pytest.raises(DeliveryError) as raised:
        await outbox.send(address_in(connector), {"text": "hi"})
    assert raised.value.status == 403
    assert not isinstance(raised.value, TransientDeliveryError)
    assert statuses(connector, "POST") == [403]
    assert (outbox.stats.retries, outbox.stats.failures) == (0, 1)
    await outbox.close()


async def test_a_send_fails_with_the_last_error_once_it_failed_for_as_long_as_edits_retry(
    connector: LocalConnector, transport: ConnectorTransport
) -> None:
    # max_attempts is per round of an edit; a send that certainly did not arrive is tried
    # for edit_retry_for seconds, however many attempts that takes.
    outbox = Outbox(transport, windows=ROOMY, max_attempts=1, backoff_base=0.01,
                    backoff_cap=0.01, edit_retry_for=0.1)
    connector.storm(503)
    with pytest.raises(TransientDeliveryError) as raised:
        await outbox.send(address_in(connector), {"text": "hi"})
    assert raised.value.status == 503 and not raised.value.uncertain
    assert len(statuses(connector, "POST")) >= 3
    assert set(statuses(connector, "POST")) == {503}
    await outbox.close()


@pytest.mark.parametrize("status", [502, 504])
async def test_a_gateway_error_on_a_send_is_not_retried_it_may_have_arrived(
    connector: LocalConnector, transport: ConnectorTransport, status: int
) -> None:
    outbox = Outbox(transport, windows=ROOMY, backoff_base=0.01)
    connector.fail_next(1, status)
    with pytest.raises(TransientDeliveryError) as raised:
        await outbox.send(address_in(connector), {"text": "hi"})
    assert raised.value.uncertain
    assert statuses(connector, "POST") == [status]
    assert (outbox.stats.retries, outbox.stats.failures) == (0, 1)
    await outbox.close()


async def test_an_edit_is_dropped_after_max_attempts_and_the_outbox_keeps_working(
    connector: LocalConnector, transport: ConnectorTransport, caplog: pytest.LogCaptureFixture
) -> None:
    # edit_retry_for=0: give up after one round (by default the edit is postponed, see
    # tests/delivery/test_connector_faults.py).
    outbox = Outbox(transport, windows=ROOMY, edit_interval=0.01, max_attempts=3,
                    backoff_base=0.01, edit_retry_for=0)
    address = address_in(connector, "19:secret-meeting@thread.v2")
    message_id = await post_card(outbox, address)
    card = Card()
    card.count = 1
    connector.fail_next(3, 502, methods=("PUT",))
    with caplog.at_level(logging.DEBUG, logger="bot.delivery"):
        outbox.edit(address, "card", message_id, card.render)
        await outbox.drain()
    assert statuses(connector, "PUT") == [502, 502, 502]
    assert connector.message(message_id)["text"] == "count 0"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "502" in warnings[0]
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "secret-meeting" not in logged and message_id not in logged
    card.count = 2
    outbox.edit(address, "card", message_id, card.render)
    assert await outbox.send(address, {"text": "still here"}) is not None
    await outbox.drain()
    assert connector.message(message_id)["text"] == "count 2"
    await outbox.close()


async def test_edits_are_rendered_again_on_retry(
    connector: LocalConnector, transport: ConnectorTransport
) -> None:
    outbox = Outbox(transport, windows=ROOMY, backoff_base=0.01)
    address = address_in(connector)
    message_id = await post_card(outbox, address)
    card = Card()

    async def render() -> dict[str, Any]:
        card.count += 1  # the state moves on between attempts
        return await card.render()

    connector.fail_next(1, 502, methods=("PUT",))
    outbox.edit(address, "card", message_id, render)
    await outbox.drain()
    assert [r.body["text"] for r in connector.requests if r.method == "PUT"] == [
        "count 1",
        "count 2",
    ]
    assert connector.message(message_id)["text"] == "count 2"
    await outbox.close()


async def test_a_refused_connection_is_retried_as_transient() -> None:
    transport = ConnectorTransport(token_provider=no_token)
    outbox = Outbox(transport, windows=ROOMY, backoff_base=0.01, backoff_cap=0.01,
                    edit_retry_for=0.1)
    try:
        with pytest.raises(TransientDeliveryError) as raised:
            await outbox.send(Address(closed_port_url(), "conv-a"), {"text": "hi"})
    finally:
        await outbox.close()
        await transport.close()
    # Never connected, so certainly not delivered: tried again until edits would give up.
    assert raised.value.status is None and not raised.value.uncertain
    assert outbox.stats.posts >= 2
    assert (outbox.stats.retries, outbox.stats.failures) == (outbox.stats.posts - 1, 1)


# ----------------------------------------------------------------- lanes and rate windows
async def test_a_retry_wait_holds_back_its_own_conversation_but_not_others(
    connector: LocalConnector, transport: ConnectorTransport
) -> None:
    outbox = Outbox(transport, windows=ROOMY)
    slow, fast = address_in(connector, "conv-a"), address_in(connector, "conv-b")
    connector.fail_next(1, 429, retry_after="1")
    first, second = outbox.send(slow, {"text": "a1"}), outbox.send(slow, {"text": "a2"})
    await connector.wait_for(lambda c: statuses(c, "POST") == [429])
    throttled_at = connector.requests[0].at
    assert await asyncio.wait_for(outbox.send(fast, {"text": "b1"}), 0.5) is not None
    assert not first.done()
    await asyncio.gather(first, second)
    assert [a["text"] for a in connector.sent("conv-a")] == ["a1", "a2"]
    assert all(r.at >= throttled_at + 1.0 for r in connector.requests if r.body["text"] == "a2")
    await outbox.close()


async def test_sends_respect_the_rate_windows_of_each_conversation_independently(
    connector: LocalConnector, transport: ConnectorTransport
) -> None:
    outbox = Outbox(transport, windows=DEFAULT_WINDOWS)
    futures = [
        outbox.send(address_in(connector, conversation), {"text": f"{conversation} {i}"})
        for i in range(20)
        for conversation in ("conv-a", "conv-b")
    ]
    await asyncio.gather(*futures)
    arrivals = {
        conversation: [r.at for r in connector.requests if r.conversation_id == conversation]
        for conversation in ("conv-a", "conv-b")
    }
    for times in arrivals.values():
        assert len(times) == 20
        assert all(times[i + 7] >= times[i] + 1.0 for i in range(len(times) - 7))
        assert all(times[i + 8] >= times[i] + 2.0 for i in range(len(times) - 8))
    # Each conversation's first burst of seven went out before the other's first wait ended.
    assert arrivals["conv-a"][6] < arrivals["conv-b"][7]
    assert arrivals["conv-b"][6] < arrivals["conv-a"][7]
    await outbox.close()


async def test_edits_count_against_the_same_rate_windows_as_sends(
    connector: LocalConnector, transport: ConnectorTransport
) -> None:
    outbox = Outbox(transport, windows=((0.5, 2),), edit_interval=0.01)
    address = address_in(connector)
    message_id = await post_card(outbox, address)
    card = Card()
    card.count = 1
    outbox.edit(address, "card", message_id, card.render)
    await outbox.send(address, {"text": "third"})
    first, second, third = (r.at for r in connector.requests)
    assert [r.method for r in connector.requests] == ["POST", "PUT", "POST"]
    assert second < first + 0.5
    assert third >= first + 0.5
    await outbox.close()


async def test_a_close_that_times_out_stops_the_workers_and_cancels_unsent_messages(
    connector: LocalConnector, transport: ConnectorTransport
) -> None:
    outbox = Outbox(transport, windows=ROOMY)
    connector.fail_next(1, 429, retry_after="5")
    stuck = outbox.send(address_in(connector), {"text": "throttled"})
    queued = outbox.send(address_in(connector), {"text": "behind it"})
    await connector.wait_for(lambda c: len(c.requests) == 1)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(outbox.close(), 0.2)
    await asyncio.sleep(0)  # let the cancelled worker unwind
    assert stuck.cancelled() and queued.cancelled()
    assert [t for t in asyncio.all_tasks() if t.get_name() == "outbox-lane"] == []
    assert connector.sent() == []
