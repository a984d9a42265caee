"""Breakout rounds: durations, topics, life cycle, timer and report-back
(facilitation.breakout_rounds)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facilitation.breakout_rounds import (
    EXTENSION_MINUTES,
    MAX_DURATION_MINUTES,
    MAX_NOTE_CHARS,
    MAX_POINT_CHARS,
    MAX_POINTS,
    MAX_TOPIC_CHARS,
    REMINDER_BEFORE,
    BreakoutProblem,
    BreakoutRound,
    Report,
    RoundStatus,
    Source,
    TimerEvent,
    cancel,
    check_duration,
    clean_topics,
    end_now,
    extend,
    mark_told,
    reconvene,
    report,
    start,
    timer_due,
)

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
PROPERTY = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _draft(duration: int | None = 10, **changes: object) -> BreakoutRound:
    values: dict[str, object] = dict(id="r1", status=RoundStatus.DRAFT, source=Source.ROSTER,
                                     groups=3, created_at=NOW, duration_minutes=duration)
    values.update(changes)
    return BreakoutRound(**values)  # type: ignore[arg-type]


def _running(duration: int | None = 10) -> BreakoutRound:
    return start(_draft(duration), now=NOW)


def _problem(excinfo: pytest.ExceptionInfo[BreakoutProblem]) -> str:
    return excinfo.value.code


# ---------------------------------------------------------------------------- duration


@pytest.mark.parametrize("minutes", [1, 2, 15, 60, MAX_DURATION_MINUTES])
def test_durations_from_one_minute_to_eight_hours_are_accepted(minutes):
    assert MAX_DURATION_MINUTES == 480
    assert check_duration(minutes) == minutes


def test_no_duration_means_no_timer_and_is_accepted():
    assert check_duration(None) is None


@pytest.mark.parametrize("minutes", [0, -5, MAX_DURATION_MINUTES + 1, 10_000])
def test_durations_outside_one_to_480_minutes_are_refused(minutes):
    with pytest.raises(BreakoutProblem) as excinfo:
        check_duration(minutes)
    assert _problem(excinfo) == "breakout.duration_range"
    assert excinfo.value.params == {"limit": MAX_DURATION_MINUTES}


@given(st.integers(min_value=-10_000, max_value=10_000))
@PROPERTY
def test_a_duration_is_accepted_exactly_when_it_is_between_1_and_480(minutes):
    if 1 <= minutes <= 480:
        assert check_duration(minutes) == minutes
    else:
        with pytest.raises(BreakoutProblem, match=r"^breakout\.duration_range$"):
            check_duration(minutes)


# ---------------------------------------------------------------------------- topics


def test_topics_are_one_per_line_with_blank_lines_dropped_and_white_space_normalised():
    raw = "  Budget   2027 \n\n   \n\tHiring\tplan \r\nOffice  move\n"
    assert clean_topics(raw) == ("Budget 2027", "Hiring plan", "Office move")


def test_no_topics_at_all_give_an_empty_tuple():
    assert clean_topics("") == ()
    assert clean_topics(" \n\n\t\n") == ()


def test_a_topic_of_exactly_120_characters_is_accepted_after_normalising():
    topic = "x" * MAX_TOPIC_CHARS
    assert MAX_TOPIC_CHARS == 120
    assert clean_topics(f"   {topic}   ") == (topic,)
    # white space that is collapsed away does not count
    assert clean_topics("a" * 60 + "     " + "b" * 59) == ("a" * 60 + " " + "b" * 59,)


def test_a_topic_longer_than_120_characters_is_refused():
    with pytest.raises(BreakoutProblem) as excinfo:
        clean_topics("short\n" + "y" * (MAX_TOPIC_CHARS + 1))
    assert _problem(excinfo) == "breakout.topic_too_long"
    assert excinfo.value.params == {"limit": MAX_TOPIC_CHARS}


@given(st.lists(st.text(alphabet=" \tab\u00e4\u00df", max_size=30), max_size=8))
@PROPERTY
def test_cleaned_topics_are_never_blank_and_never_have_outer_or_double_spaces(lines):
    topics = clean_topics("\n".join(lines))
    assert len(topics) == sum(1 for line in lines if line.strip())
    for topic in topics:
        assert topic and topic == topic.strip()
        assert "  " not in topic and "\t" not in topic


# ---------------------------------------------------------------------------- life cycle


def test_starting_a_draft_runs_it_and_starts_its_timer():
    started = start(_draft(25), now=NOW)
    assert started.status is RoundStatus.RUNNING and started.is_running
    assert not started.is_draft
    assert started.started_at == NOW
    assert started.ends_at == NOW + timedelta(minutes=25)


def test_starting_a_draft_without_a_duration_runs_it_without_a_timer():
    started = start(_draft(None), now=NOW)
    assert started.status is RoundStatus.RUNNING
    assert started.started_at == NOW
    assert started.ends_at is None


def test_starting_keeps_everything_else_of_the_round():
    draft = _draft(10, topics=("A", "B"), apart=(frozenset({"a", "b"}),), size=4)
    started = start(draft, now=NOW)
    assert (started.id, started.topics, started.apart, started.size, started.groups) == (
        "r1", ("A", "B"), (frozenset({"a", "b"}),), 4, 3)
    assert draft.status is RoundStatus.DRAFT  # the original is untouched


@pytest.mark.parametrize("status", [RoundStatus.RUNNING, RoundStatus.RECONVENED,
                                    RoundStatus.CANCELLED])
def test_only_a_draft_can_be_started(status):
    with pytest.raises(BreakoutProblem) as excinfo:
        start(_draft(status=status), now=NOW)
    assert _problem(excinfo) == "breakout.not_draft"


def test_extending_adds_five_minutes_to_the_current_end():
    running = _running(10)
    later = NOW + timedelta(minutes=3)
    extended = extend(running, now=later)
    assert EXTENSION_MINUTES == 5
    assert extended.ends_at == NOW + timedelta(minutes=15)
    assert extend(extended, now=later).ends_at == NOW + timedelta(minutes=20)


def test_extending_after_the_time_was_up_counts_from_now():
    running = _running(10)
    later = NOW + timedelta(minutes=12)
    assert extend(running, now=later).ends_at == later + timedelta(minutes=5)


def test_extending_exactly_at_the_end_counts_from_now():
    running = _running(10)
    at_end = NOW + timedelta(minutes=10)
    assert extend(running, now=at_end).ends_at == at_end + timedelta(minutes=5)


def test_extending_a_round_without_a_timer_gives_it_one_from_now():
    running = _running(None)
    later = NOW + timedelta(minutes=30)
    assert extend(running, now=later).ends_at == later + timedelta(minutes=5)


def test_extending_by_another_number_of_minutes():
    assert extend(_running(10), now=NOW, minutes=7).ends_at == NOW + timedelta(minutes=17)


def test_extending_resets_the_reminder_and_the_time_up_message():
    told = mark_told(_running(10), TimerEvent.TIME_UP)
    assert told.reminded and told.time_up_sent
    extended = extend(told, now=NOW + timedelta(minutes=11))
    assert not extended.reminded and not extended.time_up_sent


@pytest.mark.parametrize("status", [RoundStatus.DRAFT, RoundStatus.RECONVENED,
                                    RoundStatus.CANCELLED])
def test_only_a_running_round_can_be_extended_ended_or_reconvened(status):
    round_ = _draft(status=status)
    for action in (lambda: extend(round_, now=NOW), lambda: end_now(round_, now=NOW),
                   lambda: reconvene(round_)):
        with pytest.raises(BreakoutProblem) as excinfo:
            action()
        assert _problem(excinfo) == "breakout.not_running"


def test_ending_now_puts_the_end_at_now_and_skips_the_reminder():
    later = NOW + timedelta(minutes=4)
    ended = end_now(_running(10), now=later)
    assert ended.status is RoundStatus.RUNNING
    assert ended.ends_at == later
    assert ended.reminded and not ended.time_up_sent
    assert timer_due(ended, later) is TimerEvent.TIME_UP


def test_ending_now_a_round_without_a_timer_tells_the_groups_time_is_up():
    later = NOW + timedelta(minutes=4)
    ended = end_now(_running(None), now=later)
    assert timer_due(ended, later) is TimerEvent.TIME_UP


def test_reconvening_ends_the_round_and_silences_its_timer():
    back = reconvene(_running(10))
    assert back.status is RoundStatus.RECONVENED and not back.is_running
    assert back.reminded and back.time_up_sent
    assert timer_due(back, NOW + timedelta(minutes=9)) is None
    assert timer_due(back, NOW + timedelta(minutes=60)) is None


def test_cancelling_a_draft_cancels_it():
    assert cancel(_draft()).status is RoundStatus.CANCELLED


@pytest.mark.parametrize("status", [RoundStatus.RUNNING, RoundStatus.RECONVENED,
                                    RoundStatus.CANCELLED])
def test_only_a_draft_can_be_cancelled(status):
    with pytest.raises(BreakoutProblem) as excinfo:
        cancel(_draft(status=status))
    assert _problem(excinfo) == "breakout.not_draft"


# ---------------------------------------------------------------------------- timer


def test_nothing_is_due_for_a_round_without_a_timer():
    running = _running(None)
    for minutes in (0, 1, 100, 10_000):
        assert timer_due(running, NOW + timedelta(minutes=minutes)) is None


@pytest.mark.parametrize("status", [RoundStatus.DRAFT, RoundStatus.RECONVENED,
                                    RoundStatus.CANCELLED])
def test_nothing_is_due_for_a_round_that_is_not_running(status):
    round_ = _draft(10, status=status, started_at=NOW, ends_at=NOW + timedelta(minutes=10))
    for minutes in (0, 9, 10, 60):
        assert timer_due(round_, NOW + timedelta(minutes=minutes)) is None


def test_nothing_is_due_before_the_last_two_minutes():
    running = _running(10)
    assert timer_due(running, NOW) is None
    assert timer_due(running, NOW + timedelta(minutes=7, seconds=59)) is None


def test_the_reminder_is_due_in_the_last_two_minutes_and_only_once():
    running = _running(10)
    reminder_at = NOW + timedelta(minutes=10) - REMINDER_BEFORE
    assert REMINDER_BEFORE == timedelta(minutes=2)
    assert timer_due(running, reminder_at) is TimerEvent.REMINDER
    assert timer_due(running, reminder_at + timedelta(seconds=119)) is TimerEvent.REMINDER
    reminded = mark_told(running, TimerEvent.REMINDER)
    assert reminded.reminded and not reminded.time_up_sent
    assert timer_due(reminded, reminder_at) is None
    assert timer_due(reminded, reminder_at + timedelta(seconds=119)) is None


def test_time_up_is_due_at_and_after_the_end_and_only_once():
    running = mark_told(_running(10), TimerEvent.REMINDER)
    end = NOW + timedelta(minutes=10)
    assert timer_due(running, end) is TimerEvent.TIME_UP
    assert timer_due(running, end + timedelta(hours=3)) is TimerEvent.TIME_UP
    told = mark_told(running, TimerEvent.TIME_UP)
    assert told.reminded and told.time_up_sent
    assert timer_due(told, end) is None
    assert timer_due(told, end + timedelta(hours=3)) is None


def test_time_up_is_due_even_when_the_reminder_was_never_told():
    running = _running(10)
    assert timer_due(running, NOW + timedelta(minutes=10)) is TimerEvent.TIME_UP
    assert mark_told(running, TimerEvent.TIME_UP).reminded  # no late reminder afterwards


@pytest.mark.parametrize("minutes", [1, 2])
def test_rounds_of_two_minutes_or_less_get_no_reminder(minutes):
    running = _running(minutes)
    for seconds in range(0, minutes * 60, 5):
        assert timer_due(running, NOW + timedelta(seconds=seconds)) is None
    assert timer_due(running, NOW + timedelta(minutes=minutes)) is TimerEvent.TIME_UP


def test_a_round_of_three_minutes_gets_its_reminder_after_one_minute():
    running = _running(3)
    assert timer_due(running, NOW + timedelta(seconds=59)) is None
    assert timer_due(running, NOW + timedelta(minutes=1)) is TimerEvent.REMINDER


def test_after_an_extension_the_reminder_and_time_up_come_again():
    running = _running(10)
    for event in (TimerEvent.REMINDER, TimerEvent.TIME_UP):
        running = mark_told(running, event)
    later = NOW + timedelta(minutes=10)
    extended = extend(running, now=later)  # time was up: now + 5 minutes
    assert timer_due(extended, later) is None
    assert timer_due(extended, later + timedelta(minutes=3)) is TimerEvent.REMINDER
    assert timer_due(extended, later + timedelta(minutes=5)) is TimerEvent.TIME_UP


def _told(round_: BreakoutRound, times: list[datetime]) -> list[tuple[TimerEvent, datetime]]:
    told: list[tuple[TimerEvent, datetime]] = []
    for now in times:
        event = timer_due(round_, now)
        if event is not None:
            told.append((event, now))
            round_ = mark_told(round_, event)
    return told


@given(duration=st.integers(min_value=1, max_value=MAX_DURATION_MINUTES),
       steps=st.lists(st.integers(min_value=1, max_value=40 * 60), min_size=1, max_size=60))
@PROPERTY
def test_for_any_checks_the_reminder_is_told_at_most_once_and_time_up_exactly_once(duration,
                                                                                   steps):
    running = _running(duration)
    end = NOW + timedelta(minutes=duration)
    times, now = [], NOW
    for seconds in steps:
        now += timedelta(seconds=seconds)
        times.append(now)
    told = _told(running, times)
    events = [event for event, _ in told]
    assert events.count(TimerEvent.REMINDER) <= 1
    assert events.count(TimerEvent.TIME_UP) == (1 if times[-1] >= end else 0)
    for event, at in told:
        if event is TimerEvent.TIME_UP:
            assert at >= end
            assert at == min(t for t in times if t >= end)  # at the first check after the end
        else:
            assert end - REMINDER_BEFORE <= at < end
            assert duration > 2
    if TimerEvent.REMINDER in events and TimerEvent.TIME_UP in events:
        assert events == [TimerEvent.REMINDER, TimerEvent.TIME_UP]


# ---------------------------------------------------------------------------- report-back


def test_a_report_keeps_up_to_three_points_and_a_note():
    assert MAX_POINTS == 3
    assert report(2, ["  One  point ", "Two", "Three"], "  A note.  ") == Report(
        group=2, points=("One point", "Two", "Three"), note="A note.")


def test_empty_points_are_dropped():
    assert report(1, [None, "", "  ", "Only\t this"], None) == Report(1, ("Only this",), "")


def test_a_report_with_only_a_note_is_fine():
    assert report(1, [None, None, None], "We talked.") == Report(1, (), "We talked.")


def test_a_point_of_200_characters_is_fine_and_one_of_201_is_refused():
    assert report(1, ["p" * MAX_POINT_CHARS], None).points == ("p" * 200,)
    with pytest.raises(BreakoutProblem) as excinfo:
        report(1, ["ok", "p" * (MAX_POINT_CHARS + 1)], None)
    assert _problem(excinfo) == "breakout.point_too_long"
    assert excinfo.value.params == {"limit": 200}


def test_a_note_of_1000_characters_is_fine_and_one_of_1001_is_refused():
    assert report(1, [], "n" * MAX_NOTE_CHARS).note == "n" * 1000
    with pytest.raises(BreakoutProblem) as excinfo:
        report(1, ["ok"], "n" * (MAX_NOTE_CHARS + 1))
    assert _problem(excinfo) == "breakout.note_too_long"
    assert excinfo.value.params == {"limit": 1000}


@pytest.mark.parametrize("points, note", [([], None), ([None, "", "   "], "  \n "),
                                          (["\t"], "")])
def test_an_empty_report_is_refused(points, note):
    with pytest.raises(BreakoutProblem) as excinfo:
        report(1, points, note)
    assert _problem(excinfo) == "breakout.report_empty"


def test_more_than_three_points_are_refused_but_empty_ones_do_not_count():
    assert report(1, ["a", "", "b", None, "c", "  "], None).points == ("a", "b", "c")
    with pytest.raises(BreakoutProblem) as excinfo:
        report(1, ["a", "b", "c", "d"], None)
    assert _problem(excinfo) == "breakout.too_many_points"
    assert excinfo.value.params == {"limit": MAX_POINTS}


@given(points=st.lists(st.one_of(st.none(), st.text(alphabet=" \tab", max_size=8)),
                       max_size=6),
       note=st.one_of(st.none(), st.text(alphabet=" \nxy", max_size=8)))
@PROPERTY
def test_a_report_is_accepted_exactly_when_it_has_one_to_three_points_or_a_note(points, note):
    filled = [p for p in points if p and p.strip()]
    has_note = bool((note or "").strip())
    if len(filled) > 3:
        with pytest.raises(BreakoutProblem, match=r"^breakout\.too_many_points$"):
            report(1, points, note)
    elif not filled and not has_note:
        with pytest.raises(BreakoutProblem, match=r"^breakout\.report_empty$"):
            report(1, points, note)
    else:
        result = report(1, points, note)
        assert len(result.points) == len(filled)
        assert all(p and p == p.strip() and "  " not in p for p in result.points)
