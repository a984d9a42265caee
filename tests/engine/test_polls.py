"""Polls: drafting and validating, life cycle, ballots and tallies (facilitation.polls)."""

from __future__ import annotations

import random
import string
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from facilitation.errors import InvalidBallot, InvalidPoll, PollClosed
from facilitation.polls import (
    MAX_ANSWER_CHARS,
    MAX_AUTO_CLOSE_MINUTES,
    MAX_OPTION_CHARS,
    MAX_OPTIONS,
    MAX_QUESTION_CHARS,
    MIN_OPTIONS,
    RATING_SCALE,
    SENTENCE_END,
    AnswerGroup,
    BallotChoice,
    Poll,
    PollDraft,
    PollKind,
    PollStatus,
    ResultsMode,
    Tally,
    ballot_from_input,
    chosen_indexes,
    close_poll,
    draft_from_command,
    is_due,
    normalise_text,
    open_poll,
    rating_average,
    reopen_poll,
    reveal_results,
    tally_answers,
    tally_choices,
    validate_draft,
)

NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
PROPERTY = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def make_poll(kind: PollKind = PollKind.SINGLE, *, options: tuple[str, ...] = ("A", "B", "C"),
              results: ResultsMode = ResultsMode.LIVE, auto_close_minutes: int | None = None,
              now: datetime = NOW) -> Poll:
    draft = PollDraft(question="What now?", options=options, kind=kind, results=results,
                      auto_close_minutes=auto_close_minutes)
    return open_poll(draft, poll_id="p1", now=now)


def invalid_poll(arguments: str) -> InvalidPoll:
    with pytest.raises(InvalidPoll) as raised:
        draft_from_command(arguments)
    return raised.value


def invalid_ballot(poll: Poll, choice: str | None, text: str | None = None) -> InvalidBallot:
    with pytest.raises(InvalidBallot) as raised:
        ballot_from_input(poll, choice, text)
    return raised.value


# ---------------------------------------------------------------------------- normalising


def test_normalise_text_trims_and_collapses_white_space() -> None:
    assert normalise_text("  Lunch \t\n  today?  ") == "Lunch today?"


def test_normalise_text_of_only_white_space_is_empty() -> None:
    assert normalise_text(" \t\n\r ") == ""


@PROPERTY
@given(st.text())
def test_normalised_text_is_trimmed_single_spaced_and_stable(text: str) -> None:
    normal = normalise_text(text)
    assert normal == normal.strip()
    assert "  " not in normal
    assert not any(char.isspace() and char != " " for char in normal)
    assert normalise_text(normal) == normal


# ---------------------------------------------------------------------------- drafting


def test_draft_from_command_reads_question_and_options() -> None:
    draft = draft_from_command("Lunch? | Pizza | Salad")
    assert draft.question == "Lunch?"
    assert draft.options == ("Pizza", "Salad")


def test_draft_from_command_makes_an_anonymous_live_single_choice_poll() -> None:
    draft = draft_from_command("Lunch? | Pizza | Salad")
    assert draft.kind is PollKind.SINGLE
    assert draft.anonymous is True
    assert draft.results is ResultsMode.LIVE
    assert draft.auto_close_minutes is None


def test_draft_from_command_trims_and_collapses_white_space() -> None:
    draft = draft_from_command("   Where   shall we\teat?  |  Pizza    Margherita |\nSalad  ")
    assert draft.question == "Where shall we eat?"
    assert draft.options == ("Pizza Margherita", "Salad")


def test_draft_from_command_ignores_empty_segments() -> None:
    draft = draft_from_command("a | | b | c")
    assert draft.question == "a"
    assert draft.options == ("b", "c")


def test_draft_from_command_ignores_trailing_and_white_space_segments() -> None:
    assert draft_from_command("Q | x |   | y ||").options == ("x", "y")


@pytest.mark.parametrize("arguments", ["", "   ", "| Pizza | Salad", "  \t | Pizza | Salad"])
def test_empty_question_is_rejected(arguments: str) -> None:
    error = invalid_poll(arguments)
    assert error.code == "poll.question_empty"
    assert error.params == {}


