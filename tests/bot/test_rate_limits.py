"""TokenBuckets and client keys: per-client limits as a pure function of the times given."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.rate_limits import Rate, TokenBuckets, client_key, retry_after


def test_a_new_client_gets_its_whole_burst_at_once_and_then_waits_for_one_refill() -> None:
    buckets = TokenBuckets(Rate(burst=3, per_minute=60))
    assert [buckets.take("a", 0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a", 0.0) == pytest.approx(1.0)
    assert buckets.take("a", 0.5) == pytest.approx(0.5)
    assert buckets.take("a", 1.0) == 0.0


def test_a_refused_request_spends_nothing() -> None:
    buckets = TokenBuckets(Rate(burst=1, per_minute=60))
    buckets.take("a", 0.0)
    for _ in range(100):
        assert buckets.take("a", 0.5) > 0
    assert buckets.take("a", 1.0) == 0.0


def test_clients_are_counted_apart() -> None:
    buckets = TokenBuckets(Rate(burst=1, per_minute=1))
    assert buckets.take("a", 0.0) == 0.0
    assert buckets.take("a", 0.0) > 0
    assert buckets.take("b", 0.0) == 0.0


def test_a_bucket_refills_only_up_to_its_burst() -> None:
    buckets = TokenBuckets(Rate(burst=2, per_minute=60))
    buckets.take("a", 0.0)
    assert buckets.tokens("a", 3600.0) == 2.0


def test_a_cost_above_the_burst_is_never_allowed() -> None:
    buckets = TokenBuckets(Rate(burst=2, per_minute=60))
    assert buckets.take("a", 0.0, cost=3) == math.inf
    assert retry_after(math.inf) == "3600"


def test_the_table_forgets_the_least_recently_seen_client_first() -> None:
    buckets = TokenBuckets(Rate(burst=1, per_minute=1), max_keys=2)
    buckets.take("a", 0.0)
    buckets.take("b", 1.0)
    buckets.take("a", 2.0)  # refused, but seen: "b" is now the oldest
    buckets.take("c", 3.0)
    assert len(buckets) == 2
    assert buckets.take("a", 4.0) > 0  # still remembered as empty
    assert buckets.take("b", 4.0) == 0.0  # forgotten: a fresh bucket


def test_rates_and_tables_must_make_sense() -> None:
    with pytest.raises(ValueError):
        Rate(burst=0, per_minute=1)
    with pytest.raises(ValueError):
        Rate(burst=1, per_minute=0)
    with pytest.raises(ValueError):
        TokenBuckets(Rate(burst=1, per_minute=1), max_keys=0)


@pytest.mark.parametrize(("wait", "header"), [(0.01, "1"), (1.0, "1"), (1.2, "2"), (59.5, "60")])
def test_retry_after_is_whole_seconds_rounded_up(wait: float, header: str) -> None:
    assert retry_after(wait) == header


@pytest.mark.parametrize(("remote", "key"), [
    ("127.0.0.1", "127.0.0.1"),
    ("::ffff:10.1.2.3", "10.1.2.3"),
    ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
    ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
    ("fe80::1%eth0", "fe80::/64"),
    ("unix-socket", "unix-socket"),
    (None, "?"),
])
def test_a_client_is_its_ipv4_address_or_its_ipv6_slash_64(remote: str | None, key: str) -> None:
    assert client_key(remote) == key


steps = st.lists(st.tuples(st.floats(0, 5, allow_nan=False), st.sampled_from("abcd"),
                           st.sampled_from([1.0, 2.0])), max_size=200)


@settings(max_examples=300, deadline=None)
@given(burst=st.integers(1, 10), per_minute=st.floats(1, 600), steps=steps)
def test_no_client_ever_gets_more_than_its_burst_plus_what_refilled(
        burst: int, per_minute: float, steps: list[tuple[float, str, float]]) -> None:
    buckets = TokenBuckets(Rate(burst=burst, per_minute=per_minute), max_keys=4)
    now, spent = 0.0, {key: 0.0 for key in "abcd"}
    for gap, key, cost in steps:
        now += gap
        before = buckets.tokens(key, now)
        wait = buckets.take(key, now, cost)
        assert 0.0 <= before <= burst
        if wait == 0.0:
            spent[key] += cost
            assert buckets.tokens(key, now) == pytest.approx(before - cost)
        else:
            assert before < cost
            assert buckets.tokens(key, now) == pytest.approx(before)
            if math.isfinite(wait):  # waiting as told is enough, and not a moment too long
                assert buckets.tokens(key, now + wait) == pytest.approx(cost)
    for total in spent.values():  # four keys fit the table: nothing is forgotten
        assert total <= burst + now * per_minute / 60 + 1e-9


@settings(max_examples=200, deadline=None)
@given(keys=st.lists(st.text(min_size=1, max_size=3), max_size=300),
       max_keys=st.integers(1, 20))
def test_the_table_never_holds_more_than_its_size(keys: list[str], max_keys: int) -> None:
    buckets = TokenBuckets(Rate(burst=1, per_minute=1), max_keys=max_keys)
    for number, key in enumerate(keys):
        buckets.take(key, float(number))
        assert len(buckets) <= max_keys
        assert buckets.take(key, float(number)) > 0  # the key just seen is kept
