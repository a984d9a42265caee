"""An observer in the room knows when each colleague clicked and watches every edit of the
shared card: against the real endpoint, no vote of an open poll can be read off the card.

The observer (tests/support/observer.py) works out every choice consistent with the cards it
saw. A ballot it can still tell is one of a step of at least the minimum of people who all
chose alike, which is what a result of those people reveals anyway (docs/PRIVACY.md, "Live
cards and timing"). Before this rule, the trickle below let 12 of 15 votes be read off: the card
caught up with the exact tally after 2 quiet seconds ("11: 10/1", then "12: 10/2").
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections.abc import Collection

from tests.journeys.helpers import counts_on, create_poll, shared_card, texts_in
from tests.support.observer import Click, attributed, steps
from tests.support.teams import BotUnderTest, Participant

YES, NO = 0, 1
OPTIONS = ("Yes", "No")
MINIMUM = 3  # the default minimum group size
QUIET = 2.5  # longer than the quiet moment after which the old card caught up
# The trickle: after 11 votes 10/1, the 12th vote No; pauses where the old card caught up.
TRICKLE = [YES, YES, YES, YES, YES, NO, YES, YES, YES, YES, YES, NO, NO, NO, NO]
PAUSE_AFTER = {2, 5, 10, 11}


async def _poll(bot: BotUnderTest) -> tuple[str, str]:
    return await create_poll(bot, Participant.numbered(0), "poll Ship it? | Yes | No")


def _seen(bot: BotUnderTest, card_id: str) -> tuple[tuple[int, ...] | None, str]:
    """The breakdown the card shows if it is the exact tally of now (None when it is withheld
    or "as of" fewer votes), and the card's vote count line."""
    card = shared_card(bot, card_id)
    texts = texts_in(card)
    counts = counts_on(card)
    stale = any(text.startswith("Results as of") for text in texts)
    count_line = next(text for text in texts if re.match(r"^(\d+ votes?|No votes yet)", text))
    if not counts or stale:
        return None, count_line
    return tuple(counts[option] for option in OPTIONS), count_line


async def _vote(bot: BotUnderTest, poll_id: str, person: int, choice: int) -> None:
    await bot.click(Participant.numbered(person), "poll.vote",
                    {"poll": poll_id, "rz_choice": str(choice)})
    await bot.settle()


async def _watch(bot: BotUnderTest, poll_id: str, card_id: str,
                 clicks: list[tuple[int, int]], pauses: Collection[int] = ()
                 ) -> tuple[list[Click], list[tuple[tuple[int, ...] | None, str]]]:
    seen: list[Click] = []
    cards = []
    for index, (person, choice) in enumerate(clicks):
        await _vote(bot, poll_id, person, choice)
        if index in pauses:
            await asyncio.sleep(QUIET)
            await bot.settle()
        exact, count_line = _seen(bot, card_id)
        seen.append(Click(str(person), exact))
        cards.append((exact, count_line))
    return seen, cards


def _people_between_changes(seen: list[Click]) -> list[int]:
    return [len({seen[i].person for i in step}) for step in steps(seen)
            if seen[step[-1]].exact is not None]


def _unanimous_only(seen: list[Click], chosen: list[int]) -> dict[int, int]:
    """The observer's findings, each checked to lie in a shown step whose people all chose
    alike; returns them."""
    known = attributed(seen, len(OPTIONS))
    for step in steps(seen):
        if any(index in known for index in step):
            standing = {seen[i].person: chosen[i] for i in step}
            assert seen[step[-1]].exact is not None and len(standing) >= MINIMUM
            assert len(set(standing.values())) == 1, (step, standing)
    return known


async def test_a_trickle_of_fifteen_votes_with_quiet_moments(bot: BotUnderTest):
    poll_id, card_id = await _poll(bot)
    clicks = [(10 + n, choice) for n, choice in enumerate(TRICKLE)]
    seen, cards = await _watch(bot, poll_id, card_id, clicks, PAUSE_AFTER)
    assert [line for _, line in cards][10:12] == ["11 votes", "12 votes"]  # counts move
    assert all(people >= MINIMUM for people in _people_between_changes(seen))
    known = _unanimous_only(seen, TRICKLE)
    # The lone No votes (6th and 12th) are never told apart from the Yes votes around them.
    assert 5 not in known and 11 not in known
    # What the observer does learn: three steps of three people who chose alike (Yes, Yes,
    # No), as a result of just those three would show; docs/PRIVACY.md names this limit.
    assert sorted(known) == [0, 1, 2, 6, 7, 8, 12, 13, 14]
    await bot.click(Participant.numbered(0), "poll.close", {"poll": poll_id})
    await bot.settle()
    assert counts_on(shared_card(bot, card_id)) == {"Yes": 10, "No": 5}


