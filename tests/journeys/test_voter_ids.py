"""One person is one ballot however a client spells their ids (case, braces around GUIDs)."""

from __future__ import annotations

from dataclasses import replace

from tests.journeys.helpers import counts_on, create_poll, shared_card
from tests.support.teams import Participant

ANNA = Participant.numbered(1)
BEN = Participant.numbered(2)


async def test_an_entra_id_in_capitals_and_braces_is_the_same_voter(bot):
    poll_id, card_id = await create_poll(bot, ANNA, "poll Lunch at noon? | Yes | No")
    shouting = replace(BEN, aad_object_id="{" + BEN.aad_object_id.upper() + "}")
    await bot.click(BEN, "poll.vote", {"poll": poll_id, "rz_choice": "0"})
    await bot.click(shouting, "poll.vote", {"poll": poll_id, "rz_choice": "1"})  # a change
    for n in (3, 4):
        await bot.click(Participant.numbered(n), "poll.vote", {"poll": poll_id, "rz_choice": "0"})
    await bot.click(ANNA, "poll.close", {"poll": poll_id})
    await bot.settle()
    assert counts_on(shared_card(bot, card_id)) == {"Yes": 2, "No": 1}
