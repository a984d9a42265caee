"""A town-hall burst: 1,000 votes through the endpoint give a handful of edits and an exact card."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

from tests.journeys.helpers import counts_on, create_poll, shared_card, texts_in
from tests.support.teams import Participant, settings_for_tests, start_bot


async def test_a_thousand_votes_give_a_handful_of_edits_and_the_exact_final_tally(tmp_path: Path):
    # The production edit interval (2 s), not the short one other journeys use.
    bot, _ = await start_bot(settings_for_tests(tmp_path, edit_interval=2.0))
    try:
        poll_id, card_id = await create_poll(bot, Participant.numbered(0),
                                             "poll Ship it? | Yes | No | Later")
        gate = asyncio.Semaphore(64)

        async def vote(number: int) -> None:
            async with gate:
                body = await bot.click(Participant.numbered(1000 + number), "poll.vote",
                                       {"poll": poll_id, "rz_choice": str(number % 3)})
                assert body["type"] == "application/vnd.microsoft.card.adaptive"

        await asyncio.gather(*(vote(n) for n in range(1000)))
        await bot.settle()
        card = shared_card(bot, card_id)
        # Open, the card shows the breakdown of its last step (at most 2 people behind).
        assert sum(counts_on(card).values()) >= 998
        assert "1,000 votes" in texts_in(card)  # CLDR digit grouping
        edits = bot.connector.edits(card_id)
        assert 1 <= len(edits) <= 6, f"{len(edits)} edits for 1,000 votes"
        starts = [r.at for r in bot.connector.requests if r.kind == "edit"]
        assert all(b - a >= 1.9 for a, b in itertools.pairwise(starts)), starts
        await bot.click(Participant.numbered(0), "poll.close", {"poll": poll_id})
        await bot.settle()
        assert counts_on(shared_card(bot, card_id)) == {"Yes": 334, "No": 333, "Later": 333}
    finally:
        await bot.client.close()
        await bot.connector.stop()
