"""The disclosure policy (facilitation.policy): one minimum, and every surface's rule."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from facilitation.disclosure import Withheld, disclose
from facilitation.policy import DEFAULT_MIN_GROUP, Policy
from facilitation.polls import (
    Poll,
    PollDraft,
    PollKind,
    ResultsMode,
    Tally,
    close_poll,
    open_poll,
    reopen_poll,
    reveal_results,
    tally_answers,
    tally_choices,
)
from facilitation.summaries import Count, EngagementSummary, PollSummary, Reach, Sentiment

NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
PROPERTY = settings(max_examples=300, deadline=None)

policies = st.integers(1, 8).map(lambda minimum: Policy(min_group=minimum))


@st.composite
def polls(draw: st.DrawFn, kinds: tuple[PollKind, ...] = tuple(PollKind)) -> Poll:
    """Any poll: of any kind, live or "after closing", anonymous or named, open, revealed or
    closed."""
    kind = draw(st.sampled_from(kinds))
    options = () if kind in (PollKind.TEXT, PollKind.RATING) else ("a", "b", "c")
    draft = PollDraft(question="Q", options=options, kind=kind,
                      results=draw(st.sampled_from(list(ResultsMode))),
                      anonymous=draw(st.booleans()))
    poll = open_poll(draft, poll_id="p", now=NOW)
    state = draw(st.sampled_from(["open", "revealed", "closed"]))
    if state == "revealed":
        return reveal_results(poll)
    return close_poll(poll, now=NOW) if state == "closed" else poll


def ballots(poll: Poll, count: int) -> Tally:
    """`count` ballots, all for the first option (or all the same answer)."""
    if poll.kind is PollKind.TEXT:
        return tally_answers(["same"] * count)
    return tally_choices(len(poll.options), Counter({1: count}) if count else Counter())


def test_the_default_minimum_group_is_three() -> None:
    assert Policy().min_group == DEFAULT_MIN_GROUP == 3


@pytest.mark.parametrize("minimum", [0, -1])
def test_a_minimum_below_one_is_refused(minimum: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Policy(min_group=minimum)


# ---------------------------------------------------------------------------- summaries, export


@PROPERTY
@given(policy=policies, poll=polls(), count=st.integers(0, 12))
def test_a_report_shows_results_only_when_visible_and_from_the_minimum(
        policy: Policy, poll: Poll, count: int) -> None:
    withheld = policy.poll_result(poll, ballots(poll, count))
    if not poll.results_visible or (poll.kind is PollKind.TEXT and poll.is_open) or (
            poll.is_open and poll.anonymous):
        assert withheld is Withheld.UNTIL_CLOSED
    elif count < policy.min_group:
        assert withheld is Withheld.TOO_FEW
    else:
        assert withheld is None


@PROPERTY
@given(policy=policies, count=st.integers(0, 50), anonymous=st.booleans())
def test_an_open_after_closing_poll_shows_only_its_turnout_however_many_voted(
        policy: Policy, count: int, anonymous: bool) -> None:
    poll = open_poll(PollDraft("Q", ("a", "b"), results=ResultsMode.ON_CLOSE,
                               anonymous=anonymous), poll_id="p", now=NOW)
    assert policy.poll_result(poll, ballots(poll, count)) is Withheld.UNTIL_CLOSED
    assert policy.poll_result(close_poll(poll, now=NOW), ballots(poll, count)) is (
        None if count >= policy.min_group else Withheld.TOO_FEW)
    # Revealed while open: an anonymous poll's card moves in steps, so reports wait for it to
    # close; a named poll shows its names anyway.
    assert policy.poll_result(reveal_results(poll), ballots(poll, count)) is (
        Withheld.UNTIL_CLOSED if anonymous
        else None if count >= policy.min_group else Withheld.TOO_FEW)


def test_an_open_text_poll_shows_only_its_turnout_until_it_closes() -> None:
    poll = open_poll(PollDraft("Q", (), kind=PollKind.TEXT), poll_id="p", now=NOW)
    assert Policy().poll_result(poll, ballots(poll, 9)) is Withheld.UNTIL_CLOSED
    assert Policy().poll_result(close_poll(poll, now=NOW), ballots(poll, 9)) is None


def test_a_named_poll_below_the_minimum_shows_only_its_turnout_in_a_report() -> None:
    named = close_poll(open_poll(PollDraft("Q", ("a", "b"), anonymous=False), poll_id="p",
                                 now=NOW), now=NOW)
    assert Policy(min_group=5).poll_result(named, ballots(named, 4)) is Withheld.TOO_FEW
    assert Policy(min_group=5).poll_result(named, ballots(named, 5)) is None


@PROPERTY
@given(policy=policies, poll=polls(kinds=(PollKind.TEXT,)))
def test_text_answers_shape_themes_and_mood_only_once_the_poll_has_closed(
        policy: Policy, poll: Poll) -> None:
    assert policy.analyses_texts(poll) is (not poll.is_open)


@PROPERTY
@given(policy=policies, poll=polls(kinds=(PollKind.SINGLE, PollKind.MULTIPLE, PollKind.RATING)))
def test_choices_are_no_texts_to_analyse(policy: Policy, poll: Poll) -> None:
    assert not policy.analyses_texts(poll)


@PROPERTY
@given(policy=policies, texts=st.integers(0, 20))
def test_the_mood_is_shown_from_the_minimum_number_of_texts(policy: Policy, texts: int) -> None:
    assert policy.shows_mood(texts) is (texts >= policy.min_group)


@PROPERTY
@given(policy=policies)
def test_themes_need_as_many_mentions_as_the_minimum_group(policy: Policy) -> None:
    assert policy.min_mentions == policy.min_group


@PROPERTY
@given(policy=policies, answers=st.lists(st.sampled_from(["Lunch", "lunch ", "Coffee", "Tea",
                                                          "Mehr Homeoffice"]), max_size=12))
def test_an_export_lists_only_answer_groups_given_by_the_minimum_of_people(
        policy: Policy, answers: list[str]) -> None:
    tally = tally_answers(answers)
    listed = policy.listed_answers(tally)
    assert all(group.count >= policy.min_group for group in listed)
    assert [g for g in tally.answers if g.count >= policy.min_group] == list(listed)


def test_a_lone_answer_is_not_listed_under_the_default_minimum() -> None:
    tally = tally_answers(["Less meetings", "less meetings", "LESS MEETINGS", "Fire my boss"])
    assert [(g.text, g.count) for g in Policy().listed_answers(tally)] == [("Less meetings", 3)]


counts = st.lists(st.integers(0, 12), min_size=1, max_size=6)


# ---------------------------------------------------------------------------- the live card


@PROPERTY
@given(policy=policies, poll=polls(kinds=(PollKind.SINGLE,)), now=st.integers(0, 12),
       before=st.none() | st.integers(0, 12), changes=st.integers(0, 12))
def test_the_live_card_follows_the_disclosure_rule_with_the_policys_minimum(
        policy: Policy, poll: Poll, now: int, before: int | None, changes: int) -> None:
    current = ballots(poll, now)
    shown = None if before is None else ballots(poll, before)
    decided = policy.live_card(poll, current, shown=shown, changes_since_shown=changes)
    assert decided == disclose(poll, current, shown=shown, changes_since_shown=changes,
                               min_ballots=policy.min_group)
    if poll.anonymous and decided.breakdown == current:
        assert current.ballots >= policy.min_group


def test_the_live_card_withholds_four_ballots_under_a_minimum_of_five() -> None:
    poll = open_poll(PollDraft("Q", ("a", "b")), poll_id="p", now=NOW)
    decided = Policy(min_group=5).live_card(poll, ballots(poll, 4), shown=None,
                                            changes_since_shown=4)
    assert (decided.breakdown, decided.withheld) == (None, Withheld.TOO_FEW)
    assert Policy(min_group=3).live_card(poll, ballots(poll, 4), shown=None,
                                         changes_since_shown=4).breakdown


@PROPERTY
@given(policy=policies, poll=polls(kinds=(PollKind.TEXT,)))
def test_a_poll_card_lists_open_answers_only_once_the_poll_has_closed(
        policy: Policy, poll: Poll) -> None:
    assert policy.lists_answers(poll) is (not poll.is_open)


# ---------------------------------------------------------------------------- kept summaries


def kept_summary(values: list[int], *, kept_with: int, themes: int = 0,
                 moods: int = 0) -> EngagementSummary:
    """A summary as it was kept: one poll with every option's count (or only its turnout,
    below `kept_with`)."""
    poll = PollSummary("Q", "single", sum(values), withheld=Withheld.TOO_FEW)
    if sum(values) >= kept_with:
        poll = PollSummary("Q", "single", sum(values),
                           tuple(Count(f"o{i}", v) for i, v in enumerate(values)))
    return EngagementSummary(
        title="T", held_on=NOW, reach=Reach(sum(values)), polls=(poll,),
        themes=(Count("canteen", themes),) if themes else (),
        sentiment=Sentiment(positive=moods), min_group=kept_with)


@PROPERTY
@given(values=counts, kept_with=st.integers(1, 5), raised=st.integers(0, 5))
def test_a_kept_summary_shown_under_a_larger_minimum_withholds_polls_below_it(
        values: list[int], kept_with: int, raised: int) -> None:
    policy = Policy(min_group=kept_with + raised)
    kept = kept_summary(values, kept_with=kept_with)
    poll = policy.recheck(kept).polls[0]
    if sum(values) < policy.min_group:
        assert poll.withheld is Withheld.TOO_FEW and not poll.results
    else:  # every option with its count, as the card showed it
        assert poll == kept.polls[0]
        assert [c.value for c in poll.results] == values


def test_a_kept_summary_is_shown_as_kept_under_its_own_or_a_smaller_minimum() -> None:
    kept = kept_summary([4, 2, 1], kept_with=3, themes=3, moods=3)
    assert Policy(min_group=3).recheck(kept) == kept
    assert Policy(min_group=2).recheck(kept) == kept


def test_themes_and_mood_of_a_kept_summary_follow_a_raised_minimum() -> None:
    kept = kept_summary([5, 4], kept_with=3, themes=4, moods=4)
    shown = Policy(min_group=5).recheck(kept)
    assert shown.themes == () and shown.sentiment.total == 0
    assert [c.value for c in shown.polls[0].results] == [5, 4]
    assert shown.min_group == 5


def test_a_poll_kept_with_an_other_bucket_shows_only_its_turnout_under_a_larger_minimum(
        ) -> None:
    """Summaries kept by earlier versions folded small options into "other"; under a larger
    minimum such a bucket cannot be split again, so only the turnout remains."""
    poll = PollSummary("Q", "single", 7, (Count("o0", 5), Count("other", 2, folded=True)))
    kept = EngagementSummary(title="T", held_on=NOW, reach=Reach(7), polls=(poll,),
                             min_group=2)
    assert Policy(min_group=3).recheck(kept).polls[0].results == ()


@pytest.mark.parametrize(("people", "allowed"), [(0, True), (1, False), (2, False), (3, True),
                                                 (7, True)])
def test_a_reopened_poll_closes_again_only_once_nobody_or_the_minimum_voted_since(
        people: int, allowed: bool) -> None:
    """Close, reopen, one vote, close would show that one vote."""
    poll = open_poll(PollDraft("Q", ("a", "b")), poll_id="p", now=NOW)
    reopened = reopen_poll(close_poll(poll, now=NOW))
    assert Policy(min_group=3).may_close(reopened, people_since_shown=people) is allowed
    assert Policy(min_group=3).may_close(poll, people_since_shown=people)  # first close: always


def test_an_open_anonymous_poll_shows_only_its_turnout_on_summaries() -> None:
    """Between two steps of its card, a summary would show the exact tally."""
    poll = open_poll(PollDraft("Q", ("a", "b")), poll_id="p", now=NOW)
    assert Policy().poll_result(poll, ballots(poll, 9)) is Withheld.UNTIL_CLOSED
    assert Policy().poll_result(close_poll(poll, now=NOW), ballots(poll, 9)) is None
