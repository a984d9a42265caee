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
from tests.support.observer import Click, attributed, steps

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


def test_a_kept_breakdown_of_fewer_ballots_is_not_current_even_with_nobody_counted_since() -> None:
    """After an upgrade the people counted before it are not known (0): the public count of
    ballots still tells that the breakdown is older."""
    disclosure = disclose(LIVE, votes(0, 1, 1, 2, 2), shown=votes(0, 1, 1), changes_since_shown=0)
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


def test_there_is_no_catching_up_however_long_voting_was_quiet() -> None:
    """The rule has no clock: a quiet minute changes nothing, the breakdown moves only with
    people (a catch-up after 2 quiet seconds let 12 of 15 trickling votes be read off)."""
    shown, current = votes(0, 1, 1), votes(0, 1, 1, 2)
    for _ in range(3):
        disclosure = disclose(LIVE, current, shown=shown, changes_since_shown=1)
        assert disclosure.breakdown == shown and not disclosure.is_current


def test_whether_the_card_is_current_says_nothing_about_the_choices() -> None:
    """Two changes that cancel out (0 -> 1, 1 -> 0) leave the tally as shown; the card must
    still not claim to be current, or it would tell what they chose."""
    shown = votes(0, 1, 1)
    disclosure = disclose(LIVE, shown, shown=shown, changes_since_shown=2)
    assert disclosure.breakdown == shown and not disclosure.is_current
    assert disclose(LIVE, shown, shown=shown, changes_since_shown=0).is_current


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
    counting the people who cast or changed a ballot since the breakdown shown (a person who
    changes twice counts once), reset when a breakdown is published.

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
    voted_since: set[int] = field(default_factory=set)
    events: int = 0
    displayed: Tally | None = None
    people_between: list[int] = field(default_factory=list)  # per breakdown change
    history: list[tuple[int, Tally]] = field(default_factory=list)
    clicks: list[Click] = field(default_factory=list)

    def vote(self, option: int) -> Disclosure:
        self.choices.append(option)
        return self._ballot_event(len(self.choices) - 1, changed=True)

    def change(self, voter: int, option: int) -> Disclosure:
        self.choices[voter] = option
        return self._ballot_event(voter, changed=True)

    def current(self) -> Tally:
        return tally_choices(self.option_count, Counter(1 << c for c in self.choices))

    def _ballot_event(self, voter: int, *, changed: bool) -> Disclosure:
        self.events += 1
        if changed:
            self.voted_since.add(voter)
        people = len(self.voted_since)
        disclosure = self.render()
        exact = disclosure.breakdown is not None and disclosure.is_current
        self.clicks.append(Click(str(voter), tuple(disclosure.breakdown.counts)
                                 if exact and disclosure.breakdown else None))
        if self.history and self.history[-1][0] == self.events:
            self.people_between.append(people)
        return disclosure

    def render(self) -> Disclosure:
        current = self.current()
        disclosure = disclose(self.poll, current, shown=self.shown,
                              changes_since_shown=len(self.voted_since),
                              min_ballots=self.min_ballots)
        if disclosure.breakdown is not None and disclosure.breakdown != self.displayed:
            self.displayed = disclosure.breakdown
            self.history.append((self.events, disclosure.breakdown))
        if self.reset_on == "is_current":
            reset = disclosure.breakdown is not None and disclosure.is_current
        else:
            reset = disclosure.breakdown == current
        if reset:
            self.shown = disclosure.breakdown
            self.voted_since = set()
        return disclosure


ballot_events = st.lists(
    st.tuples(st.booleans(), st.integers(0, 10_000), st.integers(0, 3)), min_size=1, max_size=40)


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
    """However the votes come, consecutive different breakdowns on an open card are at least
    `min_ballots` people apart (people who cast or changed a ballot in between)."""
    card = Card(make_poll(results, option_count=option_count), min_ballots, reset_on, option_count)
    for index, (is_change, voter, option) in enumerate(events):
        if reveal_after is not None and index == reveal_after:
            card.poll = reveal_results(card.poll)
        option %= option_count
        before = card.displayed
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
        if card.displayed is not before:
            assert card.displayed == current
    assert all(people >= min_ballots for people in card.people_between)
    assert len(card.people_between) == len(card.history)