@pytest.mark.parametrize("arguments", ["Lunch?", "Lunch? | Pizza", "Lunch? | Pizza | | "])
def test_fewer_than_two_options_are_rejected(arguments: str) -> None:
    error = invalid_poll(arguments)
    assert error.code == "poll.too_few_options"
    assert error.params == {"minimum": MIN_OPTIONS}


def test_eleven_options_are_rejected() -> None:
    error = invalid_poll("Q | " + " | ".join(f"option {i}" for i in range(11)))
    assert error.code == "poll.too_many_options"
    assert error.params == {"maximum": MAX_OPTIONS, "count": 11}


def test_ten_options_are_accepted() -> None:
    draft = draft_from_command("Q | " + " | ".join(f"option {i}" for i in range(10)))
    assert len(draft.options) == MAX_OPTIONS


def test_option_over_200_chars_is_rejected_with_its_beginning() -> None:
    long_option = "x" * 150 + "y" * 51
    error = invalid_poll(f"Q | short | {long_option}")
    assert error.code == "poll.option_too_long"
    assert error.params == {"limit": MAX_OPTION_CHARS, "option": long_option[:40]}


def test_option_of_exactly_200_chars_is_accepted() -> None:
    option = "o" * MAX_OPTION_CHARS
    assert draft_from_command(f"Q | short | {option}").options == ("short", option)


def test_option_length_counts_after_collapsing_white_space() -> None:
    option = "a" + " " * 300 + "b"
    assert draft_from_command(f"Q | c | {option}").options == ("c", "a b")


@pytest.mark.parametrize(
    ("arguments", "duplicate"),
    [
        ("Lunch? | Pizza | pizza", "pizza"),
        ("Lunch? | Pizza | Salad | PIZZA", "PIZZA"),
        ("Lunch? | Pizza  Hut | pizza hut", "pizza hut"),
        ("Street? | Straße | STRASSE", "STRASSE"),
    ],
)
def test_duplicate_options_are_rejected_case_insensitively(arguments: str, duplicate: str) -> None:
    error = invalid_poll(arguments)
    assert error.code == "poll.duplicate_option"
    assert error.params == {"option": duplicate}


def test_question_over_300_chars_is_rejected() -> None:
    error = invalid_poll("q" * 301 + " | a | b")
    assert error.code == "poll.question_too_long"
    assert error.params == {"limit": MAX_QUESTION_CHARS, "length": 301}


def test_question_of_exactly_300_chars_is_accepted() -> None:
    assert draft_from_command("q" * 300 + " | a | b").question == "q" * MAX_QUESTION_CHARS


def test_question_length_counts_after_collapsing_white_space() -> None:
    question = "q " * 150 + "   "  # 300 chars with the trailing space trimmed: 299
    assert len(draft_from_command(question + "| a | b").question) == 299


def test_question_is_checked_before_options() -> None:
    assert invalid_poll("").code == "poll.question_empty"
    assert invalid_poll("q" * 301).code == "poll.question_too_long"


def test_rating_poll_gets_options_one_to_five() -> None:
    draft = validate_draft(PollDraft(question="How was it?", kind=PollKind.RATING))
    assert draft.options == RATING_SCALE == ("1", "2", "3", "4", "5")


def test_rating_poll_ignores_options_given() -> None:
    draft = validate_draft(PollDraft(question="How?", options=("bad", "good"),
                                     kind=PollKind.RATING))
    assert draft.options == RATING_SCALE


def test_text_poll_gets_no_options() -> None:
    draft = validate_draft(PollDraft(question="Ideas?", options=("a", "b"), kind=PollKind.TEXT))
    assert draft.options == ()


def test_text_poll_needs_no_options() -> None:
    assert validate_draft(PollDraft(question="Ideas?", kind=PollKind.TEXT)).options == ()


def test_multiple_choice_poll_needs_two_options_too() -> None:
    with pytest.raises(InvalidPoll) as raised:
        validate_draft(PollDraft(question="Q", options=("only",), kind=PollKind.MULTIPLE))
    assert raised.value.code == "poll.too_few_options"


def test_validate_draft_keeps_everything_but_text_and_options() -> None:
    draft = PollDraft(question="  Q  ", options=(" a ", "b"), kind=PollKind.MULTIPLE,
                      anonymous=False, results=ResultsMode.ON_CLOSE, auto_close_minutes=15)
    assert validate_draft(draft) == replace(draft, question="Q", options=("a", "b"))


