"""Q&A: question text, asking, the moderation state machine, board order, rate limit
(facilitation.qna)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facilitation.qna import (
    MAX_QUESTION_CHARS,
    QUESTIONS_PER_WINDOW,
    RATE_WINDOW,
    Board,
    BoardCounts,
    BoardMode,
    InvalidQuestion,
    Question,
    QuestionStatus,
    QuestionUnavailable,
    RankedQuestion,
    approve,
    ask,
    check_upvotable,
    dismiss,
    mark_answered,
    merge,
    question_text,
    rank_board,
    start_answering,
    stop_answering,
    within_rate_limit,
)

NOW = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
PROPERTY = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
S = QuestionStatus
ALL_STATUSES = tuple(QuestionStatus)


def make_board(mode: BoardMode = BoardMode.OPEN, board_id: str = "b1") -> Board:
    return Board(id=board_id, mode=mode, created_at=NOW)


def make_question(status: QuestionStatus = S.OPEN, question_id: str = "q1", *,
                  board_id: str = "b1", minutes: float = 0,
                  answered_minutes: float | None = None) -> Question:
    answered_at = None if answered_minutes is None else NOW + timedelta(minutes=answered_minutes)
    return Question(id=question_id, board_id=board_id, text=f"Question {question_id}?",
                    asked_at=NOW + timedelta(minutes=minutes), status=status,
                    answered_at=answered_at)


# ---------------------------------------------------------------------------- question text


@pytest.mark.parametrize(("raw", "expected"), [
    ("  Why?  ", "Why?"),
    ("Why\n\n  is\tthe   sky blue?", "Why is the sky blue?"),
    ("\u00a0Warum\u2003nicht?\u00a0", "Warum nicht?"),
])
def test_question_text_is_trimmed_and_inner_white_space_collapsed(raw, expected):
    assert question_text(raw) == expected


@pytest.mark.parametrize("raw", [None, "", " ", "\n\t  \r\n", "\u00a0\u2003"])
def test_an_empty_or_blank_question_is_refused_as_empty(raw):
    with pytest.raises(InvalidQuestion) as caught:
        question_text(raw)
    assert caught.value.code == "qna.empty"
    assert caught.value.params == {}


def test_a_question_of_exactly_the_limit_is_accepted():
    assert MAX_QUESTION_CHARS == 500
    text = "x" * MAX_QUESTION_CHARS
    assert question_text(text) == text


def test_a_question_one_character_over_the_limit_is_refused_with_limit_and_length():
    with pytest.raises(InvalidQuestion) as caught:
        question_text("x" * (MAX_QUESTION_CHARS + 1))
    assert caught.value.code == "qna.too_long"
    assert caught.value.params == {"limit": 500, "length": 501}


def test_the_length_limit_applies_after_white_space_is_collapsed():
    padded = "   " + "a  " * 250  # 753 characters typed, 499 once collapsed and trimmed
    assert len(padded) > MAX_QUESTION_CHARS
    assert question_text(padded) == " ".join(["a"] * 250)


@given(st.text(max_size=700))
@PROPERTY
def test_question_text_either_returns_normalised_text_within_the_limit_or_refuses(raw):
    try:
        text = question_text(raw)
    except InvalidQuestion as error:
        assert error.code in {"qna.empty", "qna.too_long"}
        return
    assert text and text == text.strip()
    assert len(text) <= MAX_QUESTION_CHARS
    assert "  " not in text and "\n" not in text
    assert question_text(text) == text


# ---------------------------------------------------------------------------- asking


def test_a_question_on_an_open_board_is_visible_at_once():
    question = ask(make_board(BoardMode.OPEN), "  How   so? ", question_id="q7", now=NOW)
    assert question == Question(id="q7", board_id="b1", text="How so?", asked_at=NOW,
                                status=S.OPEN, author=None, merged_into=None, answered_at=None)


def test_a_question_on_a_reviewed_board_waits_for_approval():
    question = ask(make_board(BoardMode.REVIEWED), "How so?", question_id="q7", now=NOW)
    assert question.status is S.PENDING


def test_the_author_is_kept_only_when_given():
    board = make_board()
    assert ask(board, "Q?", question_id="q1", now=NOW).author is None
    assert ask(board, "Q?", question_id="q2", now=NOW, author="Anna").author == "Anna"


def test_asking_an_invalid_question_raises_and_creates_nothing():
    with pytest.raises(InvalidQuestion) as caught:
        ask(make_board(), "   ", question_id="q1", now=NOW)
    assert caught.value.code == "qna.empty"


# ---------------------------------------------------------------------------- state machine

LIVE = {S.PENDING, S.OPEN, S.ANSWERING}

# action, the statuses it is allowed from, and the status it leads to
Transition = tuple[str, Callable[[Question], Question], set[QuestionStatus], QuestionStatus]
TRANSITIONS: list[Transition] = [
    ("approve", approve, {S.PENDING}, S.OPEN),
    ("start_answering", start_answering, LIVE, S.ANSWERING),
    ("stop_answering", stop_answering, {S.ANSWERING}, S.OPEN),
    ("mark_answered", lambda q: mark_answered(q, now=NOW + timedelta(hours=1)), LIVE, S.ANSWERED),
    ("dismiss", dismiss, LIVE, S.DISMISSED),
]
TRANSITION_CASES = [
    pytest.param(action, status, status in allowed, after, id=f"{name}-from-{status.value}")
    for name, action, allowed, after in TRANSITIONS
    for status in ALL_STATUSES
]


@pytest.mark.parametrize(("action", "status", "allowed", "after"), TRANSITION_CASES)
def test_each_transition_is_allowed_or_refused_depending_on_the_current_status(
        action, status, allowed, after):
    question = make_question(status)
    if allowed:
        changed = action(question)
        assert changed.status is after
        assert replace(changed, status=status, answered_at=None) == question
    else:
        with pytest.raises(QuestionUnavailable) as caught:
            action(question)
        assert caught.value.code == f"qna.is_{status.value}"


def test_marking_answered_records_when_it_was_answered():
    answered = mark_answered(make_question(S.ANSWERING), now=NOW + timedelta(minutes=42))
    assert answered.status is S.ANSWERED
    assert answered.answered_at == NOW + timedelta(minutes=42)


def test_transitions_do_not_change_the_original_question():
    question = make_question(S.PENDING)
    approve(question)
    assert question.status is S.PENDING


@pytest.mark.parametrize("status", ALL_STATUSES, ids=lambda s: s.value)
def test_only_questions_on_the_board_can_be_upvoted(status):
    question = make_question(status)
    if status in {S.OPEN, S.ANSWERING}:
        check_upvotable(question)
    else:
        with pytest.raises(QuestionUnavailable) as caught:
            check_upvotable(question)
        assert caught.value.code == f"qna.is_{status.value}"


@pytest.mark.parametrize("status", ALL_STATUSES, ids=lambda s: s.value)
def test_only_a_live_question_can_be_merged_away(status):
    source, target = make_question(status, "src"), make_question(S.OPEN, "dst")
    if status in LIVE:
        merged = merge(source, target)
        assert merged.status is S.MERGED and merged.merged_into == "dst"
        assert merged.id == "src" and merged.text == source.text
    else:
        with pytest.raises(QuestionUnavailable) as caught:
            merge(source, target)
        assert caught.value.code == f"qna.is_{status.value}"


@pytest.mark.parametrize("status", ALL_STATUSES, ids=lambda s: s.value)
def test_only_a_live_question_can_take_a_merged_question(status):
    source, target = make_question(S.OPEN, "src"), make_question(status, "dst")
    if status in LIVE:
        assert merge(source, target).merged_into == "dst"
    else:
        with pytest.raises(QuestionUnavailable) as caught:
            merge(source, target)
        assert caught.value.code == f"qna.is_{status.value}"


@pytest.mark.parametrize("status", ALL_STATUSES, ids=lambda s: s.value)
def test_a_question_cannot_be_merged_into_itself(status):
    question = make_question(status)
    with pytest.raises(QuestionUnavailable) as caught:
        merge(question, question)
    assert caught.value.code == "qna.merge_self"


def test_a_question_cannot_be_merged_into_a_question_of_another_board():
    source = make_question(S.OPEN, "src", board_id="b1")
    target = make_question(S.OPEN, "dst", board_id="b2")
    with pytest.raises(QuestionUnavailable) as caught:
        merge(source, target)
    assert caught.value.code == "qna.unknown"


# ---------------------------------------------------------------------------- board order


def ids(section: tuple[RankedQuestion, ...]) -> list[str]:
    return [ranked.question.id for ranked in section]


def test_the_board_shows_answering_then_open_by_votes_then_answered_then_pending():
    questions = [
        make_question(S.OPEN, "few-old", minutes=1),
        make_question(S.OPEN, "many", minutes=5),
        make_question(S.OPEN, "few-new", minutes=3),
        make_question(S.OPEN, "none", minutes=0),
        make_question(S.ANSWERING, "now", minutes=9),
        make_question(S.ANSWERED, "answered-early", minutes=0, answered_minutes=10),
        make_question(S.ANSWERED, "answered-late", minutes=2, answered_minutes=20),
        make_question(S.PENDING, "pending-new", minutes=8),
        make_question(S.PENDING, "pending-old", minutes=4),
        make_question(S.DISMISSED, "gone", minutes=6),
        make_question(S.MERGED, "folded", minutes=7),
    ]
    votes = {"many": 5, "few-old": 2, "few-new": 2, "now": 1, "answered-early": 9, "gone": 50}
    view = rank_board(make_board(), questions, votes)
    assert ids(view.answering) == ["now"]
    assert ids(view.open) == ["many", "few-old", "few-new", "none"]
    assert [r.votes for r in view.open] == [5, 2, 2, 0]
    assert ids(view.answered) == ["answered-late", "answered-early"]
    assert ids(view.pending) == ["pending-old", "pending-new"]
    assert view.board == make_board()
    assert view.counts == BoardCounts(asked=11, answered=2, merged=1, dismissed=1, pending=2,
                                      open=5)


def test_open_questions_with_the_same_votes_and_age_are_ordered_by_id():
    questions = [make_question(S.OPEN, qid) for qid in ("q3", "q1", "q2")]
    view = rank_board(make_board(), questions, {})
    assert ids(view.open) == ["q1", "q2", "q3"]


def test_questions_of_one_minute_are_ordered_by_their_place_on_the_board_not_their_id():
    questions = [replace(make_question(status, qid), number=number)
                 for status in (S.OPEN, S.PENDING)
                 for qid, number in (("q-a", 3), ("q-c", 1), ("q-b", 2))]
    view = rank_board(make_board(), questions[:3], {})
    assert ids(view.open) == ["q-c", "q-b", "q-a"]
    assert ids(rank_board(make_board(), questions[3:], {}).pending) == ["q-c", "q-b", "q-a"]


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                    timezones=st.just(UTC)))
def test_a_question_keeps_the_minute_it_was_asked_and_no_seconds(moment):
    question = ask(make_board(), "Why?", question_id="q1", now=moment)
    assert question.asked_at == moment.replace(second=0, microsecond=0)
    assert question.asked_at <= moment < question.asked_at + timedelta(minutes=1)


def test_a_question_in_a_meetings_first_minute_is_kept_no_earlier_than_the_meetings_start():
    """To the minute would put it before the start, outside its meeting's summary."""
    started = NOW.replace(second=15)
    asked = ask(make_board(), "Why?", question_id="q1", now=started + timedelta(seconds=20),
                not_before=started)
    assert asked.asked_at == started
    later = ask(make_board(), "Why?", question_id="q2", now=started + timedelta(minutes=3),
                not_before=started)
    assert later.asked_at == (started + timedelta(minutes=3)).replace(second=0)
    # A start after the question (another meeting's) never moves it.
    early = ask(make_board(), "Why?", question_id="q3", now=started, not_before=NOW.replace(
        second=40))
    assert early.asked_at == NOW.replace(second=0)


