"""Repeats and speed of the breakout engine against a plain shuffle: `python -m bench.breakouts`.

For 20, 60, 300 and 1,000 participants in groups of 4, five rounds each with the history
accumulating: total repeated pairs of the engine and of a shuffle-and-slice (what Teams does),
both averaged over the same seeds, and the engine's time per round. Then the social-golfer case
(16 people, groups of 4, 5 rounds), where a schedule without any repeat exists: what the engine
reaches, the exact per-round optimum, the effect of more effort, and why rounds 4 and 5 repeat.

  G  assignment of 1,000 people into groups of 4 (the engine alone, no endpoint): time per round
     p50/p99 over the rounds above, and the peak memory of one round (Python allocations under
     tracemalloc; the process's VmHWM at the end), in the table style of the other benchmarks.

`--quick`: fewer seeds and no effort or joint-planning experiments (part of `make bench`).
"""

from __future__ import annotations

import argparse
import gc
import itertools
import random
import statistics
import time
import tracemalloc
from collections import Counter
from collections.abc import Sequence

from bench.load import Row, peak_rss_mb, percentile, print_table
from facilitation.breakouts import (
    DEFAULT_EFFORT,
    History,
    Member,
    group_count,
    pairs_of,
    plan_breakout,
    record_round,
    repeated_pairs,
)

SIZES = (20, 60, 300, 1000)
ROUNDS = 5
SEEDS = range(5)  # engine runs per size
SHUFFLE_SEEDS = range(10)
GOLFER_SEEDS = range(40)

Rounds = list[list[tuple[str, ...]]]


def people(count: int) -> list[Member]:
    return [Member(id=f"29:{i:05d}", name=f"Person {i:05d}") for i in range(count)]


def engine_series(members: list[Member], groups: int, seed: int, effort: int = DEFAULT_EFFORT,
                  ) -> tuple[list[int], list[float], Rounds]:
    """Repeated pairs and seconds per round, and the rounds, history accumulating."""
    history, repeats, seconds, rounds = History(), [], [], []
    for number in range(ROUNDS):
        gc.collect()
        start = time.perf_counter()
        plan = plan_breakout(members, groups=groups, history=history, seed=seed * 100 + number,
                             effort=effort)
        seconds.append(time.perf_counter() - start)
        repeats.append(plan.repeated_pairs)
        rounds.append([group.members for group in plan.groups])
        history = record_round(history, plan)
    return repeats, seconds, rounds


def shuffle_series(ids: list[str], groups: int, seed: int) -> list[int]:
    """Repeated pairs per round when every round is a fresh shuffle sliced into groups."""
    rng = random.Random(seed)
    met: Counter[frozenset[str]] = Counter()
    repeats = []
    for _ in range(ROUNDS):
        order = list(ids)
        rng.shuffle(order)
        now = [order[i::groups] for i in range(groups)]
        repeats.append(repeated_pairs(now, met))
        met.update(pairs_of(now))
    return repeats


def report_scaling(seeds: range = SEEDS) -> dict[int, list[float]]:
    """Prints the table; returns the engine's seconds per round for each size."""
    print(f"Total repeated pairs over {ROUNDS} rounds, groups of 4: engine mean over "
          f"{len(seeds)} seeds (effort {DEFAULT_EFFORT:,}), shuffle mean over {len(SHUFFLE_SEEDS)}")
    print("  people  groups   engine  (min..max)   shuffle  (min..max)   "
          "engine ms/round median    max")
    per_round: dict[int, list[float]] = {}
    for count in SIZES:
        members = people(count)
        groups = group_count(count, size=4)
        ours, times = [], []
        for seed in seeds:
            repeats, seconds, _ = engine_series(members, groups, seed)
            ours.append(sum(repeats))
            times += seconds
        theirs = [sum(shuffle_series([m.id for m in members], groups, seed))
                  for seed in SHUFFLE_SEEDS]
        print(f"  {count:>6}  {groups:>6}  {statistics.mean(ours):>7.1f}  "
              f"({min(ours):>3}..{max(ours):<3})   {statistics.mean(theirs):>7.1f}  "
              f"({min(theirs):>3}..{max(theirs):<3})   "
              f"{statistics.median(times) * 1000:>21.1f} {max(times) * 1000:>6.1f}")
        per_round[count] = times
    return per_round


def peak_of_one_round(count: int) -> float:
    """MB: the peak of Python allocations while the engine plans the last of ROUNDS rounds for
    `count` people (the earlier ones in the history)."""
    members = people(count)
    groups = group_count(count, size=4)
    history = History()
    for number in range(ROUNDS - 1):
        history = record_round(history, plan_breakout(members, groups=groups, history=history,
                                                      seed=number))
    gc.collect()
    tracemalloc.start()
    plan_breakout(members, groups=groups, history=history, seed=ROUNDS)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def report_assignment(per_round: dict[int, list[float]], count: int = 1000) -> None:
    times = per_round[count]
    groups = group_count(count, size=4)
    traced = peak_of_one_round(count)
    print(f"\nG: assigning {count:,} people into {groups} groups of 4, the engine alone "
          "(count: rounds timed; per s: rounds per second at the median)")
    print_table([Row(f"G {count} people into {groups} groups, per round", len(times), None,
                     1 / statistics.median(times), percentile(times, 0.5) * 1000,
                     percentile(times, 0.99) * 1000, None, traced)], print)
    print(f"   peak MB: Python allocations during one round (tracemalloc); max "
          f"{max(times) * 1000:.1f} ms; this process's VmHWM at the end of the table: "
          f"{peak_rss_mb() or float('nan'):.0f} MB")