@pytest.mark.parametrize("minutes", [None, 1, 30, MAX_AUTO_CLOSE_MINUTES])
def test_auto_close_between_1_and_1440_minutes_is_accepted(minutes: int | None) -> None:
    draft = validate_draft(PollDraft(question="Q", options=("a", "b"), auto_close_minutes=minutes))
    assert draft.auto_close_minutes == minutes


@pytest.mark.parametrize("minutes", [-5, 0, MAX_AUTO_CLOSE_MINUTES + 1, 10_000])
def test_auto_close_outside_1_to_1440_minutes_is_rejected(minutes: int) -> None:
    with pytest.raises(InvalidPoll) as raised:
        validate_draft(PollDraft(question="Q", options=("a", "b"), auto_close_minutes=minutes))
    assert raised.value.code == "poll.auto_close_range"
    assert raised.value.params == {"limit": MAX_AUTO_CLOSE_MINUTES}


segment_text = st.text(
    alphabet=st.characters(blacklist_characters="|", blacklist_categories=("Cs",)),
    max_size=40,
)


@PROPERTY
@given(question=segment_text, options=st.lists(segment_text, max_size=12))
def test_a_drafted_command_is_normalised_and_validating_it_again_changes_nothing(
        question: str, options: list[str]) -> None:
    try:
        draft = draft_from_command(" | ".join([question, *options]))
    except InvalidPoll as error:
        assert error.code.startswith("poll.")
        return
    assert draft.question == normalise_text(question)
    assert draft.options == tuple(normalise_text(o) for o in options if normalise_text(o))
    assert MIN_OPTIONS <= len(draft.options) <= MAX_OPTIONS
    assert len({o.casefold() for o in draft.options}) == len(draft.options)
    assert validate_draft(draft) == draft


@PROPERTY
@given(options=st.lists(st.text(alphabet=string.ascii_letters + " ", min_size=1, max_size=20),
                        min_size=2, max_size=10))
def test_drafting_accepts_any_distinct_options_within_the_limits(options: list[str]) -> None:
    normal = [normalise_text(o) for o in options]
    assume(all(normal) and len({o.casefold() for o in normal}) == len(normal))
    assert draft_from_command("Q | " + " | ".join(options)).options == tuple(normal)


# ---------------------------------------------------------------------------- life cycle


def test_open_poll_starts_open_without_results_revealed() -> None:
    poll = make_poll()
    assert poll.id == "p1"
    assert poll.status is PollStatus.OPEN
    assert poll.is_open
    assert poll.created_at == NOW
    assert poll.revealed is False
    assert poll.closes_at is None
    assert poll.closed_at is None


def test_open_poll_validates_the_draft() -> None:
    poll = open_poll(PollDraft(question="  Lunch?  ", options=(" Pizza ", "Salad")),
                     poll_id="p", now=NOW)
    assert poll.question == "Lunch?"
    assert poll.options == ("Pizza", "Salad")
    with pytest.raises(InvalidPoll):
        open_poll(PollDraft(question="", options=("a", "b")), poll_id="p", now=NOW)


def test_open_poll_with_auto_close_sets_the_closing_time() -> None:
    assert make_poll(auto_close_minutes=30).closes_at == NOW + timedelta(minutes=30)


def test_close_poll_stops_it_and_records_when() -> None:
    later = NOW + timedelta(minutes=5)
    closed = close_poll(make_poll(auto_close_minutes=30), now=later)
    assert closed.status is PollStatus.CLOSED
    assert not closed.is_open
    assert closed.closed_at == later
    assert closed.closes_at is None


def test_closing_twice_changes_nothing() -> None:
    closed = close_poll(make_poll(), now=NOW + timedelta(minutes=1))
    again = close_poll(closed, now=NOW + timedelta(minutes=2))
    assert again == closed
    assert again.closed_at == NOW + timedelta(minutes=1)


def test_reopen_takes_ballots_again_clears_the_closing_time_and_remembers_it_closed() -> None:
    closed = close_poll(make_poll(auto_close_minutes=30), now=NOW + timedelta(minutes=1))
    reopened = reopen_poll(closed)
    assert reopened.is_open and reopened.reopened
    assert reopened.closed_at == NOW + timedelta(minutes=1)  # when it last closed
    assert reopened.closes_at is None
    assert not make_poll().reopened


