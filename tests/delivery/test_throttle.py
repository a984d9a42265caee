"""SlidingWindows: Teams' per-conversation send limits as a pure function of recorded times."""

from __future__ import annotations

from itertools import accumulate

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.delivery.throttle import DEFAULT_WINDOWS, SlidingWindows


def schedule(windows: SlidingWindows, arrivals: list[float]) -> list[float]:
    """When each op goes out if every op waits exactly as long as `delay` says."""
    sent: list[float] = []
    now = 0.0
    for arrival in arrivals:
        now = max(now, arrival)
        while (wait := windows.delay(now)) > 0:
            now += wait
        windows.record(now)
        sent.append(now)
    return sent


def ops_in_window(times: list[float], seconds: float, now: float) -> int:
    """Ops that still count in the window ending at `now` (the definition, by brute force)."""
    return sum(1 for t in times if t <= now and t + seconds > now)


def test_ops_within_every_limit_are_allowed_at_once() -> None:
    windows = SlidingWindows(((1.0, 3),))
    for _ in range(2):
        windows.record(0.0)
    assert windows.delay(0.0) == 0.0


def test_the_op_over_a_limit_waits_until_the_oldest_leaves_the_window() -> None:
    windows = SlidingWindows(((1.0, 3),))
    for at in (0.0, 0.25, 0.5):
        windows.record(at)
    assert windows.delay(0.5) == pytest.approx(0.5)
    assert windows.delay(0.9) == pytest.approx(0.1)
    assert windows.delay(1.0) == 0.0


def test_default_windows_allow_a_burst_of_seven_then_one_more_in_two_seconds() -> None:
    windows = SlidingWindows()
    for _ in range(7):
        assert windows.delay(0.0) == 0.0
        windows.record(0.0)
    assert windows.delay(0.0) == pytest.approx(1.0)
    windows.record(1.0)
    assert windows.delay(1.0) == pytest.approx(1.0)  # eight in two seconds
    assert windows.delay(2.0) == 0.0


def test_default_windows_cap_sustained_sending_at_sixty_per_thirty_seconds() -> None:
    sent = schedule(SlidingWindows(DEFAULT_WINDOWS), [0.0] * 61)
    assert sent[59] < 30.0
    assert sent[60] == pytest.approx(30.0)


def test_ops_older_than_every_window_stop_counting() -> None:
    windows = SlidingWindows()
    schedule(windows, [0.0] * 60)
    assert windows.delay(3600.0) == 0.0


@pytest.mark.parametrize("bad", [(), ((0.0, 7),), ((1.0, 0),), ((-1.0, 3),)])
def test_windows_without_positive_seconds_and_limits_are_rejected(
    bad: tuple[tuple[float, int], ...],
) -> None:
    with pytest.raises(ValueError):
        SlidingWindows(bad)


window_sets = st.lists(st.tuples(st.floats(0.05, 5.0), st.integers(1, 8)), min_size=1, max_size=4)
gaps = st.lists(st.floats(0.0, 2.0), min_size=1, max_size=60)


@settings(max_examples=150, deadline=None)
@given(window_sets, gaps)
def test_ops_scheduled_with_delay_never_exceed_any_window(
    windows: list[tuple[float, int]], arrival_gaps: list[float]
) -> None:
    arrivals = list(accumulate(arrival_gaps))
    sent = schedule(SlidingWindows(windows), arrivals)
    for at in sent:
        for seconds, limit in windows:
            assert ops_in_window(sent, seconds, at) <= limit


@settings(max_examples=150, deadline=None)
@given(window_sets, gaps)
def test_delay_is_zero_exactly_when_one_more_op_fits_every_window(
    windows: list[tuple[float, int]], arrival_gaps: list[float]
) -> None:
    limiter = SlidingWindows(windows)
    recorded: list[float] = []
    now = 0.0
    for gap in arrival_gaps:
        now += gap
        fits = all(ops_in_window(recorded, s, now) + 1 <= n for s, n in windows)
        assert (limiter.delay(now) == 0.0) == fits
        if fits:
            limiter.record(now)
            recorded.append(now)
