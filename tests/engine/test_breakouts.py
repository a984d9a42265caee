"""Breakouts: group counts, assignment, repeats, constraints and roles (facilitation.breakouts)."""

from __future__ import annotations

import random
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facilitation import breakouts
from facilitation.breakouts import (
    BreakoutPlan,
    Constraints,
    Group,
    History,
    InvalidBreakout,
    Member,
    group_count,
    pairs_of,
    plan_breakout,
    record_round,
    repeat_weight,
    repeated_pairs,
)
from facilitation.errors import DomainError

ROOT = Path(__file__).resolve().parents[2]
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def people(count: int) -> list[Member]:
    return [Member(id=f"29:{i:04d}", name=f"Person {i:04d}") for i in range(count)]


def ids(count: int) -> list[str]:
    return [member.id for member in people(count)]


def pair(a: str, b: str) -> frozenset[str]:
    return frozenset((a, b))


def member_lists(plan: BreakoutPlan) -> list[tuple[str, ...]]:
    return [group.members for group in plan.groups]


def group_of(plan: BreakoutPlan) -> dict[str, int]:
    return {member: group.number for group in plan.groups for member in group.members}


def assert_valid(plan: BreakoutPlan, members: list[Member], groups: int) -> None:
    placed = [member for group in plan.groups for member in group.members]
    assert sorted(placed) == sorted(member.id for member in members)
    assert len(plan.groups) == groups
    sizes = [len(group.members) for group in plan.groups]
    assert max(sizes) - min(sizes) <= 1
    assert [group.number for group in plan.groups] == list(range(1, groups + 1))


def invalid(members: list[Member], groups: int, **kwargs: Any) -> InvalidBreakout:
    with pytest.raises(InvalidBreakout) as caught:
        plan_breakout(members, groups=groups, **kwargs)
    return caught.value


def shuffled_rounds(members: list[str], groups: int, rounds: int,
                    seed: int) -> list[list[list[str]]]:
    """What Teams does: shuffle, then slice into equal groups."""
    rng = random.Random(seed)
    result = []
    for _ in range(rounds):
        order = list(members)
        rng.shuffle(order)
        result.append([order[i::groups] for i in range(groups)])
    return result


def history_of(rounds: list[list[list[str]]]) -> History:
    pairs: Counter[frozenset[str]] = Counter()
    for groups in rounds:
        pairs.update(pairs_of(groups))
    return History(pairs=dict(pairs))


# ---------------------------------------------------------------------------- group counts


def test_a_group_count_asked_for_directly_is_kept() -> None:
    assert group_count(23, groups=5) == 5
    assert group_count(2, groups=2) == 2
    assert group_count(2, groups=1) == 1


@pytest.mark.parametrize(("people", "size", "groups"),
                         [(23, 4, 5), (20, 4, 5), (10, 3, 3), (7, 7, 1), (1000, 5, 200), (9, 2, 4)])
def test_a_group_size_gives_groups_of_at_least_that_size(people: int, size: int,
                                                         groups: int) -> None:
    assert group_count(people, size=size) == groups
    assert people // groups >= size


@pytest.mark.parametrize(("kwargs", "code", "params"), [
    ({"people": 1, "groups": 1}, "breakout.too_few_people", {"people": 1}),
    ({"people": 0, "size": 2}, "breakout.too_few_people", {"people": 0}),
    ({"people": 5, "groups": 0}, "breakout.groups_too_few", {"groups": 0}),
    ({"people": 5, "groups": 6}, "breakout.more_groups_than_people", {"groups": 6, "people": 5}),
    ({"people": 5, "size": 1}, "breakout.size_too_small", {"size": 1}),
    ({"people": 5, "size": 6}, "breakout.size_too_large", {"size": 6, "people": 5}),
])
def test_a_group_count_that_cannot_work_is_explained(kwargs: dict[str, int], code: str,
                                                      params: dict[str, int]) -> None:
    with pytest.raises(InvalidBreakout) as caught:
        group_count(**kwargs)
    assert caught.value.code == code
    assert caught.value.params == params