def test_reopening_an_open_auto_closing_poll_stops_it_closing_by_itself() -> None:
    reopened = reopen_poll(make_poll(auto_close_minutes=30))
    assert reopened.is_open
    assert reopened.closes_at is None
    assert not is_due(reopened, NOW + timedelta(days=1))


def test_reveal_makes_on_close_results_visible_while_open() -> None:
    poll = make_poll(results=ResultsMode.ON_CLOSE)
    assert not poll.results_visible
    revealed = reveal_results(poll)
    assert revealed.revealed
    assert revealed.is_open
    assert revealed.results_visible


def test_live_results_are_always_visible() -> None:
    poll = make_poll(results=ResultsMode.LIVE)
    assert poll.results_visible
    assert close_poll(poll, now=NOW).results_visible


def test_on_close_results_become_visible_when_closed() -> None:
    assert close_poll(make_poll(results=ResultsMode.ON_CLOSE), now=NOW).results_visible


def test_reopened_on_close_poll_hides_its_results_again() -> None:
    poll = reopen_poll(close_poll(make_poll(results=ResultsMode.ON_CLOSE), now=NOW))
    assert not poll.results_visible


def test_is_due_once_the_closing_time_is_reached() -> None:
    poll = make_poll(auto_close_minutes=10)
    assert not is_due(poll, NOW)
    assert not is_due(poll, NOW + timedelta(minutes=10) - timedelta(microseconds=1))
    assert is_due(poll, NOW + timedelta(minutes=10))
    assert is_due(poll, NOW + timedelta(hours=3))


def test_poll_without_auto_close_is_never_due() -> None:
    assert not is_due(make_poll(), NOW + timedelta(days=365))


def test_closed_poll_is_never_due() -> None:
    poll = make_poll(auto_close_minutes=10)
    closed = replace(poll, status=PollStatus.CLOSED)  # even if a closing time were left over
    assert not is_due(closed, NOW + timedelta(hours=1))
    assert not is_due(close_poll(poll, now=NOW), NOW + timedelta(hours=1))


# ---------------------------------------------------------------------------- ballots


def test_single_choice_ballot_sets_one_bit() -> None:
    ballot = ballot_from_input(make_poll(), "2", None)
    assert ballot == BallotChoice(mask=0b100)
    assert ballot.indexes == (2,)
    assert ballot.text is None


def test_single_choice_ballot_tolerates_white_space() -> None:
    assert ballot_from_input(make_poll(), " 1 ", None).indexes == (1,)


def test_single_choice_needs_exactly_one_option() -> None:
    assert invalid_ballot(make_poll(), "0,2").code == "ballot.pick_one"


def test_multiple_choice_parses_a_comma_list() -> None:
    ballot = ballot_from_input(make_poll(PollKind.MULTIPLE), "0,2", None)
    assert ballot.mask == 0b101
    assert ballot.indexes == (0, 2)


def test_multiple_choice_accepts_one_option_and_ignores_repeats_and_blanks() -> None:
    poll = make_poll(PollKind.MULTIPLE)
    assert ballot_from_input(poll, "1", None).indexes == (1,)
    assert ballot_from_input(poll, "2, 0 ,, 2", None).indexes == (0, 2)


def test_rating_ballot_is_a_single_choice_of_five() -> None:
    poll = make_poll(PollKind.RATING)
    assert ballot_from_input(poll, "4", None).indexes == (4,)
    assert invalid_ballot(poll, "5").code == "ballot.unknown_option"
    assert invalid_ballot(poll, "1,2").code == "ballot.pick_one"


@pytest.mark.parametrize("kind", [PollKind.SINGLE, PollKind.MULTIPLE, PollKind.RATING])
@pytest.mark.parametrize("choice", [None, "", "   ", ",", " , ,"])
def test_nothing_chosen_is_rejected(kind: PollKind, choice: str | None) -> None:
    assert invalid_ballot(make_poll(kind), choice).code == "ballot.nothing_chosen"


@pytest.mark.parametrize("kind", [PollKind.SINGLE, PollKind.MULTIPLE])
@pytest.mark.parametrize("choice", ["x", "-1", "99", "3", "1.0", "+1", "0x1", "1e0", "0,x", "0,99"])
def test_unknown_options_are_rejected(kind: PollKind, choice: str) -> None:
    assert invalid_ballot(make_poll(kind), choice).code == "ballot.unknown_option"


