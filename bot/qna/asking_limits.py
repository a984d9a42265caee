"""How many questions each person asked lately: in memory with one process (SQLite), in the
database when several processes share PostgreSQL."""

from __future__ import annotations

from collections import defaultdict, deque
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from facilitation.qna import QUESTIONS_PER_WINDOW, RATE_WINDOW, within_rate_limit
from storage import asking_counts


class AskingLimit(Protocol):
    """Whether a person may ask another question now (at most `QUESTIONS_PER_WINDOW` in
    `RATE_WINDOW`), counting it if so."""

    async def admit(self, key: str, now: datetime) -> bool: ...

    async def expire(self, now: datetime) -> None: ...


class AskingLimits:
    """Per board-scoped asking key: the times of recent questions, in memory only (never
    stored). A restart forgets them, which only ever lets someone ask a little more."""

    def __init__(self, limit: int = QUESTIONS_PER_WINDOW) -> None:
        self.limit = limit
        self._recent: defaultdict[str, deque[datetime]] = defaultdict(deque)

    async def admit(self, key: str, now: datetime) -> bool:
        recent = self._recent[key]
        while recent and now - recent[0] >= RATE_WINDOW:
            recent.popleft()
        if not within_rate_limit(recent, now, limit=self.limit):
            return False
        recent.append(now)
        return True

    async def expire(self, now: datetime) -> None:
        """Forget people whose questions are all older than the window."""
        for key in [k for k, recent in self._recent.items()
                    if not recent or now - recent[-1] >= RATE_WINDOW]:
            del self._recent[key]


class SharedAskingLimits:
    """The limit held across all processes on one PostgreSQL database: counts per asking key
    per minute in the `asking_count` table (storage/asking_counts.py), expired after the
    window by the scheduler."""

    def __init__(self, engine: AsyncEngine, limit: int = QUESTIONS_PER_WINDOW) -> None:
        self.limit = limit
        self._engine = engine

    async def admit(self, key: str, now: datetime) -> bool:
        return await asking_counts.admit(self._engine, key, now, limit=self.limit,
                                         window=RATE_WINDOW)

    async def expire(self, now: datetime) -> None:
        await asking_counts.expire(self._engine, now, RATE_WINDOW)


def asking_limits_for(engine: AsyncEngine) -> AskingLimit:
    """Shared counts on PostgreSQL (several processes may serve the bot), memory on SQLite
    (one process; nothing about asking is stored)."""
    if engine.dialect.name == "postgresql":
        return SharedAskingLimits(engine)
    return AskingLimits()