@pytest.mark.parametrize("kwargs", [{}, {"groups": 2, "size": 2}])
def test_a_group_count_needs_exactly_one_of_groups_and_size(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        group_count(10, **kwargs)


def test_invalid_breakout_is_a_domain_error_with_its_own_code() -> None:
    assert issubclass(InvalidBreakout, DomainError)
    assert InvalidBreakout().code == "breakout.invalid"


# ---------------------------------------------------------------------------- assignment


def test_23_people_into_5_groups_places_everyone_once_in_groups_of_4_and_5() -> None:
    members = people(23)
    plan = plan_breakout(members, groups=5)
    assert_valid(plan, members, 5)
    assert sorted(len(group.members) for group in plan.groups) == [4, 4, 5, 5, 5]
    assert plan.repeated_pairs == 0
    assert plan.repeat_weight == 0


def test_groups_asked_for_by_size_have_at_least_that_many_members() -> None:
    members = people(10)
    plan = plan_breakout(members, groups=group_count(len(members), size=4))
    assert_valid(plan, members, 2)
    assert [len(group.members) for group in plan.groups] == [5, 5]


def test_one_group_holds_everyone_and_as_many_groups_as_people_hold_one_each() -> None:
    members = people(5)
    assert_valid(plan_breakout(members, groups=1), members, 1)
    alone = plan_breakout(members, groups=5)
    assert_valid(alone, members, 5)
    assert all(group.facilitator == group.presenter == group.members[0] for group in alone.groups)


def test_members_of_a_group_are_sorted_by_name_then_id() -> None:
    members = [Member("c", "Ada"), Member("a", "Ada"), Member("b", "Zoe"), Member("d", "Bob")]
    plan = plan_breakout(members, groups=1)
    assert plan.groups[0].members == ("a", "c", "d", "b")


@pytest.mark.parametrize(("kwargs", "code", "params"), [
    ({"count": 1, "groups": 1}, "breakout.too_few_people", {"people": 1}),
    ({"count": 4, "groups": 0}, "breakout.groups_too_few", {"groups": 0}),
    ({"count": 4, "groups": 5}, "breakout.more_groups_than_people", {"groups": 5, "people": 4}),
])
def test_a_plan_for_an_impossible_group_count_is_explained(kwargs: dict[str, int], code: str,
                                                           params: dict[str, int]) -> None:
    error = invalid(members=people(kwargs["count"]), groups=kwargs["groups"])
    assert (error.code, error.params) == (code, params)


def test_someone_listed_twice_is_explained() -> None:
    members = [*people(4), Member("29:0001", "Again"), Member("29:0000", "Again")]
    error = invalid(members=members, groups=2)
    assert (error.code, error.params) == ("breakout.duplicate_people",
                                          {"people": "29:0000, 29:0001"})


def test_negative_effort_is_a_programming_error_and_no_effort_still_gives_a_valid_plan() -> None:
    members = people(12)
    with pytest.raises(ValueError, match="effort"):
        plan_breakout(members, groups=3, effort=-1)
    history = history_of(shuffled_rounds(ids(12), 3, 2, seed=1))
    assert_valid(plan_breakout(members, groups=3, history=history, effort=0), members, 3)


def test_topics_go_to_groups_in_order_extra_ones_are_ignored_and_missing_ones_are_none() -> None:
    members = people(9)
    few = plan_breakout(members, groups=3, topics=("Budget", "Hiring"))
    assert [group.topic for group in few.groups] == ["Budget", "Hiring", None]
    many = plan_breakout(members, groups=2, topics=("A", "B", "C"))
    assert [group.topic for group in many.groups] == ["A", "B"]


# ---------------------------------------------------------------------------- repeats


def test_pairs_of_counts_each_pair_per_group_it_shares() -> None:
    found = pairs_of([("a", "b", "c"), ("d",), ("a", "b")])
    assert found == {pair("a", "b"): 2, pair("a", "c"): 1, pair("b", "c"): 1}


def test_repeated_pairs_counts_pairs_once_and_repeat_weight_sums_their_history() -> None:
    history = {pair("a", "b"): 3, pair("c", "d"): 1, pair("a", "x"): 2}
    groups = [("a", "b", "c"), ("d", "e")]
    assert repeated_pairs(groups, history) == 1
    assert repeat_weight(groups, history) == 3
    assert repeated_pairs([("a", "c"), ("b", "d")], history) == 0


def test_pairs_that_met_before_are_split_up_when_possible() -> None:
    a, b, c, d = ids(4)
    history = History(pairs={pair(a, b): 1, pair(c, d): 1})
    plan = plan_breakout(people(4), groups=2, history=history)
    assert plan.repeated_pairs == 0
    where = group_of(plan)
    assert where[a] != where[b]
    assert where[c] != where[d]


def test_when_repeats_are_unavoidable_the_lightest_ones_are_chosen() -> None:
    a, b, c, d = ids(4)
    history = History(pairs={pair(a, b): 3, pair(a, c): 1, pair(b, d): 1,
                             pair(a, d): 2, pair(b, c): 2})
    for seed in range(5):
        plan = plan_breakout(people(4), groups=2, history=history, seed=seed)
        assert sorted(member_lists(plan)) == [(a, c), (b, d)]
        assert (plan.repeated_pairs, plan.repeat_weight) == (2, 2)


def test_history_about_people_who_left_or_odd_keys_is_ignored() -> None:
    a, b, c, d = ids(4)
    history = History(pairs={pair(a, "gone"): 5, frozenset((a,)): 4, pair(a, b): 0,
                             frozenset((a, b, c)): 7, pair(c, d): 1})
    plan = plan_breakout(people(4), groups=2, history=history)
    assert plan.repeated_pairs == 0
    assert group_of(plan)[c] != group_of(plan)[d]


def test_record_round_adds_the_pairs_and_roles_of_a_plan() -> None:
    earlier = History(pairs={pair("a", "b"): 1}, facilitated={"a": 2}, presented={"c": 1})
    plan = BreakoutPlan(groups=(Group(1, ("a", "b"), "a", "b", None),
                                Group(2, ("c", "d", "e"), "c", "e", "T")),
                        repeated_pairs=1, repeat_weight=1)
    after = record_round(earlier, plan)
    assert after.pairs[pair("a", "b")] == 2
    assert after.pairs[pair("c", "e")] == 1
    assert sum(after.pairs.values()) == 5
    assert after.facilitated == {"a": 3, "c": 1}
    assert after.presented == {"c": 1, "b": 1, "e": 1}
    assert earlier.pairs == {pair("a", "b"): 1}


@pytest.mark.parametrize("count", [20, 60])
def test_over_five_rounds_the_engine_repeats_fewer_pairs_than_shuffling(count: int) -> None:
    members = people(count)
    groups = group_count(count, size=4)
    history, engine_total = History(), 0
    for round_number in range(5):
        plan = plan_breakout(members, groups=groups, history=history, seed=round_number)
        assert_valid(plan, members, groups)
        engine_total += plan.repeated_pairs
        history = record_round(history, plan)
    shuffled_totals = []
    for seed in range(8):
        rounds = shuffled_rounds(ids(count), groups, 5, seed)
        shuffled_totals.append(sum(repeated_pairs(groups_now, history_of(rounds[:n]).pairs)
                                   for n, groups_now in enumerate(rounds)))
    assert engine_total < sum(shuffled_totals) / len(shuffled_totals)
    assert engine_total <= (3 if count == 20 else 0)


def test_a_thousand_members_with_some_history_are_planned_without_repeats() -> None:
    members = people(1000)
    groups = group_count(1000, size=4)
    history = history_of(shuffled_rounds(ids(1000), groups, 3, seed=7))
    plan = plan_breakout(members, groups=groups, history=history, seed=3)
    assert_valid(plan, members, groups)
    assert plan.repeated_pairs == 0


# ---------------------------------------------------------------------------- determinism


def test_the_same_seed_gives_the_same_plan_whatever_the_order_of_the_inputs() -> None:
    members = people(30)
    history = history_of(shuffled_rounds(ids(30), 6, 3, seed=2))
    constraints = Constraints(apart=(frozenset(ids(30)[:3]),), together=(frozenset(ids(30)[5:7]),))
    first = plan_breakout(members, groups=6, history=history, constraints=constraints, seed=11)
    reordered = History(pairs=dict(reversed(list(history.pairs.items()))))
    again = plan_breakout(list(reversed(members)), groups=6, history=reordered,
                          constraints=constraints, seed=11)
    assert first == again


def test_different_seeds_usually_give_different_plans() -> None:
    members = people(20)
    plans = {tuple(member_lists(plan_breakout(members, groups=5, seed=seed)))
             for seed in range(10)}
    assert len(plans) >= 8


def test_the_plan_does_not_depend_on_the_hash_seed() -> None:
    script = (
        "from facilitation.breakouts import *\n"
        "m = [Member(f'id{i}', f'N{i % 7}') for i in range(40)]\n"
        "h = History(pairs={frozenset((f'id{i}', f'id{(i * 7) % 40}')): 1 for i in range(40)})\n"
        "c = Constraints(apart=(frozenset({'id1', 'id2', 'id3'}),),"
        " together=(frozenset({'id4', 'id5'}),))\n"
        "print(plan_breakout(m, groups=8, history=h, constraints=c, seed=5))\n"
    )
    outputs = {
        subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, capture_output=True,
                       text=True, env={"PYTHONHASHSEED": hash_seed}).stdout
        for hash_seed in ("0", "1", "12345")
    }
    assert len(outputs) == 1


