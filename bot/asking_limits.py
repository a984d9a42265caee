"""How many questions each person asked lately, kept in memory only (never stored)."""

from __future__ import annotations

from collections import defaultdict, deque
from datetime import datetime

from facilitation.qna import QUESTIONS_PER_WINDOW, RATE_WINDOW, within_rate_limit


class AskingLimits:
    """Per board-scoped asking key: the times of recent questions. A restart forgets them,
    which only ever lets someone ask a little more."""

    def __init__(self, limit: int = QUESTIONS_PER_WINDOW) -> None:
        self.limit = limit
        self._recent: defaultdict[str, deque[datetime]] = defaultdict(deque)

    def allow(self, key: str, now: datetime) -> bool:
        """Whether this person may ask now; if so, the question is counted."""
        recent = self._recent[key]
        while recent and now - recent[0] >= RATE_WINDOW:
            recent.popleft()
        if not within_rate_limit(recent, now, limit=self.limit):
            return False
        recent.append(now)
        return True