async def test_a_unanimous_start_then_one_dissent(bot: BotUnderTest):
    poll_id, card_id = await _poll(bot)
    choices = [YES, YES, YES, YES, NO, YES, YES]
    seen, _ = await _watch(bot, poll_id, card_id,
                           [(20 + n, c) for n, c in enumerate(choices)], {3, 4})
    known = _unanimous_only(seen, choices)
    assert 4 not in known  # the first No, cast alone after a quiet moment
    assert all(people >= MINIMUM for people in _people_between_changes(seen))


async def test_one_person_changing_back_and_forth_never_moves_the_card(bot: BotUnderTest):
    poll_id, card_id = await _poll(bot)
    for person, choice in [(30, YES), (31, NO), (32, YES)]:
        await _vote(bot, poll_id, person, choice)
    before = _seen(bot, card_id)
    assert before == ((2, 1), "3 votes")
    for index, choice in enumerate([NO, YES, NO, NO, YES, NO]):
        await _vote(bot, poll_id, 30, choice)
        if index % 2:
            await asyncio.sleep(QUIET)
            await bot.settle()
        assert counts_on(shared_card(bot, card_id)) == {"Yes": 2, "No": 1}
        assert "3 votes" in texts_in(shared_card(bot, card_id))
    # Two more people make three since the breakdown shown: it moves, exactly.
    await _vote(bot, poll_id, 33, YES)
    await _vote(bot, poll_id, 34, NO)
    assert _seen(bot, card_id) == ((2, 3), "5 votes")


def _breakdown(card: dict) -> tuple[int, ...] | None:
    counts = counts_on(card)
    return tuple(counts[option] for option in OPTIONS) if counts else None


async def test_personal_copies_between_two_card_edits_move_in_the_same_steps(bot: BotUnderTest):
    """"Change vote" asked for after each colleague's click: the copy may not show the exact
    tally between two edits of the shared card (it did: 4/2, then 4/3 after one No)."""
    poll_id, _ = await _poll(bot)
    watcher = Participant.numbered(99)
    await bot.click(watcher, "poll.vote", {"poll": poll_id, "rz_choice": "0"})
    seen = []
    for person, choice in enumerate([YES, NO, YES, NO, NO, YES, NO, YES, YES], start=40):
        await bot.click(Participant.numbered(person), "poll.vote",
                        {"poll": poll_id, "rz_choice": str(choice)})  # no settling between
        copy = await bot.click(watcher, "poll.change", {"poll": poll_id})
        seen.append(_breakdown(copy["value"]))
    # Click i (from 0) makes i + 2 ballots; the breakdown changes at a click only once at
    # least three people voted since the click where it changed last.
    changes = [i for i, (a, b) in enumerate(itertools.pairwise(seen), start=1) if a != b]
    assert changes and changes[0] + 2 >= MINIMUM, seen
    assert all(b - a >= MINIMUM for a, b in itertools.pairwise(changes)), seen
    assert len(changes) >= 2, seen  # it does move


async def test_a_summary_asked_for_between_two_steps_shows_an_open_polls_turnout_only(
        bot: BotUnderTest):
    poll_id, card_id = await _poll(bot)
    for person, choice in [(50, YES), (51, YES), (52, NO), (53, NO)]:
        await _vote(bot, poll_id, person, choice)
    assert _seen(bot, card_id) == (None, "4 votes")  # the card: 2/1 "as of 3 votes"
    assert await bot.say(Participant.numbered(0), "summary") == 201
    await bot.settle()
    summary = bot.cards()[-1]
    assert "Results are shown when the poll closes." in texts_in(summary)
    assert not [e for e in json.dumps(summary).split('"legend"')[1:] if '"Yes"' in e]


async def test_close_reopen_one_vote_close_does_not_show_that_vote(bot: BotUnderTest):
    poll_id, card_id = await _poll(bot)
    moderator = Participant.numbered(0)
    for person, choice in [(60, YES), (61, YES), (62, NO)]:
        await _vote(bot, poll_id, person, choice)
    await bot.click(moderator, "poll.close", {"poll": poll_id})
    await bot.click(moderator, "poll.reopen", {"poll": poll_id})
    await _vote(bot, poll_id, 63, NO)
    refused = await bot.click(moderator, "poll.close", {"poll": poll_id})
    assert "since the poll was reopened fewer than 3 people have voted" in json.dumps(refused)
    assert counts_on(shared_card(bot, card_id)) == {"Yes": 2, "No": 1}
    for person, choice in [(64, YES), (65, NO)]:
        await _vote(bot, poll_id, person, choice)
    await bot.click(moderator, "poll.close", {"poll": poll_id})  # three since: allowed
    await bot.settle()
    assert counts_on(shared_card(bot, card_id)) == {"Yes": 3, "No": 3}