@PROPERTY
@given(count=st.integers(2, 60), data=st.data())
def test_everyone_is_placed_once_in_groups_that_differ_by_at_most_one(
        count: int, data: st.DataObject) -> None:
    groups = data.draw(st.integers(1, count), label="groups")
    rounds = data.draw(st.integers(0, 3), label="history rounds")
    seed = data.draw(st.integers(0, 2**32), label="seed")
    members = people(count)
    history = history_of(shuffled_rounds(ids(count), groups, rounds, seed))
    plan = plan_breakout(members, groups=groups, history=history, seed=seed, effort=20_000)
    assert_valid(plan, members, groups)
    assert plan == plan_breakout(members, groups=groups, history=history, seed=seed,
                                 effort=20_000)
    assert plan.repeated_pairs == repeated_pairs(member_lists(plan), history.pairs)


# ---------------------------------------------------------------------------- constraints


def test_together_sets_are_joined_transitively_into_one_group() -> None:
    a, b, c, *_ = ids(12)
    constraints = Constraints(together=(frozenset({a, b}), frozenset({b, c})))
    for seed in range(5):
        plan = plan_breakout(people(12), groups=4, constraints=constraints, seed=seed)
        assert len({group_of(plan)[x] for x in (a, b, c)}) == 1


def test_an_apart_set_as_large_as_the_group_count_puts_one_in_each_group() -> None:
    everyone = ids(12)
    constraints = Constraints(apart=(frozenset(everyone[:4]), frozenset(everyone[4:8])))
    plan = plan_breakout(people(12), groups=4, constraints=constraints)
    where = group_of(plan)
    assert sorted(where[x] for x in everyone[:4]) == [1, 2, 3, 4]
    assert sorted(where[x] for x in everyone[4:8]) == [1, 2, 3, 4]


