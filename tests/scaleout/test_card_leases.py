"""Card leases on PostgreSQL: one holder at a time, the edit interval across holders, a
crashed holder's lease expires, and what the card shows is shared."""

from __future__ import annotations

import asyncio
import time

import pytest

from storage.card_leases import Lease, LocalCardLeases, SharedCardLeases, Wait
from storage.repositories import Storage

pytestmark = pytest.mark.postgres
CARD = "c" * 64


def leases(storage: Storage, name: str, ttl: float = 5.0) -> SharedCardLeases:
    return SharedCardLeases(storage.engine, ttl=ttl, holder=name)


async def test_a_card_has_one_holder_and_the_next_waits_out_the_interval(two_storages):
    a, b = (leases(s, n) for s, n in zip(two_storages, "ab", strict=True))
    held = await a.take(CARD, interval=0.3)
    assert isinstance(held, Lease) and held.shared
    busy = await b.take(CARD, interval=0.3)
    assert isinstance(busy, Wait) and 0 < busy.seconds <= 0.3
    await a.give_back(held, edited=True, shown="digest-1")
    given_back = time.monotonic()
    too_soon = await b.take(CARD, interval=0.3)
    assert isinstance(too_soon, Wait) and 0.2 < too_soon.seconds <= 0.3
    while isinstance(taken := await b.take(CARD, interval=0.3), Wait):
        assert time.monotonic() - given_back < 2.0, "the card stayed busy"
        await asyncio.sleep(taken.seconds)
    assert time.monotonic() - given_back >= 0.29
    assert taken.shown == "digest-1"  # what A's edit put on the card


async def test_concurrent_takers_get_one_lease(two_storages):
    contenders = [leases(two_storages[i % 2], f"p{i}") for i in range(10)]
    results = await asyncio.gather(*(c.take(CARD, interval=1.0) for c in contenders))
    assert sum(isinstance(r, Lease) for r in results) == 1


async def test_a_lease_given_back_without_an_edit_keeps_the_interval_and_the_shown_state(
        two_storages):
    a, b = (leases(s, n) for s, n in zip(two_storages, "ab", strict=True))
    first = await a.take(CARD, interval=10.0)
    await a.give_back(first, edited=True, shown="shown-1")
    assert isinstance(await b.take(CARD, interval=10.0), Wait)  # edited just now
    second = await b.take(CARD, interval=0.0)
    assert isinstance(second, Lease) and second.shown == "shown-1"
    await b.give_back(second, edited=False, shown=None)  # rendered, nothing new to send
    third = await a.take(CARD, interval=0.0)
    assert isinstance(third, Lease) and third.shown == "shown-1"


async def test_a_crashed_holders_lease_expires(two_storages):
    crashed, survivor = leases(two_storages[0], "a", ttl=0.4), leases(two_storages[1], "b")
    assert isinstance(await crashed.take(CARD, interval=0.1), Lease)  # never given back
    started = time.monotonic()
    while isinstance(taken := await survivor.take(CARD, interval=0.1), Wait):
        assert taken.seconds <= 0.4
        assert time.monotonic() - started < 2.0, "the lease never expired"
        await asyncio.sleep(taken.seconds)
    assert time.monotonic() - started >= 0.3


async def test_a_kept_lease_outlives_its_ttl(two_storages):
    a, b = leases(two_storages[0], "a", ttl=0.3), leases(two_storages[1], "b")
    held = await a.take(CARD, interval=0.0)
    assert isinstance(held, Lease)
    async with a.keep(held):
        for _ in range(8):
            await asyncio.sleep(0.1)
            assert isinstance(await b.take(CARD, interval=0.0), Wait)
    await a.give_back(held, edited=False, shown=None)
    assert isinstance(await b.take(CARD, interval=0.0), Lease)


async def test_without_other_processes_every_lease_is_granted_at_once():
    local = LocalCardLeases()
    first, second = await local.take(CARD, 5.0), await local.take(CARD, 5.0)
    assert isinstance(first, Lease) and isinstance(second, Lease) and not first.shared
