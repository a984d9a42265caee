"""A 429 storm during a live vote burst, through the real endpoint: every vote is answered, the
card's final state arrives once the storm ends, and the bot keeps to Retry-After throughout."""

from __future__ import annotations

import asyncio
import time
from itertools import pairwise
from pathlib import Path

import pytest

from tests.journeys.helpers import counts_on, create_poll, shared_card, texts_in
from tests.support.teams import Participant, settings_for_tests, start_bot

RECEIPT = "application/vnd.microsoft.card.adaptive"


async def storm_during_a_burst(tmp_path: Path, *, votes: int, retry_after: float,
                               edit_interval: float, tail: float) -> None:
    """Votes arrive while every card edit is answered 429; the storm lasts `tail` seconds
    after the last vote (longer than an edit's five attempts), then ends."""
    bot, _ = await start_bot(settings_for_tests(tmp_path, edit_interval=edit_interval))
    try:
        poll_id, card_id = await create_poll(bot, Participant.numbered(0),
                                             "poll Storm? | Yes | No | Later")
        bot.connector.storm(429, retry_after=f"{retry_after:g}", methods=("PUT",))
        storm_began = time.monotonic()
        gate = asyncio.Semaphore(16)

        async def vote(number: int) -> None:
            async with gate:
                body = await bot.click(Participant.numbered(1000 + number), "poll.vote",
                                       {"poll": poll_id, "rz_choice": str(number % 3)})
                assert body["type"] == RECEIPT, body  # a receipt, not an apology

        await asyncio.gather(*(vote(n) for n in range(votes)))
        await asyncio.sleep(tail)
        bot.connector.calm()
        stormy = time.monotonic() - storm_began
        await bot.settle()

        card = shared_card(bot, card_id)
        expected = {"Yes": (votes + 2) // 3, "No": (votes + 1) // 3, "Later": votes // 3}
        assert counts_on(card) == expected
        assert f"{votes} votes" in texts_in(card)

        edits = [r for r in bot.connector.requests if r.kind == "edit"]
        refused = [r for r in edits if r.status == 429]
        landed = [r for r in edits if r.status == 200]
        assert refused and landed and edits[-1].status == 200
        # Backoff respected: no request before the time the connector asked for.
        assert all(b.arrived - a.at >= retry_after for a, b in pairwise(edits)), \
            [round(b.arrived - a.at, 3) for a, b in pairwise(edits)]
        # No retry storm: about one attempt per Retry-After, however many votes came in.
        assert len(refused) <= stormy / retry_after + 1, (len(refused), stormy)
        # What people see changes at most once per edit interval (small slack for transit).
        assert all(b.arrived - a.arrived >= edit_interval - 0.02
                   for a, b in pairwise(landed))
    finally:
        await bot.client.close()
        await bot.connector.stop()


async def test_a_429_storm_during_a_vote_burst_loses_no_vote_and_no_card_state(tmp_path: Path):
    await storm_during_a_burst(tmp_path, votes=100, retry_after=0.3, edit_interval=0.3,
                               tail=1.8)


@pytest.mark.long
async def test_a_long_429_storm_during_a_big_vote_burst(tmp_path: Path):
    await storm_during_a_burst(tmp_path, votes=1500, retry_after=1.0, edit_interval=2.0,
                               tail=12.0)
