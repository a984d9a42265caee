"""Breakouts: split a meeting into small groups that avoid earlier pairings, with rotating roles."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import NoReturn

from facilitation.errors import DomainError

DEFAULT_EFFORT = 200_000  # candidate swaps the local search may evaluate, per plan
PACKING_NODES = 5_000  # placements beyond one each that the search for constrained people may try
SCAN_GROUPS = 24  # groups looked at per local-search step (all of them when there are fewer)
NOISE = 0.1  # chance of taking the best swap although it makes things worse (leaves local minima)


class InvalidBreakout(DomainError):
    """The breakout as asked for cannot be planned (too few people, impossible constraints, ...)."""

    code = "breakout.invalid"


@dataclass(frozen=True)
class Member:
    """Someone taking part: `id` is opaque (a Teams id), `name` is for messages."""

    id: str
    name: str


@dataclass(frozen=True)
class Constraints:
    """Who must be apart (all in different groups) and who must be together (one group)."""

    apart: tuple[frozenset[str], ...] = ()
    together: tuple[frozenset[str], ...] = ()


@dataclass(frozen=True)
class History:
    """Earlier rounds in the same chat: pairings and role turns per member id."""

    pairs: Mapping[frozenset[str], int] = field(default_factory=dict)
    facilitated: Mapping[str, int] = field(default_factory=dict)
    presented: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Group:
    """One breakout group: members sorted by name then id, two roles and maybe a topic."""

    number: int
    members: tuple[str, ...]
    facilitator: str
    presenter: str
    topic: str | None


@dataclass(frozen=True)
class BreakoutPlan:
    """A whole round, and how many of its pairs met before (pairs once, and weighted by count)."""

    groups: tuple[Group, ...]
    repeated_pairs: int
    repeat_weight: int


# ---------------------------------------------------------------------------- public API


def group_count(people: int, *, groups: int | None = None, size: int | None = None) -> int:
    """Groups for `people`, asked for as a number of groups or a minimum group size."""
    if (groups is None) == (size is None):
        raise ValueError("give exactly one of groups or size")
    if people < 2:
        raise InvalidBreakout("breakout.too_few_people", people=people)
    if groups is not None:
        if groups < 1:
            raise InvalidBreakout("breakout.groups_too_few", groups=groups)
        if groups > people:
            raise InvalidBreakout("breakout.more_groups_than_people", groups=groups, people=people)
        return groups
    assert size is not None
    if size < 2:
        raise InvalidBreakout("breakout.size_too_small", size=size)
    if size > people:
        raise InvalidBreakout("breakout.size_too_large", size=size, people=people)
    return people // size


def plan_breakout(
    members: Sequence[Member], *, groups: int, constraints: Constraints = Constraints(),
    history: History = History(), topics: Sequence[str] = (), seed: int = 0,
    effort: int = DEFAULT_EFFORT,
) -> BreakoutPlan:
    """Split `members` into `groups` groups of near-equal size with as few repeats as found.

    Deterministic for the same inputs and `seed`; `effort` bounds the local search (in swaps
    evaluated). Raises InvalidBreakout when the request or its constraints cannot be met.
    """
    if effort < 0:
        raise ValueError("effort must not be negative")
    people = _unique_members(members)
    group_count(len(people), groups=groups)
    problem = _problem(people, groups, constraints, history)
    rng = random.Random(seed)
    layout = _Layout(problem)
    _construct(layout, rng)
    _improve(layout, rng, effort)
    placed = layout.member_groups()
    _check_apart(problem, placed)
    return _plan(people, placed, history, topics, rng)


def pairs_of(groups: Iterable[Iterable[str]]) -> Counter[frozenset[str]]:
    """How often each pair of ids shares a group in `groups`."""
    found: Counter[frozenset[str]] = Counter()
    for group in groups:
        for a, b in combinations(sorted(set(group)), 2):
            found[frozenset((a, b))] += 1
    return found


def repeated_pairs(groups: Iterable[Iterable[str]], history: Mapping[frozenset[str], int]) -> int:
    """Pairs sharing a group in `groups` that were together before, each pair counted once."""
    return sum(1 for pair in pairs_of(groups) if history.get(pair, 0) > 0)


def repeat_weight(groups: Iterable[Iterable[str]], history: Mapping[frozenset[str], int]) -> int:
    """The sum of earlier counts over the pairs sharing a group in `groups`."""
    return sum(max(history.get(pair, 0), 0) for pair in pairs_of(groups))


def record_round(history: History, plan: BreakoutPlan) -> History:
    """The history for the next round: this plan's pairs and roles added to `history`."""
    pairs = Counter(history.pairs)
    pairs.update(pairs_of(group.members for group in plan.groups))
    facilitated = Counter(history.facilitated)
    facilitated.update(group.facilitator for group in plan.groups)
    presented = Counter(history.presented)
    presented.update(group.presenter for group in plan.groups)
    return History(pairs=dict(pairs), facilitated=dict(facilitated), presented=dict(presented))


