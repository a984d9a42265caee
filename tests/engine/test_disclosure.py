"""What a shared poll card may show (facilitation.disclosure)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facilitation.disclosure import Disclosure, Withheld
from facilitation.disclosure import disclose as disclose_with_minimum
from facilitation.policy import DEFAULT_MIN_GROUP
from facilitation.polls import (
    Poll,
    PollDraft,
    PollKind,
    ResultsMode,
    Tally,
    close_poll,
    open_poll,
    reveal_results,
    tally_answers,
    tally_choices,
)

NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
# The rule at the default minimum, unless a test asks for another one.
disclose = partial(disclose_with_minimum, min_ballots=DEFAULT_MIN_GROUP)
PROPERTY = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def make_poll(results: ResultsMode = ResultsMode.LIVE, *, option_count: int = 3) -> Poll:
    draft = PollDraft(question="Q", options=tuple(f"o{i}" for i in range(option_count)),
                      results=results)
    return open_poll(draft, poll_id="p", now=NOW)


LIVE = make_poll()
ON_CLOSE = make_poll(ResultsMode.ON_CLOSE)


def votes(*choices: int, option_count: int = 3) -> Tally:
    """The tally of single-choice ballots, one per entry of `choices`."""
    return tally_choices(option_count, Counter(1 << c for c in choices))


# ---------------------------------------------------------------------------- visibility


def test_on_close_poll_hides_its_breakdown_while_open() -> None:
    disclosure = disclose(ON_CLOSE, votes(0, 1, 1, 2, 0), shown=None, changes_since_shown=5)
    assert disclosure == Disclosure(ballots=5, breakdown=None, withheld=Withheld.UNTIL_CLOSED)
    assert not disclosure.is_current


def test_on_close_poll_hides_even_a_breakdown_shown_before() -> None:
    disclosure = disclose(ON_CLOSE, votes(0, 1, 1, 2), shown=votes(0, 1, 1), changes_since_shown=1)
    assert disclosure.breakdown is None
    assert disclosure.withheld is Withheld.UNTIL_CLOSED


def test_hidden_until_closed_wins_over_too_few() -> None:
    disclosure = disclose(ON_CLOSE, votes(0), shown=None, changes_since_shown=1)
    assert disclosure.withheld is Withheld.UNTIL_CLOSED


def test_revealed_on_close_poll_shows_its_breakdown_while_open() -> None:
    current = votes(0, 1, 1)
    disclosure = disclose(reveal_results(ON_CLOSE), current, shown=None, changes_since_shown=3)
    assert disclosure == Disclosure(ballots=3, breakdown=current, is_current=True)
    assert disclosure.is_current


def test_closed_on_close_poll_shows_the_exact_tally() -> None:
    current = votes(0, 1, 1, 2)
    disclosure = disclose(close_poll(ON_CLOSE, now=NOW), current, shown=None, changes_since_shown=0)
    assert disclosure == Disclosure(ballots=4, breakdown=current, is_current=True)


# ---------------------------------------------------------------------------- small numbers


@pytest.mark.parametrize("ballots", [0, 1, 2])
def test_below_min_ballots_only_the_count_is_shown(ballots: int) -> None:
    disclosure = disclose(LIVE, votes(*[0] * ballots), shown=None, changes_since_shown=ballots)
    assert disclosure == Disclosure(ballots=ballots, breakdown=None, withheld=Withheld.TOO_FEW)
    assert not disclosure.is_current


def test_closed_poll_below_min_ballots_still_shows_only_the_count() -> None:
    disclosure = disclose(close_poll(LIVE, now=NOW), votes(2, 2), shown=None, changes_since_shown=2)
    assert disclosure.breakdown is None
    assert disclosure.withheld is Withheld.TOO_FEW


def test_first_breakdown_is_shown_once_min_ballots_are_reached() -> None:
    current = votes(0, 1, 1)
    disclosure = disclose(LIVE, current, shown=None, changes_since_shown=0)
    assert disclosure == Disclosure(ballots=3, breakdown=current, is_current=True)
    assert disclosure.is_current


def test_a_custom_minimum_is_honoured() -> None:
    assert disclose(LIVE, votes(0, 1, 2, 2), shown=None, changes_since_shown=4,
                    min_ballots=5).withheld is Withheld.TOO_FEW
    assert disclose(LIVE, votes(0), shown=None, changes_since_shown=1,
                    min_ballots=1).breakdown == votes(0)


def test_open_text_tallies_are_disclosed_the_same_way() -> None:
    poll = open_poll(PollDraft(question="Ideas?", kind=PollKind.TEXT), poll_id="t", now=NOW)
    assert disclose(poll, tally_answers(["a", "b"]), shown=None,
                    changes_since_shown=2).withheld is Withheld.TOO_FEW
    current = tally_answers(["a", "b", "A"])
    assert disclose(poll, current, shown=None, changes_since_shown=3).breakdown == current


# ---------------------------------------------------------------------------- timing


@pytest.mark.parametrize("changes", [0, 1, 2])
def test_open_poll_keeps_the_previous_breakdown_until_min_ballots_changes(changes: int) -> None:
    shown = votes(0, 1, 1)
    current = votes(0, 1, 1, *[2] * changes)
    disclosure = disclose(LIVE, current, shown=shown, changes_since_shown=changes)
    assert disclosure.ballots == current.ballots
    assert disclosure.breakdown == shown
    assert disclosure.withheld is None


def test_a_kept_older_breakdown_with_fewer_ballots_is_not_current() -> None:
    disclosure = disclose(LIVE, votes(0, 1, 1, 2), shown=votes(0, 1, 1), changes_since_shown=1)
    assert disclosure.breakdown == votes(0, 1, 1)
    assert not disclosure.is_current


@pytest.mark.parametrize("changes", [3, 4, 17])
def test_open_poll_shows_a_new_breakdown_after_min_ballots_changes(changes: int) -> None:
    current = votes(0, 2, 2, 2, 1, 1)
    disclosure = disclose(LIVE, current, shown=votes(0, 1, 1), changes_since_shown=changes)
    assert disclosure == Disclosure(ballots=6, breakdown=current, is_current=True)
    assert disclosure.is_current


@pytest.mark.parametrize("changes", [0, 1, 2, 5])
def test_closed_poll_always_shows_the_exact_current_tally(changes: int) -> None:
    current = votes(0, 1, 1, 2)
    closed = close_poll(LIVE, now=NOW)
    disclosure = disclose(closed, current, shown=votes(0, 1, 1), changes_since_shown=changes)
    assert disclosure == Disclosure(ballots=4, breakdown=current, is_current=True)
    assert disclosure.is_current


@pytest.mark.parametrize("changes", [0, 1, 2])
def test_settled_voting_catches_up_with_the_exact_tally(changes: int) -> None:
    current = votes(0, 1, 1, 2)
    disclosure = disclose(LIVE, current, shown=votes(0, 1, 1), changes_since_shown=changes,
                          settled=True)
    assert disclosure == Disclosure(ballots=4, breakdown=current, is_current=True)


def test_settled_voting_does_not_reveal_an_on_close_poll() -> None:
    disclosure = disclose(ON_CLOSE, votes(0, 1, 1), shown=None, changes_since_shown=0,
                          settled=True)
    assert disclosure.withheld is Withheld.UNTIL_CLOSED


def test_settled_voting_does_not_show_too_few_ballots() -> None:
    disclosure = disclose(LIVE, votes(0, 1), shown=None, changes_since_shown=0, settled=True)
    assert disclosure.withheld is Withheld.TOO_FEW


def test_voting_is_not_settled_by_default() -> None:
    disclosure = disclose(LIVE, votes(0, 1, 1, 2), shown=votes(0, 1, 1), changes_since_shown=1)
    assert disclosure.breakdown == votes(0, 1, 1)


def test_a_stale_breakdown_after_a_changed_vote_is_not_current() -> None:
    shown = votes(0, 0, 1)
    current = votes(0, 1, 1)  # one voter changed from option 0 to option 1
    disclosure = disclose(LIVE, current, shown=shown, changes_since_shown=1)
    assert disclosure.breakdown == shown  # kept, as it should be
    assert not disclosure.is_current


# ---------------------------------------------------------------------------- a caller's view


@dataclass
class Card:
    """A shared card kept up to date the way bot.polls.live does: one render per ballot event,
    and a catch-up render (`settled=True`) whenever voting has been quiet for a while.

    `reset_on` decides when the caller records the breakdown as shown and resets its counter:
    "is_current" like LivePolls (breakdown present and `is_current`), "exact" when the breakdown
    is exactly the current tally.
    """

    poll: Poll
    min_ballots: int
    reset_on: str = "exact"
    option_count: int = 3
    choices: list[int] = field(default_factory=list)
    shown: Tally | None = None
    changes: int = 0
    events: int = 0
    displayed: Tally | None = None
    displayed_since: int = 0  # the event at which the displayed breakdown last changed
    history: list[tuple[int, Tally, bool]] = field(default_factory=list)

    def vote(self, option: int) -> Disclosure:
        self.choices.append(option)
        return self._ballot_event()

    def change(self, voter: int, option: int) -> Disclosure:
        self.choices[voter] = option
        return self._ballot_event()

    def current(self) -> Tally:
        return tally_choices(self.option_count, Counter(1 << c for c in self.choices))

    def settle(self) -> Disclosure:
        """Voting has been quiet for a while: render the catch-up card."""
        return self.render(settled=True)

    def _ballot_event(self) -> Disclosure:
        self.events += 1
        self.changes += 1
        return self.render()

    def render(self, *, settled: bool = False) -> Disclosure:
        current = self.current()
        disclosure = disclose(self.poll, current, shown=self.shown,
                              changes_since_shown=self.changes, settled=settled,
                              min_ballots=self.min_ballots)
        if disclosure.breakdown is not None and disclosure.breakdown != self.displayed:
            self.displayed = disclosure.breakdown
            self.displayed_since = self.events
            self.history.append((self.events, disclosure.breakdown, settled))
        if self.reset_on == "is_current":
            reset = disclosure.breakdown is not None and disclosure.is_current
        else:
            reset = disclosure.breakdown == current
        if reset:
            self.shown = disclosure.breakdown
            self.changes = 0
        return disclosure


ballot_events = st.lists(
    st.tuples(st.booleans(), st.integers(0, 10_000), st.integers(0, 3)), min_size=1, max_size=40)
# Ballot events as above, or None for a quiet moment after which the card catches up.
events_with_pauses = st.lists(
    st.none() | st.tuples(st.booleans(), st.integers(0, 10_000), st.integers(0, 3)),
    min_size=1, max_size=40)


@PROPERTY
@given(
    min_ballots=st.integers(1, 5),
    option_count=st.integers(2, 4),
    events=ballot_events,
    results=st.sampled_from(list(ResultsMode)),
    reveal_after=st.none() | st.integers(0, 40),
    reset_on=st.sampled_from(["exact", "is_current"]),
)
def test_a_single_ballot_cannot_be_read_off_two_consecutive_cards(
        min_ballots: int, option_count: int, events: list[tuple[bool, int, int]],
        results: ResultsMode, reveal_after: int | None, reset_on: str) -> None:
    """While votes keep coming (never settled), consecutive different breakdowns on the card are
    at least `min_ballots` ballot events apart."""
    card = Card(make_poll(results, option_count=option_count), min_ballots, reset_on, option_count)
    for index, (is_change, voter, option) in enumerate(events):
        if reveal_after is not None and index == reveal_after:
            card.poll = reveal_results(card.poll)
        option %= option_count
        before = (card.displayed, card.displayed_since)
        if is_change and card.choices:
            disclosure = card.change(voter % len(card.choices), option)
        else:
            disclosure = card.vote(option)
        current = card.current()

        assert disclosure.ballots == current.ballots
        assert (disclosure.breakdown is None) == (disclosure.withheld is not None)
        if disclosure.breakdown is not None:
            assert disclosure.breakdown.ballots >= min_ballots
            assert card.poll.results_visible
        if card.displayed is not before[0]:
            # The displayed breakdown changed at this event: enough ballot events since the last.
            assert card.displayed_since - before[1] >= min_ballots
            assert card.displayed == current

    for (at, _, _), (next_at, _, _) in zip(card.history, card.history[1:], strict=False):
        assert next_at - at >= min_ballots
    if card.history:
        assert card.history[0][0] >= min_ballots  # every ballot arrived in its own event


@PROPERTY
@given(
    min_ballots=st.integers(1, 5),
    events=events_with_pauses,
    reset_on=st.sampled_from(["exact", "is_current"]),
)
def test_only_a_settled_catch_up_may_show_fewer_than_min_ballots_new_events(
        min_ballots: int, events: list[tuple[bool, int, int] | None], reset_on: str) -> None:
    """Catching up after a quiet moment is the one documented exception to the guarantee; every
    other new breakdown still needs `min_ballots` ballot events since the previous one, and after
    a catch-up the card is exact."""
    card = Card(LIVE, min_ballots, reset_on)
    for event in events:
        if event is None:
            disclosure = card.settle()
            if card.choices and len(card.choices) >= min_ballots:
                assert disclosure.breakdown == card.current()
            continue
        is_change, voter, option = event
        if is_change and card.choices:
            card.change(voter % len(card.choices), option % 3)
        else:
            card.vote(option % 3)
    for (at, _, _), (next_at, _, settled) in zip(card.history, card.history[1:], strict=False):
        if not settled:
            assert next_at - at >= min_ballots


@PROPERTY
@given(min_ballots=st.integers(1, 5), events=ballot_events)
def test_a_card_catches_up_once_min_ballots_events_happened(
        min_ballots: int, events: list[tuple[bool, int, int]]) -> None:
    card = Card(LIVE, min_ballots, "exact")
    for is_change, voter, option in events:
        pending = card.changes + 1
        if is_change and card.choices:
            disclosure = card.change(voter % len(card.choices), option % 3)
        else:
            disclosure = card.vote(option % 3)
        if pending >= min_ballots and len(card.choices) >= min_ballots:
            assert disclosure.breakdown == card.current()


@PROPERTY
@given(
    poll=st.sampled_from([LIVE, ON_CLOSE, reveal_results(ON_CLOSE), close_poll(LIVE, now=NOW),
                          close_poll(ON_CLOSE, now=NOW)]),
    current=st.lists(st.integers(0, 2), max_size=12),
    shown=st.none() | st.lists(st.integers(0, 2), max_size=12),
    changes=st.integers(0, 12),
    settled=st.booleans(),
    min_ballots=st.integers(1, 6),
)
def test_disclose_shows_the_current_count_and_only_a_tally_it_was_given(
        poll: Poll, current: list[int], shown: list[int] | None, changes: int, settled: bool,
        min_ballots: int) -> None:
    current_tally = votes(*current)
    shown_tally = None if shown is None else votes(*shown)
    disclosure = disclose(poll, current_tally, shown=shown_tally, changes_since_shown=changes,
                          settled=settled, min_ballots=min_ballots)
    assert disclosure.ballots == len(current)
    assert disclosure.breakdown in (None, current_tally, shown_tally)
    if not poll.results_visible:
        assert disclosure.withheld is Withheld.UNTIL_CLOSED
    elif len(current) < min_ballots:
        assert disclosure.withheld is Withheld.TOO_FEW
    elif not poll.is_open or settled or shown is None or changes >= min_ballots:
        assert disclosure.breakdown == current_tally
    if disclosure.breakdown is not None and disclosure.breakdown != current_tally:
        assert poll.is_open and not settled and changes < min_ballots


def test_a_card_shows_changed_votes_after_min_ballots_changes() -> None:
    card = Card(LIVE, min_ballots=3, reset_on="is_current")
    for option in (0, 0, 0):
        card.vote(option)
    assert card.displayed == votes(0, 0, 0)
    for voter in range(3):
        card.change(voter, 1)
    assert card.displayed == votes(1, 1, 1)