def test_constraints_beat_avoiding_repeats() -> None:
    a, b, *_ = ids(4)
    history = History(pairs={pair(a, b): 9})
    plan = plan_breakout(people(4), groups=2, history=history,
                         constraints=Constraints(together=(frozenset({a, b}),)))
    assert group_of(plan)[a] == group_of(plan)[b]
    assert plan.repeat_weight == 9


def test_unknown_people_in_constraints_are_listed_by_id() -> None:
    error = invalid(members=people(4), groups=2, constraints=Constraints(
        apart=(frozenset({"29:0000", "zz"}),), together=(frozenset({"aa", "29:0001"}),)))
    assert (error.code, error.params) == ("breakout.unknown_people", {"people": "aa, zz"})


def test_someone_both_together_with_and_apart_from_another_is_a_contradiction() -> None:
    a, b, c, d, *_ = ids(8)
    error = invalid(members=people(8), groups=2, constraints=Constraints(
        together=(frozenset({a, b}), frozenset({b, c})), apart=(frozenset({c, a, d}),)))
    assert (error.code, error.params) == ("breakout.contradiction",
                                          {"people": "Person 0000, Person 0002"})


def test_a_together_block_larger_than_the_largest_group_is_explained() -> None:
    a, b, c, d, *_ = ids(7)
    error = invalid(members=people(7), groups=3, constraints=Constraints(
        together=(frozenset({a, b}), frozenset({c, d, b}))))
    assert (error.code, error.params) == ("breakout.block_too_large", {
        "people": "Person 0000, Person 0001, Person 0002, Person 0003", "size": 3})


def test_an_apart_set_larger_than_the_group_count_is_explained() -> None:
    a, b, c, *_ = ids(6)
    error = invalid(members=people(6), groups=2,
                    constraints=Constraints(apart=(frozenset({c, b, a}),)))
    assert (error.code, error.params) == ("breakout.apart_impossible", {
        "people": "Person 0000, Person 0001, Person 0002", "groups": 2})


def test_blocks_that_do_not_pack_into_the_groups_are_explained() -> None:
    a, b, c, d, e, f = ids(6)
    error = invalid(members=people(6), groups=2, constraints=Constraints(
        together=(frozenset({a, b}), frozenset({c, d}), frozenset({e, f}))))
    assert error.code == "breakout.constraints_unmet"
    assert error.params == {"people": ", ".join(m.name for m in people(6))}