@pytest.mark.parametrize("choice", ["²", "1,³", "9" * 5000],
                         ids=["superscript", "superscript-in-list", "5000-digits"])
def test_odd_digit_strings_are_rejected_as_invalid_ballots(choice: str) -> None:
    assert invalid_ballot(make_poll(PollKind.MULTIPLE), choice).code == "ballot.unknown_option"


@pytest.mark.parametrize("kind", list(PollKind))
def test_closed_poll_rejects_ballots(kind: PollKind) -> None:
    options = () if kind is PollKind.TEXT else ("A", "B")
    poll = close_poll(make_poll(kind, options=options), now=NOW)
    with pytest.raises(PollClosed) as raised:
        ballot_from_input(poll, "0", "an answer")
    assert raised.value.code == "poll.closed"


def test_closed_poll_rejects_even_garbage_as_closed() -> None:
    with pytest.raises(PollClosed):
        ballot_from_input(close_poll(make_poll(), now=NOW), "garbage", None)


def test_open_text_answer_is_trimmed_and_collapsed() -> None:
    ballot = ballot_from_input(make_poll(PollKind.TEXT), None, "  more   coffee \n please ")
    assert ballot == BallotChoice(mask=0, text="more coffee please")


def test_open_text_ignores_any_choice() -> None:
    assert ballot_from_input(make_poll(PollKind.TEXT), "7", "tea").text == "tea"


@pytest.mark.parametrize("text", [None, "", "   \n\t "])
def test_empty_open_text_answer_is_rejected(text: str | None) -> None:
    assert invalid_ballot(make_poll(PollKind.TEXT), None, text).code == "ballot.answer_empty"


def test_open_text_answer_over_500_chars_is_rejected() -> None:
    error = invalid_ballot(make_poll(PollKind.TEXT), None, "a" * (MAX_ANSWER_CHARS + 1))
    assert error.code == "ballot.answer_too_long"
    assert error.params == {"limit": MAX_ANSWER_CHARS}


def test_open_text_answer_of_500_chars_after_trimming_is_accepted() -> None:
    answer = "a" * MAX_ANSWER_CHARS
    assert ballot_from_input(make_poll(PollKind.TEXT), None, f"   {answer}   ").text == answer


@PROPERTY
@given(option_count=st.integers(MIN_OPTIONS, MAX_OPTIONS), data=st.data())
def test_a_multiple_choice_ballot_holds_exactly_the_chosen_indexes(
        option_count: int, data: st.DataObject) -> None:
    chosen = data.draw(st.sets(st.integers(0, option_count - 1), min_size=1))
    order = data.draw(st.permutations(sorted(chosen)))
    poll = make_poll(PollKind.MULTIPLE, options=tuple(f"o{i}" for i in range(option_count)))
    ballot = ballot_from_input(poll, ",".join(str(i) for i in order), None)
    assert ballot.indexes == tuple(sorted(chosen))
    assert ballot.mask == sum(1 << i for i in chosen)


@PROPERTY
@given(kind=st.sampled_from([PollKind.SINGLE, PollKind.MULTIPLE, PollKind.RATING]),
       choice=st.one_of(st.none(), st.text(alphabet=string.printable, max_size=12)))
def test_any_ascii_card_input_gives_a_valid_ballot_or_invalid_ballot(
        kind: PollKind, choice: str | None) -> None:
    poll = make_poll(kind)
    try:
        ballot = ballot_from_input(poll, choice, None)
    except InvalidBallot as error:
        assert error.code in {"ballot.nothing_chosen", "ballot.unknown_option", "ballot.pick_one"}
        return
    assert ballot.indexes
    assert all(0 <= i < len(poll.options) for i in ballot.indexes)
    if kind is not PollKind.MULTIPLE:
        assert len(ballot.indexes) == 1


# ---------------------------------------------------------------------------- tallies


def test_chosen_indexes_lists_set_bits_lowest_first() -> None:
    assert chosen_indexes(0) == ()
    assert chosen_indexes(0b1) == (0,)
    assert chosen_indexes(0b1010_0101) == (0, 2, 5, 7)


