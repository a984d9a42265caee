"""Sliding-window rate limiter for Teams' per-conversation send limits (pure: time passed in)."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

Windows = tuple[tuple[float, int], ...]

# Teams: sends (including edits) per bot per conversation in 1 s, 2 s, 30 s and 1 h.
DEFAULT_WINDOWS: Windows = ((1.0, 7), (2.0, 8), (30.0, 60), (3600.0, 1800))


class SlidingWindows:
    """Allows an operation only if no window of `seconds` would then hold more than `max ops`.

    An op at `t` counts in the window ending at `now` while `t + seconds > now`. Callers pass a
    monotonic `now` that never goes backwards.
    """

    def __init__(self, windows: Sequence[tuple[float, int]] = DEFAULT_WINDOWS) -> None:
        if not windows:
            raise ValueError("at least one window is needed")
        for seconds, limit in windows:
            if seconds <= 0 or limit < 1:
                raise ValueError("windows need positive seconds and a limit of at least 1")
        self._windows: Windows = tuple((float(s), int(n)) for s, n in windows)
        self._horizon = max(seconds for seconds, _ in self._windows)
        self._longest = max(limit for _, limit in self._windows)
        self._times: deque[float] = deque()

    def delay(self, now: float) -> float:
        """Seconds to wait before the next op is allowed; 0.0 if it is allowed at `now`."""
        wait = 0.0
        count = len(self._times)
        for seconds, limit in self._windows:
            if count >= limit:
                # The limit-th most recent op has to leave this window first.
                wait = max(wait, self._times[count - limit] + seconds - now)
        return wait

    def record(self, now: float) -> None:
        """Count one op at `now`."""
        self._times.append(now)
        # Ops older than the longest window, beyond the largest limit, can never matter again.
        while self._times and (
            self._times[0] + self._horizon <= now or len(self._times) > self._longest
        ):
            self._times.popleft()