def test_an_empty_board_has_no_sections_and_zero_counts():
    view = rank_board(make_board(), [], {})
    assert view.answering == view.open == view.answered == view.pending == ()
    assert view.counts == BoardCounts()


def test_an_answered_question_without_an_answer_time_is_placed_by_its_asking_time():
    questions = [make_question(S.ANSWERED, "no-time", minutes=30),
                 make_question(S.ANSWERED, "timed", minutes=0, answered_minutes=10)]
    assert ids(rank_board(make_board(), questions, {}).answered) == ["no-time", "timed"]


QUESTIONS = st.lists(
    st.tuples(st.sampled_from(ALL_STATUSES), st.integers(0, 20), st.integers(0, 20),
              st.integers(0, 6)),
    max_size=25,
).map(lambda rows: [
    (make_question(status, f"q{index:02d}", minutes=asked,
                   answered_minutes=answered if status is S.ANSWERED else None), votes)
    for index, (status, asked, answered, votes) in enumerate(rows)
])


@given(QUESTIONS)
@PROPERTY
def test_every_question_is_in_exactly_one_section_unless_dismissed_or_merged(rows):
    questions = [question for question, _ in rows]
    votes = {question.id: count for question, count in rows if count}
    view = rank_board(make_board(), questions, votes)
    shown = ids(view.answering) + ids(view.open) + ids(view.answered) + ids(view.pending)
    hidden = [q.id for q in questions if q.status in {S.DISMISSED, S.MERGED}]
    assert len(shown) == len(set(shown))
    assert sorted(shown + hidden) == sorted(q.id for q in questions)
    for section, statuses in ((view.answering, {S.ANSWERING}), (view.open, {S.OPEN}),
                              (view.answered, {S.ANSWERED}), (view.pending, {S.PENDING})):
        assert all(ranked.question.status in statuses for ranked in section)
        assert all(ranked.votes == votes.get(ranked.question.id, 0) for ranked in section)


