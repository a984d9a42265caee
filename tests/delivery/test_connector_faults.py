"""Outbox and transport against a misbehaving connector: server errors, timeouts and storms.

Card edits are not lost (the final state arrives once the connector recovers), backoff is
respected (measured as the spacing of the requests' arrival at the connector), and storms do
not turn into retry storms, however many cards are waiting.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from itertools import pairwise
from typing import Any

import pytest

from bot.delivery.outbox import Outbox
from bot.delivery.transport import (
    ConnectorTransport,
    DeliveryError,
    TransientDeliveryError,
    is_transient,
)
from devtools.local_connector import NO_ANSWER, LocalConnector
from tests.delivery.helpers import UpperBoundRandom, address_in, no_token

ROOMY = ((1.0, 1000),)  # rate windows too wide to matter


class Card:
    """A card whose state is a counter; render() shows the current count."""

    def __init__(self) -> None:
        self.count = 0

    async def render(self) -> dict[str, Any]:
        return {"text": f"count {self.count}"}


def puts(connector: LocalConnector, conversation_id: str | None = None) -> list[Any]:
    return [r for r in connector.requests if r.method == "PUT"
            and (conversation_id is None or r.conversation_id == conversation_id)]


def gaps(times: list[float]) -> list[float]:
    return [later - earlier for earlier, later in pairwise(times)]


@pytest.fixture
async def quick_transport() -> AsyncIterator[ConnectorTransport]:
    """A transport that gives up waiting for an answer after 0.2 s (production: 10 s)."""
    wire = ConnectorTransport(token_provider=no_token, timeout=0.2)
    yield wire
    await wire.close()


async def posted(outbox: Outbox, connector: LocalConnector, conversation: str = "conv-a") -> str:
    message_id = await outbox.send(address_in(connector, conversation), {"text": "count 0"})
    assert message_id is not None
    return message_id


# ----------------------------------------------------------------- which errors are retried
@pytest.mark.parametrize(("status", "method", "retried"), [
    (412, "POST", True), (429, "POST", True), (502, "POST", True), (504, "POST", True),
    (503, "POST", True), (500, "POST", False), (501, "PUT", False), (505, "PUT", False),
    (500, "PUT", True), (503, "PUT", True), (507, "PUT", True), (500, "GET", True),
    (400, "PUT", False), (403, "PUT", False), (404, "PUT", False), (409, "POST", False),
])
def test_the_retry_policy_is_microsofts_list_plus_503_and_server_errors_of_idempotent_calls(
    status: int, method: str, retried: bool
) -> None:
    assert is_transient(status, method) is retried


async def test_a_500_on_an_edit_is_retried_until_the_card_shows_its_state(
    connector: LocalConnector, transport: ConnectorTransport
) -> None:
    outbox = Outbox(transport, windows=ROOMY, backoff_base=0.01)
    message_id = await posted(outbox, connector)
    card = Card()
    card.count = 7
    connector.fail_next(2, 500, methods=("PUT",))
    outbox.edit(address_in(connector), "card", message_id, card.render)
    await outbox.drain()
    assert [r.status for r in puts(connector)] == [500, 500, 200]
    assert connector.message(message_id)["text"] == "count 7"
    await outbox.close()


async def test_a_500_on_a_send_is_not_retried_so_nothing_is_posted_twice(
    connector: LocalConnector, transport: ConnectorTransport
) -> None:
    outbox = Outbox(transport, windows=ROOMY, backoff_base=0.01)
    connector.fail_next(1, 500, methods=("POST",))
    with pytest.raises(DeliveryError) as raised:
        await outbox.send(address_in(connector), {"text": "hello"})
    assert raised.value.status == 500
    assert not isinstance(raised.value, TransientDeliveryError)
    assert [r.status for r in connector.requests] == [500]
    await outbox.close()


@pytest.mark.parametrize("method", ["POST", "PUT"])
async def test_a_503_is_retried_after_the_time_the_connector_asked_for(
    connector: LocalConnector, transport: ConnectorTransport, method: str
) -> None:
    outbox = Outbox(transport, windows=ROOMY)
    message_id = await posted(outbox, connector)
    card = Card()
    card.count = 1
    connector.fail_next(1, 503, retry_after="0.3", methods=(method,))
    if method == "POST":
        assert await outbox.send(address_in(connector), {"text": "news"}) is not None
    else:
        outbox.edit(address_in(connector), "card", message_id, card.render)
        await outbox.drain()
        assert connector.message(message_id)["text"] == "count 1"
    tried = [r for r in connector.requests if r.method == method][-2:]
    assert [r.status for r in tried] == [503, 201 if method == "POST" else 200]
    assert tried[1].arrived - tried[0].at >= 0.3
    await outbox.close()


# ----------------------------------------------------------------- no answer
async def test_a_connector_that_never_answers_costs_one_timeout_per_attempt_then_the_edit_lands(
    connector: LocalConnector, quick_transport: ConnectorTransport
) -> None:
    outbox = Outbox(quick_transport, windows=ROOMY, backoff_base=0.01)
    message_id = await posted(outbox, connector)
    card = Card()
    card.count = 3
    connector.hang_next(2, methods=("PUT",))
    outbox.edit(address_in(connector), "card", message_id, card.render)
    await outbox.drain()
    tried = puts(connector)
    assert [r.status for r in tried] == [NO_ANSWER, NO_ANSWER, 200]
    assert all(gap >= 0.2 for gap in gaps([r.arrived for r in tried]))  # one per timeout
    assert connector.message(message_id)["text"] == "count 3"
    assert outbox.stats.failures == 0
    await outbox.close()


async def test_an_edit_answered_after_the_client_timeout_is_repeated_harmlessly(
    connector: LocalConnector, quick_transport: ConnectorTransport
) -> None:
    outbox = Outbox(quick_transport, windows=ROOMY, backoff_base=0.01)
    message_id = await posted(outbox, connector)
    card = Card()
    card.count = 4
    connector.answer_late(1, 0.6, methods=("PUT",))
    outbox.edit(address_in(connector), "card", message_id, card.render)
    await outbox.drain()
    assert [r.body["text"] for r in puts(connector)] == ["count 4", "count 4"]
    assert connector.message(message_id)["text"] == "count 4"
    await outbox.close()


async def test_a_send_answered_after_the_client_timeout_is_posted_once_and_reported_uncertain(
    connector: LocalConnector, quick_transport: ConnectorTransport
) -> None:
    # At most once: it did arrive here, and posting it again would show it twice.
    outbox = Outbox(quick_transport, windows=ROOMY, backoff_base=0.01)
    connector.answer_late(1, 0.6, methods=("POST",))
    with pytest.raises(TransientDeliveryError) as failed:
        await outbox.send(address_in(connector), {"text": "poll card"})
    assert failed.value.uncertain
    await asyncio.sleep(0.7)  # the late answer comes; nothing else is posted
    assert [m["text"] for m in connector.sent()] == ["poll card"]
    await outbox.close()


@pytest.mark.parametrize("status", [502, 504, 500])
async def test_a_send_answered_with_a_gateway_or_server_error_is_not_posted_again(
    connector: LocalConnector, transport: ConnectorTransport, status: int
) -> None:
    outbox = Outbox(transport, windows=ROOMY, backoff_base=0.01)
    connector.fail_next(1, status, methods=("POST",))
    with pytest.raises(DeliveryError) as failed:
        await outbox.send(address_in(connector), {"text": "poll card"})
    assert failed.value.uncertain and failed.value.status == status
    assert len([r for r in connector.requests if r.method == "POST"]) == 1
    await outbox.close()


async def test_a_send_refused_as_not_handled_is_tried_again_while_the_chats_edits_go_out(
    connector: LocalConnector, transport: ConnectorTransport
) -> None:
    outbox = Outbox(transport, windows=ROOMY, edit_interval=0.01, backoff_base=0.02,
                    backoff_cap=0.05)
    message_id = await posted(outbox, connector)
    connector.storm(503, methods=("POST",))
    sent = outbox.send(address_in(connector), {"text": "second"})
    card = Card()
    card.count = 7
    outbox.edit(address_in(connector), "card", message_id, card.render)
    await connector.wait_for(lambda c: len([r for r in c.requests if r.method == "POST"
                                            and r.status == 503]) >= 3)
    # The edit, queued after the failing send, went out between its attempts.
    assert connector.message(message_id)["text"] == "count 7"
    assert not sent.done()
    connector.calm()
    assert await sent == connector.requests[-1].activity_id
    assert [m["text"] for m in connector.sent()] == ["count 0", "second"]
    await outbox.close()


async def test_a_send_failing_for_longer_than_edits_are_retried_is_given_up_certain(
    connector: LocalConnector, transport: ConnectorTransport
) -> None:
    outbox = Outbox(transport, windows=ROOMY, backoff_base=0.01, backoff_cap=0.02,
                    edit_retry_for=0.3)
    connector.storm(429, methods=("POST",))
    started = time.monotonic()
    with pytest.raises(TransientDeliveryError) as failed:
        await outbox.send(address_in(connector), {"text": "poll card"})
    assert not failed.value.uncertain and failed.value.status == 429
    assert time.monotonic() - started >= 0.3
    assert connector.sent() == []
    await outbox.close()


# ----------------------------------------------------------------- storms
async def test_an_edit_outlasting_its_attempts_in_a_storm_is_postponed_not_lost(
    connector: LocalConnector, transport: ConnectorTransport
) -> None:
    outbox = Outbox(transport, windows=ROOMY, edit_interval=0.05, max_attempts=2)
    address = address_in(connector)
    message_id = await posted(outbox, connector)
    card = Card()
    connector.storm(429, retry_after="0.1", methods=("PUT",))
    for count in range(1, 4):
        card.count = count
        outbox.edit(address, "card", message_id, card.render)
        await asyncio.sleep(0.05)
    await connector.wait_for(lambda c: len(puts(c)) >= 5, timeout=5)  # beyond 2 rounds of 2
    card.count = 9  # the last change happens while the storm still goes on
    outbox.edit(address, "card", message_id, card.render)
    await connector.wait_for(lambda c: len(puts(c)) >= 7, timeout=5)
    connector.calm()
    await outbox.drain()
    tried = puts(connector)
    assert connector.message(message_id)["text"] == "count 9"
    assert [r.status for r in tried].count(200) == 1  # the final state, once
    assert all(b.arrived - a.at >= 0.1 for a, b in pairwise(tried))  # Retry-After kept
    assert outbox.stats.postponed >= 2 and outbox.stats.failures == 0
    await outbox.close()


async def test_many_dirty_cards_in_one_conversation_share_its_backoff(
    connector: LocalConnector, transport: ConnectorTransport
) -> None:
    outbox = Outbox(transport, windows=ROOMY, edit_interval=0.05, max_attempts=2)
    address = address_in(connector)
    messages = [await posted(outbox, connector) for _ in range(20)]
    cards = [Card() for _ in messages]
    connector.storm(429, retry_after="0.1", methods=("PUT",))
    started = time.monotonic()
    for _ in range(5):
        for key, (message_id, card) in enumerate(zip(messages, cards, strict=True)):
            card.count += 1
            outbox.edit(address, key, message_id, card.render)
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.2)
    connector.calm()
    stormy = time.monotonic() - started
    await outbox.drain()
    tried = puts(connector)
    failed = [r for r in tried if r.status == 429]
    # One attempt per Retry-After for the whole conversation, not per card.
    assert len(failed) <= stormy / 0.1 + 1, len(failed)
    assert all(b.arrived - a.at >= 0.1 for a, b in pairwise(failed))
    assert all(connector.message(m)["text"] == "count 5" for m in messages)
    assert len([r for r in tried if r.status == 200]) == 20  # one edit per card afterwards
    await outbox.close()


async def storm_across_conversations(connector: LocalConnector, transport: ConnectorTransport,
                                     *, chats: int, rounds: int, retry_after: float,
                                     tail: float) -> None:
    """Every conversation's card is edited `rounds` times while all PUTs are answered 429; the
    storm lasts `tail` seconds more (past the last edit's attempts, so it must be postponed)."""
    outbox = Outbox(transport, windows=ROOMY, edit_interval=0.05, max_attempts=2)
    names = [f"conv-{n}" for n in range(chats)]
    messages = {chat: await posted(outbox, connector, chat) for chat in names}
    cards = {chat: Card() for chat in names}
    connector.storm(429, retry_after=f"{retry_after:g}", methods=("PUT",))
    started = time.monotonic()
    for _ in range(rounds):
        for chat in names:
            cards[chat].count += 1
            outbox.edit(address_in(connector, chat), "card", messages[chat], cards[chat].render)
        await asyncio.sleep(0.03)
    await asyncio.sleep(tail)
    connector.calm()
    stormy = time.monotonic() - started
    await outbox.drain()
    limit = stormy / retry_after + 1
    for chat in names:
        tried = puts(connector, chat)
        assert len([r for r in tried if r.status == 429]) <= limit
        assert [r.status for r in tried].count(200) == 1
        assert connector.message(messages[chat])["text"] == f"count {rounds}"
    assert len(puts(connector)) <= chats * (limit + 1) < chats * rounds
    await outbox.close()


async def test_a_storm_across_many_conversations_costs_each_one_attempt_per_retry_after(
    connector: LocalConnector, transport: ConnectorTransport
) -> None:
    await storm_across_conversations(connector, transport, chats=30, rounds=10,
                                     retry_after=0.2, tail=0.5)


@pytest.mark.long
async def test_a_long_storm_across_two_hundred_conversations(
    connector: LocalConnector, transport: ConnectorTransport
) -> None:
    await storm_across_conversations(connector, transport, chats=200, rounds=100,
                                     retry_after=1.0, tail=10.0)


async def test_without_retry_after_the_backoff_keeps_growing_across_the_jobs_of_a_lane(
    connector: LocalConnector, transport: ConnectorTransport
) -> None:
    rng = UpperBoundRandom()
    outbox = Outbox(transport, windows=ROOMY, edit_interval=0.01, max_attempts=2,
                    backoff_base=0.01, backoff_cap=0.08, rng=rng)
    address = address_in(connector)
    messages = [await posted(outbox, connector) for _ in range(4)]
    cards = [Card() for _ in messages]
    connector.storm(502, methods=("PUT",))
    for key, (message_id, card) in enumerate(zip(messages, cards, strict=True)):
        card.count = key + 1
        outbox.edit(address, key, message_id, card.render)
    await connector.wait_for(lambda c: len(puts(c)) >= 8, timeout=5)
    connector.calm()
    await outbox.drain()
    # The exponent counts the lane's failures in a row, not the attempts of one job.
    assert rng.ranges[:7] == [(0, 0.01), (0, 0.02), (0, 0.04)] + [(0, 0.08)] * 4
    tried = [r.arrived for r in puts(connector)]
    assert all(gap >= wait for gap, (_, wait) in zip(gaps(tried), rng.ranges, strict=False))
    assert [connector.message(m)["text"] for m in messages] == [f"count {n}" for n in (1, 2, 3, 4)]
    await outbox.close()


async def test_an_edit_failing_longer_than_edit_retry_for_is_given_up(
    connector: LocalConnector, transport: ConnectorTransport
) -> None:
    outbox = Outbox(transport, windows=ROOMY, edit_interval=0.05, max_attempts=2,
                    edit_retry_for=0.5)
    message_id = await posted(outbox, connector)
    card = Card()
    card.count = 1
    connector.storm(503, retry_after="0.1", methods=("PUT",))
    started = time.monotonic()
    outbox.edit(address_in(connector), "card", message_id, card.render)
    await asyncio.wait_for(outbox.drain(), 3)
    assert 0.5 <= time.monotonic() - started < 1.5
    assert outbox.stats.failures == 1 and outbox.stats.postponed >= 2
    assert connector.message(message_id)["text"] == "count 0"
    await outbox.close()


async def test_closing_during_a_storm_gives_postponed_edits_one_last_round_and_ends(
    connector: LocalConnector, transport: ConnectorTransport
) -> None:
    outbox = Outbox(transport, windows=ROOMY, edit_interval=5.0, max_attempts=2)
    message_id = await posted(outbox, connector)
    card = Card()
    card.count = 1
    connector.storm(429, retry_after="0.1", methods=("PUT",))
    outbox.edit(address_in(connector), "card", message_id, card.render)
    await connector.wait_for(lambda c: len(puts(c)) == 2, timeout=5)
    await asyncio.sleep(0.15)  # the round is over; the next is due only after the interval
    assert outbox.stats.postponed == 1
    started = time.monotonic()
    await asyncio.wait_for(outbox.close(), 2)  # due at once now, then given up
    assert time.monotonic() - started < 0.5
    assert outbox.stats.failures == 1
    assert len(puts(connector)) == 4