def test_tally_choices_counts_ballots_per_option_from_mask_counts() -> None:
    tally = tally_choices(3, {0b001: 4, 0b010: 2, 0b101: 1})
    assert tally == Tally(ballots=7, counts=(5, 2, 1))


def test_tally_choices_without_ballots_is_all_zero() -> None:
    assert tally_choices(4, {}) == Tally(ballots=0, counts=(0, 0, 0, 0))


def test_tally_choices_ignores_bits_beyond_the_options() -> None:
    assert tally_choices(2, {0b1001: 2}) == Tally(ballots=2, counts=(2, 0))


def test_share_is_the_fraction_of_ballots() -> None:
    tally = tally_choices(2, {0b01: 3, 0b11: 1})
    assert tally.share(0) == 1.0
    assert tally.share(1) == 0.25


def test_share_without_ballots_is_zero() -> None:
    assert tally_choices(2, {}).share(1) == 0.0


masks_and_options = st.integers(1, MAX_OPTIONS).flatmap(
    lambda n: st.tuples(st.just(n), st.lists(st.integers(1, 2 ** n - 1), max_size=60)))


@PROPERTY
@given(masks_and_options)
def test_tally_choices_equals_a_naive_count_of_the_ballots(case: tuple[int, list[int]]) -> None:
    option_count, ballots = case
    tally = tally_choices(option_count, Counter(ballots))
    naive = [sum(1 for mask in ballots if mask & (1 << i)) for i in range(option_count)]
    assert tally.counts == tuple(naive)
    assert tally.ballots == len(ballots)
    assert all(count >= 0 for count in tally.counts)
    assert all(count <= tally.ballots for count in tally.counts)


@PROPERTY
@given(st.integers(1, MAX_OPTIONS).flatmap(
    lambda n: st.tuples(st.just(n), st.lists(st.integers(0, n - 1), max_size=60))))
def test_single_choice_counts_sum_to_the_ballots(case: tuple[int, list[int]]) -> None:
    option_count, choices = case
    tally = tally_choices(option_count, Counter(1 << i for i in choices))
    assert sum(tally.counts) == tally.ballots == len(choices)
    assert all(count >= 0 for count in tally.counts)
    assert tally.counts == tuple(choices.count(i) for i in range(option_count))


def test_tally_answers_groups_case_and_white_space_insensitively() -> None:
    tally = tally_answers(["Pizza", " pizza ", "PIZZA"])
    assert tally.ballots == 3
    assert len(tally.answers) == 1
    assert tally.answers[0].count == 3
    assert tally.answers[0].text.casefold() == "pizza"


def test_tally_answers_shows_the_most_usual_spelling() -> None:
    tally = tally_answers(["pizza", "Pizza", "Pizza ", "PIZZA"])
    assert tally.answers == (AnswerGroup(text="Pizza", count=4),)


def test_tally_answers_prefers_a_spelling_not_in_capitals_on_a_tie() -> None:
    assert tally_answers(["BUSY", "Busy"]).answers == (AnswerGroup("Busy", 2),)
    assert tally_answers(["TEA", "tea"]).answers == (AnswerGroup("tea", 2),)


def test_tally_answers_breaks_a_spelling_tie_whatever_the_order() -> None:
    assert tally_answers(["tea", "Tea", "TEA"]) == tally_answers(["TEA", "Tea", "tea"])
    assert tally_answers(["tea", "Tea", "TEA"]).answers == (AnswerGroup("Tea", 3),)


def test_tally_answers_puts_the_most_frequent_first() -> None:
    tally = tally_answers(["tea", "coffee", "Coffee", "water", "coffee", "tea"])
    assert tally.answers == (
        AnswerGroup("coffee", 3), AnswerGroup("tea", 2), AnswerGroup("water", 1))


def test_tally_answers_orders_ties_alphabetically_ignoring_case() -> None:
    tally = tally_answers(["b", "C", "a"])
    assert [group.text for group in tally.answers] == ["a", "b", "C"]


def test_tally_answers_limit_keeps_the_top_groups_but_counts_every_ballot() -> None:
    answers = ["a"] * 5 + ["b"] * 4 + ["c"] * 3 + ["d"] * 2
    tally = tally_answers(answers, limit=2)
    assert tally.ballots == 14
    assert tally.answers == (AnswerGroup("a", 5), AnswerGroup("b", 4))