# ---------------------------------------------------------------------------- the problem


@dataclass(frozen=True)
class _Problem:
    """Members by index (sorted by id), grouped into units that move as one block."""

    people: tuple[Member, ...]
    groups: int
    units: tuple[tuple[int, ...], ...]
    links: tuple[dict[int, int], ...]  # unit -> other unit -> weight (repeats, apart penalty)
    clashes: tuple[tuple[int, ...], ...]  # unit -> units it must not share a group with
    apart: tuple[tuple[int, ...], ...]  # member indexes of each apart set
    allowance: int  # the highest weight without an apart penalty (all history together)
    small: int  # members of a small group; `big_groups` groups have one more
    big_groups: int


def _unique_members(members: Sequence[Member]) -> tuple[Member, ...]:
    counts = Counter(member.id for member in members)
    twice = sorted(member_id for member_id, count in counts.items() if count > 1)
    if twice:
        raise InvalidBreakout("breakout.duplicate_people", people=", ".join(twice))
    return tuple(sorted(members, key=lambda member: member.id))


def _names(people: Sequence[Member], indexes: Iterable[int]) -> str:
    chosen = sorted((people[i] for i in set(indexes)), key=lambda m: (m.name, m.id))
    return ", ".join(member.name for member in chosen)


def _problem(people: tuple[Member, ...], groups: int, constraints: Constraints,
             history: History) -> _Problem:
    index = {member.id: i for i, member in enumerate(people)}
    _check_known(index, constraints)
    unit_of, units = _blocks(len(people), [_indexes(s, index) for s in constraints.together])
    apart = tuple(ids for ids in (_indexes(s, index) for s in constraints.apart) if len(ids) > 1)
    _check_contradictions(people, apart, unit_of)
    _check_sizes(people, groups, units, apart)
    links: list[dict[int, int]] = [{} for _ in units]
    allowance = _add_history(links, unit_of, index, history.pairs)
    penalty = 2 * allowance + 1
    clashes: list[set[int]] = [set() for _ in units]
    for ids in apart:
        for a, b in combinations(ids, 2):
            ua, ub = unit_of[a], unit_of[b]
            _link(links, ua, ub, penalty)
            clashes[ua].add(ub)
            clashes[ub].add(ua)
    return _Problem(
        people=people, groups=groups, units=units,
        links=tuple(dict(sorted(weights.items())) for weights in links),
        clashes=tuple(tuple(sorted(c)) for c in clashes), apart=apart, allowance=allowance,
        small=len(people) // groups, big_groups=len(people) % groups,
    )


def _indexes(ids: frozenset[str], index: Mapping[str, int]) -> tuple[int, ...]:
    return tuple(sorted(index[member_id] for member_id in ids))


def _check_known(index: Mapping[str, int], constraints: Constraints) -> None:
    named = {member_id for ids in (*constraints.apart, *constraints.together) for member_id in ids}
    unknown = sorted(named - index.keys())
    if unknown:
        raise InvalidBreakout("breakout.unknown_people", people=", ".join(unknown))


def _blocks(count: int, together: Sequence[tuple[int, ...]],
            ) -> tuple[list[int], tuple[tuple[int, ...], ...]]:
    """Union the together-sets; each unit is a sorted block, units ordered by first member."""
    parent = list(range(count))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for ids in together:
        for other in ids[1:]:
            a, b = root(ids[0]), root(other)
            parent[max(a, b)] = min(a, b)
    blocks: dict[int, list[int]] = {}
    for i in range(count):
        blocks.setdefault(root(i), []).append(i)
    units = tuple(tuple(block) for _, block in sorted(blocks.items()))
    unit_of = [0] * count
    for number, unit in enumerate(units):
        for i in unit:
            unit_of[i] = number
    return unit_of, units