def test_apart_sets_that_need_more_groups_together_are_explained() -> None:
    a, b, c, _ = ids(4)
    error = invalid(members=people(4), groups=2, constraints=Constraints(
        apart=(frozenset({a, b}), frozenset({b, c}), frozenset({a, c}))))
    assert (error.code, error.params) == ("breakout.constraints_unmet", {
        "people": "Person 0000, Person 0001, Person 0002"})


@PROPERTY
@given(count=st.integers(4, 40), data=st.data())
def test_constraints_that_some_plan_meets_are_always_met(count: int, data: st.DataObject) -> None:
    groups = data.draw(st.integers(2, count // 2), label="groups")
    seed = data.draw(st.integers(0, 2**32), label="seed")
    rng = random.Random(seed)
    hidden = shuffled_rounds(ids(count), groups, 1, seed)[0]
    together = []
    for _ in range(rng.randint(0, 3)):
        group = rng.choice(hidden)
        together.append(frozenset(rng.sample(group, rng.randint(1, min(3, len(group))))))
    apart = []
    for _ in range(rng.randint(0, 4)):
        chosen = rng.sample(hidden, rng.randint(2, min(groups, 4)))
        apart.append(frozenset(rng.choice(group) for group in chosen))
    constraints = Constraints(apart=tuple(apart), together=tuple(together))
    history = history_of(shuffled_rounds(ids(count), groups, 2, seed + 1))
    members = people(count)
    plan = plan_breakout(members, groups=groups, constraints=constraints, history=history,
                         seed=seed, effort=20_000)
    assert_valid(plan, members, groups)
    where = group_of(plan)
    for ids_apart in apart:
        assert len({where[x] for x in ids_apart}) == len(ids_apart)
    for ids_together in together:
        assert len({where[x] for x in ids_together}) == 1


# ---------------------------------------------------------------------------- roles


def test_the_presenter_differs_from_the_facilitator_in_groups_of_two_or_more() -> None:
    plan = plan_breakout(people(11), groups=5)
    for group in plan.groups:
        assert group.facilitator in group.members
        assert group.presenter in group.members
        assert group.facilitator != group.presenter


def test_the_facilitator_and_presenter_are_those_with_the_fewest_earlier_turns() -> None:
    a, b, c, d = ids(4)
    history = History(facilitated={a: 2, b: 1, d: 1}, presented={a: 1, b: 3, c: 0, d: 1})
    plan = plan_breakout(people(4), groups=1, history=history)
    assert (plan.groups[0].facilitator, plan.groups[0].presenter) == (c, a)


def test_ties_between_roles_are_broken_by_the_seed() -> None:
    members = people(6)
    roles = {(plan.groups[0].facilitator, plan.groups[0].presenter)
             for plan in (plan_breakout(members, groups=1, seed=seed) for seed in range(12))}
    assert len(roles) >= 5


def test_roles_rotate_over_rounds_when_each_round_is_recorded() -> None:
    members = people(12)
    history = History()
    for round_number in range(6):
        plan = plan_breakout(members, groups=3, history=history, seed=round_number)
        for group in plan.groups:
            turns = [history.facilitated.get(m, 0) for m in group.members]
            assert history.facilitated.get(group.facilitator, 0) == min(turns)
            others = [history.presented.get(m, 0) for m in group.members
                      if m != group.facilitator]
            assert history.presented.get(group.presenter, 0) == min(others)
        history = record_round(history, plan)
    assert sum(history.facilitated.values()) == 18
    assert len(history.facilitated) == 12
    assert max(history.facilitated.values()) <= 2
    assert len(history.presented) == 12
    assert max(history.presented.values()) <= 2


def test_constraints_are_still_met_when_the_careful_placement_gives_up_early(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(breakouts, "PACKING_NODES", -1)
    everyone = ids(12)
    constraints = Constraints(apart=(frozenset(everyone[:3]), frozenset(everyone[2:5])),
                              together=(frozenset(everyone[5:7]), frozenset(everyone[7:9])))
    plan = plan_breakout(people(12), groups=3, constraints=constraints)
    where = group_of(plan)
    assert len({where[x] for x in everyone[:3]}) == 3
    assert len({where[x] for x in everyone[2:5]}) == 3
    assert where[everyone[5]] == where[everyone[6]]
    assert where[everyone[7]] == where[everyone[8]]
    a, b, c, _ = ids(4)
    error = invalid(members=people(4), groups=2, constraints=Constraints(
        apart=(frozenset({a, b}), frozenset({b, c}), frozenset({a, c}))))
    assert error.code == "breakout.constraints_unmet"