# ---------------------------------------------------------------------------- social golfer


def exact_minimum(ids: Sequence[str], met: Counter[frozenset[str]], size: int) -> int:
    """The least repeat weight any split of `ids` into groups of `size` has (branch and bound)."""
    count = len(ids)
    weight = [[met[frozenset((ids[a], ids[b]))] for b in range(count)] for a in range(count)]
    best = [sum(sum(row) for row in weight) + 1]

    def extend(left: list[int], cost: int) -> None:
        if not left:
            best[0] = cost
            return
        first, rest = left[0], left[1:]
        for others in itertools.combinations(rest, size - 1):
            group = (first, *others)
            total = cost + sum(weight[a][b] for a, b in itertools.combinations(group, 2))
            if total < best[0]:
                extend([i for i in rest if i not in others], total)

    extend(list(range(count)), 0)
    return best[0]


def met_before(rounds: Rounds) -> Counter[frozenset[str]]:
    met: Counter[frozenset[str]] = Counter()
    for groups in rounds:
        met.update(pairs_of(groups))
    return met


def total_repeats(rounds: Rounds) -> int:
    """Repeated pair meetings in a schedule: a pair together k times counts k - 1."""
    return sum(count - 1 for count in met_before(rounds).values())


def replan_jointly(members: list[Member], groups: int, seed: int, sweeps: int) -> int:
    """Experiment: re-plan each round against all the others, `sweeps` times or until 0."""
    rounds = engine_series(members, groups, seed)[2]
    best = total_repeats(rounds)
    for sweep in range(sweeps):
        for number in range(ROUNDS):
            others = met_before(rounds[:number] + rounds[number + 1:])
            plan = plan_breakout(members, groups=groups, history=History(pairs=others),
                                 seed=seed * 100 + (sweep + 1) * ROUNDS + number)
            trial = [*rounds[:number], [g.members for g in plan.groups], *rounds[number + 1:]]
            if total_repeats(trial) < best:
                rounds, best = trial, total_repeats(trial)
        if best == 0:
            break
    return best


def report_golfer(quick: bool = False) -> None:
    seeds = range(10) if quick else GOLFER_SEEDS
    members = people(16)
    ids = [member.id for member in members]
    print(f"\nSocial golfer: 16 people, 4 groups of 4, {ROUNDS} rounds (an affine plane of order 4"
          " has 0 repeats)")
    totals, examples, extendable = Counter(), [], 0
    for seed in seeds:
        repeats, _, rounds = engine_series(members, 4, seed)
        totals[sum(repeats)] += 1
        extendable += exact_minimum(ids, met_before(rounds[:3]), 4) == 0
        if len(examples) < 5:
            examples.append((seed, repeats, rounds))
    spread = ", ".join(f"{total} in {n}" for total, n in sorted(totals.items()))
    print(f"  engine total over {len(seeds)} seeds: {spread} seeds")
    print(f"  after the engine's round 3, a repeat-free round 4 exists in {extendable}"
          f"/{len(seeds)} seeds (a uniformly random repeat-free round 3 allows one in 25%:"
          " 144 of the 576 Latin squares of order 4 have an orthogonal mate)")
    print("  seed  repeated pairs per round   least possible per round, given the engine's"
          " earlier rounds (exact search)")
    for seed, repeats, rounds in examples:
        exact = [exact_minimum(ids, met_before(rounds[:n]), 4) for n in range(ROUNDS)]
        print(f"  {seed:>4}  {repeats!s:<25}  {exact}")
    if quick:
        return
    print("  more effort (same 5 seeds): ", end="")
    for effort in (2_000, 20_000, DEFAULT_EFFORT, 2_000_000):
        found = [sum(engine_series(members, 4, seed, effort)[0]) for seed, _, _ in examples]
        print(f"effort {effort:,}: {found}", end="   ")
    print()
    start = time.perf_counter()
    joint = [replan_jointly(members, 4, seed, sweeps=8) for seed in range(10)]
    print(f"  experiment, all rounds planned up front (re-plan each round against the other four,"
          f" seeds 0..9): {joint}, {time.perf_counter() - start:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description="Breakout engine: repeats and speed")
    parser.add_argument("--quick", action="store_true",
                        help="two seeds per size, no effort or joint-planning experiments")
    quick = parser.parse_args().quick
    start = time.perf_counter()
    per_round = report_scaling(range(2) if quick else SEEDS)
    report_assignment(per_round)
    report_golfer(quick)
    print(f"\nTotal bench time {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
