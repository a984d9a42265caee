"""A Bot Connector that notes how long each card edit was being handled."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from itertools import pairwise

from aiohttp import web

from devtools.local_connector import LocalConnector


@dataclass
class TimedConnector(LocalConnector):
    """The local connector, holding each edit for `edit_delay` seconds and keeping its span
    (message id, arrival, answer), so that two edits of one card in flight at once show."""

    edit_delay: float = 0.05
    spans: list[tuple[str, float, float]] = field(default_factory=list)

    async def _edit(self, request: web.Request) -> web.Response:
        arrived = time.monotonic()
        await asyncio.sleep(self.edit_delay)
        response = await super()._edit(request)
        self.spans.append((request.match_info["aid"], arrived, time.monotonic()))
        return response

    def spans_of(self, activity_id: str) -> list[tuple[float, float]]:
        return sorted((start, end) for aid, start, end in self.spans if aid == activity_id)


def overlaps(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Pairs of consecutive spans (by start) where the later began before the earlier ended."""
    ordered = sorted(spans)
    return [(a[1], b[0]) for a, b in pairwise(ordered) if b[0] < a[1]]


def pauses(spans: list[tuple[float, float]]) -> list[float]:
    """Time from the end of one span to the start of the next."""
    ordered = sorted(spans)
    return [b[0] - a[1] for a, b in pairwise(ordered)]