@given(QUESTIONS)
@PROPERTY
def test_the_open_section_is_sorted_by_votes_then_age_then_id(rows):
    questions = [question for question, _ in rows]
    votes = {question.id: count for question, count in rows}
    view = rank_board(make_board(), questions, votes)
    keys = [(-r.votes, r.question.asked_at, r.question.id) for r in view.open]
    assert keys == sorted(keys)
    pending = [(r.question.asked_at, r.question.id) for r in view.pending]
    assert pending == sorted(pending)
    answered = [r.question.answered_at for r in view.answered]
    assert answered == sorted(answered, reverse=True)


@given(QUESTIONS)
@PROPERTY
def test_the_counts_add_up_to_every_question_asked(rows):
    questions = [question for question, _ in rows]
    counts = rank_board(make_board(), questions, {}).counts
    by_status = {status: sum(q.status is status for q in questions) for status in ALL_STATUSES}
    assert counts.asked == len(questions)
    assert counts.asked == (counts.answered + counts.merged + counts.dismissed + counts.pending
                            + counts.open)
    assert counts.open == by_status[S.OPEN] + by_status[S.ANSWERING]
    assert counts.answered == by_status[S.ANSWERED]
    assert counts.merged == by_status[S.MERGED]
    assert counts.dismissed == by_status[S.DISMISSED]
    assert counts.pending == by_status[S.PENDING]


