"""Refused tokens in the log: each reason once when it first comes, then one counting line per
interval however many come (bot.core.rejections.RejectionLog)."""

from __future__ import annotations

import asyncio
import logging

from bot.core.rejections import RejectionLog


def test_a_flood_of_refusals_writes_a_line_per_interval_not_per_request(caplog):
    now = [0.0]
    log = RejectionLog(interval=60.0, clock=lambda: now[0])
    with caplog.at_level(logging.INFO, logger="bot.core.rejections"):
        log("signature does not match")
        log("expired")
        for _ in range(10_000):
            log("signature does not match")
            now[0] += 0.001  # 10 s of a flood
        now[0] = 75.0
        log("expired")
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "rejected a request: signature does not match",
        "rejected a request: expired",
        "rejected 1 more requests since the last such line: signature does not match ×1",
        "rejected 10000 more requests since the last such line: "
        "signature does not match ×9999, expired ×1",
    ]


def test_reasons_are_remembered_only_up_to_a_bound(caplog):
    log = RejectionLog(interval=3600.0, clock=lambda: 0.0)
    with caplog.at_level(logging.INFO, logger="bot.core.rejections"):
        for n in range(1000):
            log(f"reason {n}")
    firsts = [r for r in caplog.records if r.getMessage().startswith("rejected a request")]
    assert len(firsts) == RejectionLog.KNOWN_REASONS
    assert len(caplog.records) == RejectionLog.KNOWN_REASONS + 1


async def test_what_a_flood_left_counted_is_written_when_its_interval_ends(caplog):
    log = RejectionLog(interval=0.2)
    with caplog.at_level(logging.INFO, logger="bot.core.rejections"):
        log("expired")
        log("expired")  # the first counting line, at once
        for _ in range(5):
            log("expired")  # counted; no refusal comes after them
        await asyncio.sleep(0.4)
    assert [r.getMessage() for r in caplog.records] == [
        "rejected a request: expired",
        "rejected 1 more requests since the last such line: expired ×1",
        "rejected 5 more requests since the last such line: expired ×5",
    ]