def test_tally_answers_defaults_to_ten_groups() -> None:
    assert len(tally_answers([f"answer {i}" for i in range(25)]).answers) == 10


def test_tally_answers_of_nothing_is_empty() -> None:
    assert tally_answers([]) == Tally(ballots=0, answers=())


answer_text = st.text(alphabet="aAbBcC  \t", max_size=6)


@PROPERTY
@given(answers=st.lists(answer_text.filter(lambda a: normalise_text(a) != ""), max_size=40),
       seed=st.integers(0, 2**32 - 1))
def test_tally_answers_does_not_depend_on_the_order_of_answers(answers: list[str],
                                                              seed: int) -> None:
    shuffled = list(answers)
    random.Random(seed).shuffle(shuffled)
    assert tally_answers(answers, limit=100) == tally_answers(shuffled, limit=100)


@PROPERTY
@given(answers=st.lists(answer_text.filter(lambda a: normalise_text(a) != ""), max_size=40),
       limit=st.integers(0, 12))
def test_tally_answers_groups_no_finer_than_case_and_spaces(answers: list[str], limit: int) -> None:
    """Answers equal but for case and spaces always share a group (groups may merge more:
    punctuation, inflection, typos); every answer is counted once."""
    tally = tally_answers(answers, limit=limit)
    everything = tally_answers(answers, limit=1000)
    naive = Counter(normalise_text(a).casefold() for a in answers)
    assert tally.ballots == len(answers)
    assert tally.answers == everything.answers[:limit]
    assert len(everything.answers) <= len(naive)
    assert sum(g.count for g in everything.answers) == len(answers)
    counts = [group.count for group in tally.answers]
    assert counts == sorted(counts, reverse=True)
    bare = {normalise_text(a).rstrip(SENTENCE_END) or normalise_text(a) for a in answers}
    for group in everything.answers:
        assert group.text in bare
    assert all(g.count >= n for g in everything.answers
               for form, n in naive.items() if form == g.text.casefold())


@pytest.mark.parametrize(("answers", "expected"), [
    (["Mehr Pausen!", "mehr pause", "Mehr Pausen", "mehr Pasuen", "Mehr Pusen"],
     [("Mehr Pausen", 5)]),
    (["Shorter meetings.", "shorter meeting", "Shorter meetings!!", "shorter meetngs"],
     [("Shorter meetings", 4)]),
    (["Homeoffice", "Home office", "home-office", "Homeoffice"], [("Homeoffice", 4)]),
    (["Kürzere Meetings", "kuerzere meetings", "Kürzere Meetings"], [("Kürzere Meetings", 3)]),
])
def test_answers_that_say_the_same_are_one_group(answers: list[str],
                                                  expected: list[tuple[str, int]]) -> None:
    tally = tally_answers(answers)
    assert [(g.text, g.count) for g in tally.answers] == expected


@pytest.mark.parametrize("answers", [
    ["10 min", "15 min"], ["2025", "2026"], ["hire more", "fire more"],
    ["less meetings", "more meetings"], ["no", "so"], ["Team A", "Team B"],
    ["customer", "company"], ["...", "!!"],
])
def test_answers_that_differ_stay_apart(answers: list[str]) -> None:
    assert len(tally_answers(answers).answers) == len(answers)


def test_rating_average_is_the_mean_of_one_to_five() -> None:
    tally = tally_choices(5, {1 << 2: 1, 1 << 3: 1, 1 << 4: 1})  # 3, 4 and 5
    assert tally == Tally(ballots=3, counts=(0, 0, 1, 1, 1))
    assert rating_average(tally) == 4.0


def test_rating_average_without_ballots_is_none() -> None:
    assert rating_average(tally_choices(5, {})) is None


@PROPERTY
@given(st.lists(st.integers(0, 4), min_size=1, max_size=50))
def test_rating_average_equals_the_mean_of_the_ratings(ratings: list[int]) -> None:
    average = rating_average(tally_choices(5, Counter(1 << r for r in ratings)))
    assert average == pytest.approx(sum(r + 1 for r in ratings) / len(ratings))
    assert average is not None and 1.0 <= average <= 5.0