@PROPERTY
@given(min_ballots=st.integers(1, 5), events=ballot_events)
def test_a_card_moves_once_min_ballots_people_voted(
        min_ballots: int, events: list[tuple[bool, int, int]]) -> None:
    card = Card(LIVE, min_ballots, "exact")
    for is_change, voter, option in events:
        if is_change and card.choices:
            disclosure = card.change(voter % len(card.choices), option % 3)
        else:
            disclosure = card.vote(option % 3)
        if len(card.voted_since) == 0 and len(card.choices) >= min_ballots:
            assert disclosure.breakdown == card.current()


def test_one_person_changing_again_and_again_never_moves_the_breakdown() -> None:
    card = Card(LIVE, min_ballots=3)
    for option in (0, 1, 1):
        card.vote(option)
    shown = card.displayed
    for option in (0, 2, 1, 2, 0, 2) * 3:
        assert card.change(0, option).breakdown == shown
    card.change(1, 2)
    assert card.change(2, 0).breakdown == votes(2, 2, 0)  # three people: 0, 1 and 2


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(min_ballots=st.integers(2, 4), option_count=st.integers(2, 3),
       choices=st.lists(st.integers(0, 2), min_size=1, max_size=10))
def test_an_observer_who_knows_every_click_learns_only_what_a_whole_step_chose_alike(
        min_ballots: int, option_count: int, choices: list[int]) -> None:
    """The observer of tests/support/observer.py sees who clicked when and every card. While
    people vote (each once), it can tell a vote only where everyone of that step (the people
    between two breakdowns, at least `min_ballots`) chose the same option: what a unanimous
    result of those people reveals, and nothing beyond. (Changed votes: docs/PRIVACY.md.)"""
    card = Card(LIVE, min_ballots, "is_current", option_count)
    chosen = [option % option_count for option in choices]
    for option in chosen:
        card.vote(option)
    known = attributed(card.clicks, option_count)
    for step in steps(card.clicks):
        if any(index in known for index in step):
            assert card.clicks[step[-1]].exact is not None  # a step the card has shown
            assert len(step) >= min_ballots
            assert len({chosen[index] for index in step}) == 1, (card.clicks, known)


@PROPERTY
@given(
    poll=st.sampled_from([LIVE, ON_CLOSE, reveal_results(ON_CLOSE), close_poll(LIVE, now=NOW),
                          close_poll(ON_CLOSE, now=NOW)]),
    current=st.lists(st.integers(0, 2), max_size=12),
    shown=st.none() | st.lists(st.integers(0, 2), max_size=12),
    changes=st.integers(0, 12),
    min_ballots=st.integers(1, 6),
)
def test_disclose_shows_the_current_count_and_only_a_tally_it_was_given(
        poll: Poll, current: list[int], shown: list[int] | None, changes: int,
        min_ballots: int) -> None:
    current_tally = votes(*current)
    shown_tally = None if shown is None else votes(*shown)
    disclosure = disclose(poll, current_tally, shown=shown_tally, changes_since_shown=changes,
                          min_ballots=min_ballots)
    assert disclosure.ballots == len(current)
    assert disclosure.breakdown in (None, current_tally, shown_tally)
    if not poll.results_visible:
        assert disclosure.withheld is Withheld.UNTIL_CLOSED
    elif len(current) < min_ballots:
        assert disclosure.withheld is Withheld.TOO_FEW
    elif not poll.is_open or shown is None or changes >= min_ballots:
        assert disclosure.breakdown == current_tally
    if disclosure.breakdown is not None and disclosure.breakdown != current_tally:
        assert poll.is_open and changes < min_ballots


def test_a_card_shows_changed_votes_after_min_ballots_changes() -> None:
    card = Card(LIVE, min_ballots=3, reset_on="is_current")
    for option in (0, 0, 0):
        card.vote(option)
    assert card.displayed == votes(0, 0, 0)
    for voter in range(3):
        card.change(voter, 1)
    assert card.displayed == votes(1, 1, 1)
