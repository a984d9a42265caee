"""Questions per person per minute, counted in the database so that several bot processes
share one asking limit (PostgreSQL; on SQLite the bot counts in memory, see
bot/qna/asking_limits.py).

A row holds a count under a tag = HMAC(asking key, minute): rows of different minutes cannot be
joined with each other or with the asking key without the bot's secret, and nothing finer than
the minute is stored. Rows older than the limit's window are deleted.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from storage.database import LOCK_NAMESPACE, lock_key
from storage.tables import AskingCountRow

BUCKET = timedelta(minutes=1)


def bucket_of(now: datetime) -> int:
    """Minutes since 1970 (UTC)."""
    return math.floor(now.timestamp() / BUCKET.total_seconds())


def _first_bucket(now: datetime, window: timedelta) -> int:
    # The current minute and the `window` minutes before it: at least `window` back from now,
    # so no window of that length ever holds more than the limit (someone at the limit may wait
    # up to a minute longer than the window).
    return bucket_of(now) - math.ceil(window / BUCKET)


def tag(key: str, bucket: int) -> str:
    return hmac.new(key.encode(), f"minute:{bucket}".encode(), hashlib.sha256).hexdigest()


async def admit(engine: AsyncEngine, key: str, now: datetime, *, limit: int,
                window: timedelta) -> bool:
    """Count a question under `key` unless `limit` were counted within `window` before `now`;
    returns whether it was counted (PostgreSQL). Concurrent calls for one key are serialised."""
    current, first = bucket_of(now), _first_bucket(now, window)
    tags = [tag(key, bucket) for bucket in range(first, current + 1)]
    async with engine.begin() as connection:
        # PostgreSQL only (SQLite keeps the limit in memory): one check per person at a time.
        await connection.execute(text("SELECT pg_advisory_xact_lock(:space, :key)"),
                                 {"space": LOCK_NAMESPACE, "key": lock_key(f"ask:{key}")})
        counted = (await connection.execute(
            select(func.coalesce(func.sum(col(AskingCountRow.count)), 0))
            .where(col(AskingCountRow.tag).in_(tags)))).scalar_one()
        if counted >= limit:
            return False
        await connection.execute(
            postgresql.insert(AskingCountRow).values(tag=tags[-1], bucket=current, count=1)
            .on_conflict_do_update(index_elements=["tag"],
                                   set_={"count": col(AskingCountRow.count) + 1}))
        # Older rows are deleted by `expire`, which the scheduler runs every minute.
    return True


async def expire(engine: AsyncEngine, now: datetime, window: timedelta) -> int:
    """Delete counts older than the window (also when nobody asks); returns how many."""
    async with engine.begin() as connection:
        result = await connection.execute(
            delete(AskingCountRow).where(col(AskingCountRow.bucket) < _first_bucket(now, window)))
    return result.rowcount
