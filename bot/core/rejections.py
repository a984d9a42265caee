"""Refused requests in the log: each reason once, then counted (one line per interval)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import Counter
from collections.abc import Callable

logger = logging.getLogger(__name__)


class RejectionLog:
    """`rejected a request: <reason>` the first time a reason comes, then at most one line per
    `interval` seconds counting what came since: a flood of forged tokens must not write a log
    line (and spend the time) per request. What is counted is written when its interval ends
    (on the running event loop), not only when the next refusal comes."""

    KNOWN_REASONS = 64  # reasons are the validator's own words; bounded anyway

    def __init__(self, interval: float = 60.0, clock: Callable[[], float] = time.monotonic,
                 *, what: str = "request") -> None:
        self._interval, self._clock, self._what = interval, clock, what
        self._seen: set[str] = set()
        self._since: Counter[str] = Counter()
        self._due = -math.inf
        self._flush: asyncio.TimerHandle | None = None

    def __call__(self, reason: str) -> None:
        if reason not in self._seen and len(self._seen) < self.KNOWN_REASONS:
            self._seen.add(reason)
            logger.info("rejected a %s: %s", self._what, reason)
            return
        self._since[reason] += 1
        if self._clock() >= self._due:
            self.flush()
        elif self._flush is None:
            with contextlib.suppress(RuntimeError):  # no running loop: the next call writes
                self._flush = asyncio.get_running_loop().call_later(
                    self._due - self._clock(), self.flush)

    def flush(self) -> None:
        """Write the counting line now if anything was counted, and start a new interval."""
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None
        if not self._since:
            return
        self._due = self._clock() + self._interval
        logger.info("rejected %d more %ss since the last such line: %s",
                    self._since.total(), self._what, ", ".join(
                        f"{why} ×{count}" for why, count in self._since.most_common(5)))
        self._since.clear()
