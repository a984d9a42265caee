"""An observer in the room: knows when each person clicked and reads every card edit in order,
and works out every choice that could have led to what the card showed.

Each `Click` is one person casting or changing a single-choice ballot (the observer sees who,
not what); `exact` is the breakdown the card showed right after it when that breakdown was the
exact tally of that moment (the card says so: no "as of N votes"), else None. A click's choice
is attributed when every assignment of choices consistent with all exact breakdowns agrees on
it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Click:
    person: str
    exact: tuple[int, ...] | None = None


def consistent_choices(clicks: Sequence[Click], options: int,
                       final: tuple[int, ...] | None = None) -> list[tuple[int, ...]]:
    """Every assignment of an option to each click that explains the exact breakdowns (and the
    `final` tally, when given)."""
    found: list[tuple[int, ...]] = []

    def tally(current: dict[str, int]) -> tuple[int, ...]:
        counts = [0] * options
        for option in current.values():
            counts[option] += 1
        return tuple(counts)

    def walk(index: int, current: dict[str, int], chosen: list[int]) -> None:
        if index == len(clicks):
            if final is None or tally(current) == final:
                found.append(tuple(chosen))
            return
        click = clicks[index]
        for option in range(options):
            after = {**current, click.person: option}
            if click.exact is not None and tally(after) != click.exact:
                continue
            chosen.append(option)
            walk(index + 1, after, chosen)
            chosen.pop()

    walk(0, {}, [])
    return found


def attributed(clicks: Sequence[Click], options: int,
               final: tuple[int, ...] | None = None) -> dict[int, int]:
    """The clicks (by index) whose choice the observer knows, with that choice."""
    assignments = consistent_choices(clicks, options, final)
    if not assignments:
        raise ValueError("no choices explain what the card showed")
    return {index: assignments[0][index] for index in range(len(clicks))
            if len({a[index] for a in assignments}) == 1}


def steps(clicks: Sequence[Click]) -> list[list[int]]:
    """The clicks grouped by the exact breakdown that first showed them (the last group: clicks
    no exact breakdown has shown yet)."""
    groups: list[list[int]] = [[]]
    for index, click in enumerate(clicks):
        groups[-1].append(index)
        if click.exact is not None:
            groups.append([])
    return [group for group in groups if group]
