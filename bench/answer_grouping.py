"""Grouping a town hall's open answers, and what it does to the event loop:
`python -m bench.answer_grouping`.

Groups 10,000 generated answers once on the event loop (the baseline: how the bot grouped them
before) and once in a worker thread (what storage does from GROUP_IN_A_THREAD_FROM answers on),
while a 1 ms ticker on the loop records the longest gap between its ticks: how long every other
vote would wait."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable

from facilitation.polls import tally_answers
from storage.repositories import GROUP_IN_A_THREAD_FROM

WORDS = ("more breaks shorter meetings home office fridays better coffee less email clear goals "
         "agenda focus time mehr pausen kürzere besprechungen").split()


def answers(count: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4)))
            + rng.choice(("", "!", ".")) for _ in range(count)]


async def longest_gap(work: Callable[[], Awaitable[object]]) -> tuple[float, float]:
    """(seconds the work took, longest gap in seconds between the ticker's ticks)."""
    gaps: list[float] = []

    async def ticker() -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.05)
    started = time.perf_counter()
    await work()
    took = time.perf_counter() - started
    await asyncio.sleep(0.01)
    task.cancel()
    return took, max(gaps)


async def main() -> None:
    texts = answers(10_000)

    async def on_the_loop() -> object:
        return tally_answers(texts)

    async def in_a_thread() -> object:
        return await asyncio.to_thread(tally_answers, texts)

    print(f"10,000 open answers (threads from {GROUP_IN_A_THREAD_FROM} answers on)")
    for name, work in (("on the event loop (baseline)", on_the_loop),
                       ("in a worker thread", in_a_thread)):
        took, gap = await longest_gap(work)
        print(f"  {name:<30} grouped in {took:.3f} s, longest event-loop gap {gap * 1000:.0f} ms")


if __name__ == "__main__":
    asyncio.run(main())