def _check_contradictions(people: tuple[Member, ...], apart: Sequence[tuple[int, ...]],
                          unit_of: Sequence[int]) -> None:
    for ids in apart:
        shared = Counter(unit_of[i] for i in ids)
        clashing = [i for i in ids if shared[unit_of[i]] > 1]
        if clashing:
            raise InvalidBreakout("breakout.contradiction", people=_names(people, clashing))


def _check_sizes(people: tuple[Member, ...], groups: int, units: Sequence[tuple[int, ...]],
                 apart: Sequence[tuple[int, ...]]) -> None:
    largest = -(-len(people) // groups)
    for unit in units:
        if len(unit) > largest:
            raise InvalidBreakout("breakout.block_too_large", people=_names(people, unit),
                                  size=largest)
    for ids in apart:
        if len(ids) > groups:
            raise InvalidBreakout("breakout.apart_impossible", people=_names(people, ids),
                                  groups=groups)


def _link(links: list[dict[int, int]], a: int, b: int, weight: int) -> None:
    links[a][b] = links[a].get(b, 0) + weight
    links[b][a] = links[b].get(a, 0) + weight


def _add_history(links: list[dict[int, int]], unit_of: Sequence[int], index: Mapping[str, int],
                 pairs: Mapping[frozenset[str], int]) -> int:
    """Add earlier pairings between units to `links`; return their total weight."""
    total = 0
    for pair, count in pairs.items():
        known = [index[member_id] for member_id in pair if member_id in index]
        if len(known) != 2 or count <= 0:
            continue
        a, b = unit_of[known[0]], unit_of[known[1]]
        total += count
        if a != b:
            _link(links, a, b, count)
    return total


# ---------------------------------------------------------------------------- the search state


class _Layout:
    """Units placed into groups, with each unit's link weight into every group kept current."""

    def __init__(self, problem: _Problem) -> None:
        self.problem = problem
        count = len(problem.units)
        self.group_of = [-1] * count
        self.size = [len(unit) for unit in problem.units]
        self.units: list[list[int]] = [[] for _ in range(problem.groups)]
        self.load = [0] * problem.groups
        self.full = 0  # groups holding small + 1 members
        self.conn = [[0] * problem.groups for _ in range(count)]
        self.cost = 0

    def room(self) -> int:
        """The most members any group may hold now: one more than small while big ones are left."""
        return self.problem.small + (self.full < self.problem.big_groups)

    def fits(self, group: int, size: int) -> bool:
        return self.load[group] + size <= self.room()

    def place(self, unit: int, group: int) -> None:
        self.cost += self.conn[unit][group]
        self.group_of[unit] = group
        self.units[group].append(unit)
        self._resize(group, self.size[unit])
        conn = self.conn
        for other, weight in self.problem.links[unit].items():
            conn[other][group] += weight

    def remove(self, unit: int) -> None:
        group = self.group_of[unit]
        self.units[group].remove(unit)
        self.group_of[unit] = -1
        self._resize(group, -self.size[unit])
        conn = self.conn
        for other, weight in self.problem.links[unit].items():
            conn[other][group] -= weight
        self.cost -= self.conn[unit][group]

    def _resize(self, group: int, change: int) -> None:
        big = self.problem.small + 1
        self.full -= self.load[group] == big
        self.load[group] += change
        self.full += self.load[group] == big

    def clashes(self, unit: int, group: int) -> bool:
        return self.conn[unit][group] > self.problem.allowance

    def member_groups(self) -> list[list[int]]:
        return [[i for unit in units for i in self.problem.units[unit]] for units in self.units]


# ---------------------------------------------------------------------------- construction


def _construct(layout: _Layout, rng: random.Random) -> None:
    """Place constrained units by a bounded backtracking search, then everyone else greedily."""
    problem = layout.problem
    links = problem.links
    weight = [sum(w for w in links[u].values() if w <= problem.allowance) for u in
              range(len(problem.units))]
    keys = [rng.random() for _ in problem.units]
    constrained = sorted(
        (u for u, unit in enumerate(problem.units) if len(unit) > 1 or problem.clashes[u]),
        key=lambda u: (-layout.size[u], -len(problem.clashes[u]), -weight[u], keys[u]))
    free = sorted((u for u, unit in enumerate(problem.units)
                   if len(unit) == 1 and not problem.clashes[u]),
                  key=lambda u: (-weight[u], keys[u]))
    found = _backtrack(layout, constrained, rng)
    if found is False:
        _unmet(problem, [i for u in constrained for i in problem.units[u]])
    if found is None:
        for unit in constrained:
            _place_greedily(layout, unit, rng, constrained)
    for unit in free:
        _place_greedily(layout, unit, rng, constrained)


def _backtrack(layout: _Layout, order: Sequence[int], rng: random.Random) -> bool | None:
    """Place `order` without clashes, trying cheap groups first; None if it took too long."""
    choices: list[list[int]] = []
    depth = nodes = 0
    while depth < len(order):
        if depth == len(choices):
            choices.append(_candidates(layout, order[depth], rng))
        if not choices[depth]:
            choices.pop()
            depth -= 1
            if depth < 0:
                return False
            layout.remove(order[depth])
            continue
        nodes += 1
        if nodes > len(order) + PACKING_NODES:
            for unit in order[:depth]:
                layout.remove(unit)
            return None
        layout.place(order[depth], choices[depth].pop())
        depth += 1
    return True


def _candidates(layout: _Layout, unit: int, rng: random.Random) -> list[int]:
    """Groups `unit` fits into without a clash, the best last; of several empty ones the first."""
    size, conn = layout.size[unit], layout.conn[unit]
    seen_empty = False
    found: list[tuple[int, int, float, int]] = []
    for group in range(layout.problem.groups):
        if not layout.fits(group, size) or layout.clashes(unit, group):
            continue
        if layout.load[group] == 0:
            if seen_empty:
                continue
            seen_empty = True
        found.append((conn[group], layout.load[group], rng.random(), group))
    found.sort(reverse=True)
    return [group for *_, group in found]


def _place_greedily(layout: _Layout, unit: int, rng: random.Random,
                    involved: Sequence[int]) -> None:
    size, conn = layout.size[unit], layout.conn[unit]
    most = layout.room() - size
    open_groups = [g for g, load in enumerate(layout.load) if load <= most]
    if not open_groups:
        problem = layout.problem
        _unmet(problem, [i for u in involved for i in problem.units[u]])
    lowest = min(conn[g] for g in open_groups)
    cheap = [g for g in open_groups if conn[g] == lowest]
    emptiest = min(layout.load[g] for g in cheap)
    layout.place(unit, rng.choice([g for g in cheap if layout.load[g] == emptiest]))


def _unmet(problem: _Problem, indexes: Sequence[int]) -> NoReturn:
    raise InvalidBreakout("breakout.constraints_unmet", people=_names(problem.people, indexes))


# ---------------------------------------------------------------------------- local search


class _Troubled:
    """Units sharing a group with someone they are linked to; O(1) add, drop and pick."""

    def __init__(self, layout: _Layout) -> None:
        self.items: list[int] = []
        self.where: dict[int, int] = {}
        for unit in range(len(layout.group_of)):
            self.update(layout, unit)

    def update(self, layout: _Layout, unit: int) -> None:
        troubled = layout.conn[unit][layout.group_of[unit]] > 0
        if troubled and unit not in self.where:
            self.where[unit] = len(self.items)
            self.items.append(unit)
        elif not troubled and unit in self.where:
            spot = self.where.pop(unit)
            last = self.items.pop()
            if last != unit:
                self.items[spot] = last
                self.where[last] = spot


def _improve(layout: _Layout, rng: random.Random, effort: int) -> None:
    """Swap units between groups to lower the cost; keep the best layout seen.

    Stops when nobody shares a group with someone they are linked to, after `effort` swaps
    looked at, or when the last half of `effort` found nothing better.
    """
    problem = layout.problem
    if problem.groups < 2:
        return
    troubled = _Troubled(layout)
    best_cost, best = layout.cost, list(layout.group_of)
    lowest, lowest_at = layout.cost, 0
    spent = 0
    while troubled.items and spent < effort and spent - lowest_at <= effort // 2:
        unit = troubled.items[rng.randrange(len(troubled.items))]
        delta, other, target, looked = _best_swap(layout, unit, rng)
        spent += max(looked, 1)
        if target < 0 or (delta > 0 and rng.random() >= NOISE):
            continue
        if delta > 0 and layout.cost < best_cost:
            best_cost, best = layout.cost, list(layout.group_of)
        _swap(layout, troubled, unit, other, target)
        if layout.cost < lowest:
            lowest, lowest_at = layout.cost, spent
    if layout.cost > best_cost:
        _restore(layout, best)


def _best_swap(layout: _Layout, unit: int, rng: random.Random) -> tuple[int, int, int, int]:
    """The best swap of `unit` with a unit (or nobody: -1) of another group.

    Returns (delta, other unit, target group, swaps looked at); target -1 if none is allowed.
    """
    problem = layout.problem
    home = layout.group_of[unit]
    groups = problem.groups
    if groups - 1 <= SCAN_GROUPS:
        targets: Iterable[int] = range(groups)
    else:
        targets = rng.sample(range(groups), SCAN_GROUPS)
    conn, links, load, size = layout.conn, problem.links[unit], layout.load, layout.size
    row, mine, small = conn[unit], size[unit], problem.small
    best = (0, -1, -1)
    best_delta, ties, looked = 0, 0, 0
    for target in targets:
        if target == home:
            continue
        base = row[target] - row[home]
        for other in (*layout.units[target], -1):
            change = mine - (size[other] if other >= 0 else 0)
            if change and not (small <= load[home] - change <= small + 1
                               and small <= load[target] + change <= small + 1):
                continue
            looked += 1
            delta = base
            if other >= 0:
                delta += conn[other][home] - conn[other][target] - 2 * links.get(other, 0)
            if best[2] < 0 or delta < best_delta:
                best, best_delta, ties = (delta, other, target), delta, 1
            elif delta == best_delta:
                ties += 1
                if rng.randrange(ties) == 0:
                    best = (delta, other, target)
    return (*best, looked)


def _swap(layout: _Layout, troubled: _Troubled, unit: int, other: int, target: int) -> None:
    home = layout.group_of[unit]
    moved = [unit] if other < 0 else [unit, other]
    for each in moved:
        layout.remove(each)
    layout.place(unit, target)
    if other >= 0:
        layout.place(other, home)
    links = layout.problem.links
    for each in moved:
        troubled.update(layout, each)
        for neighbour in links[each]:
            troubled.update(layout, neighbour)


def _restore(layout: _Layout, group_of: Sequence[int]) -> None:
    for unit in range(len(group_of)):
        layout.remove(unit)
    for unit, group in enumerate(group_of):
        layout.place(unit, group)


# ---------------------------------------------------------------------------- the plan


def _check_apart(problem: _Problem, placed: Sequence[Sequence[int]]) -> None:
    group_of = {i: g for g, members in enumerate(placed) for i in members}
    broken = [i for ids in problem.apart
              if len({group_of[i] for i in ids}) < len(ids) for i in ids]
    if broken:
        _unmet(problem, broken)


def _plan(people: tuple[Member, ...], placed: Sequence[Sequence[int]], history: History,
          topics: Sequence[str], rng: random.Random) -> BreakoutPlan:
    ordered = sorted(
        (sorted((people[i] for i in members), key=lambda m: (m.name, m.id)) for members in placed),
        key=lambda members: (members[0].name, members[0].id))
    groups = []
    for number, members in enumerate(ordered, start=1):
        facilitator, presenter = _roles(members, history, rng)
        groups.append(Group(
            number=number, members=tuple(m.id for m in members), facilitator=facilitator,
            presenter=presenter, topic=topics[number - 1] if number <= len(topics) else None))
    ids = [group.members for group in groups]
    return BreakoutPlan(groups=tuple(groups), repeated_pairs=repeated_pairs(ids, history.pairs),
                        repeat_weight=repeat_weight(ids, history.pairs))


def _roles(members: Sequence[Member], history: History, rng: random.Random) -> tuple[str, str]:
    """The member with the fewest facilitator turns, and another with the fewest presentations."""
    ids = [member.id for member in members]
    facilitator = min(ids, key=lambda i: (history.facilitated.get(i, 0), rng.random()))
    others = [i for i in ids if i != facilitator] or ids
    presenter = min(others, key=lambda i: (history.presented.get(i, 0), rng.random()))
    return facilitator, presenter