# ---------------------------------------------------------------------------- rate limit


def test_five_questions_in_five_minutes_are_allowed_and_the_sixth_is_refused():
    assert QUESTIONS_PER_WINDOW == 5 and RATE_WINDOW == timedelta(minutes=5)
    recent: list[datetime] = []
    for second in range(5):
        now = NOW + timedelta(seconds=second * 30)
        assert within_rate_limit(recent, now)
        recent.append(now)
    assert not within_rate_limit(recent, NOW + timedelta(minutes=4, seconds=59))


def test_a_question_stops_counting_exactly_when_the_window_has_passed():
    recent = [NOW] * 5
    just_before = NOW + RATE_WINDOW - timedelta(microseconds=1)
    assert not within_rate_limit(recent, just_before)  # now - moment < window: still counts
    assert within_rate_limit(recent, NOW + RATE_WINDOW)  # now - moment == window: expired


def test_only_the_questions_inside_the_window_count():
    recent = [NOW - timedelta(minutes=10)] * 20 + [NOW - timedelta(minutes=1)] * 4
    assert within_rate_limit(recent, NOW)
    assert not within_rate_limit([*recent, NOW], NOW)


def test_the_limit_and_window_can_be_chosen():
    recent = [NOW - timedelta(seconds=30)]
    assert not within_rate_limit(recent, NOW, limit=1)
    assert within_rate_limit(recent, NOW, limit=1, window=timedelta(seconds=30))
    assert within_rate_limit([], NOW, limit=1)


@given(st.lists(st.integers(0, 900), max_size=30), st.integers(1, 8))
@PROPERTY
def test_the_rate_limit_counts_exactly_the_moments_less_than_a_window_ago(offsets, limit):
    recent = [NOW - timedelta(seconds=offset) for offset in offsets]
    inside = sum(1 for offset in offsets if offset < RATE_WINDOW.total_seconds())
    assert within_rate_limit(recent, NOW, limit=limit) is (inside < limit)
