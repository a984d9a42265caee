"""Waiting until one unit of work is blocked by another's open transaction, for the storage
contract's tests of overlapping writes."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sqlalchemy import text

from storage.repositories import Storage, UnitOfWork

# Only a waiter that never blocks reaches this; on a busy machine, starting the waiter's
# connection alone can take seconds.
DEADLINE_SECONDS = 30.0
SQLITE_PAUSE_SECONDS = 0.3


async def wait_until_blocked(storage: Storage, holder: UnitOfWork, waiter: asyncio.Task[Any]
                             ) -> None:
    """Until `waiter` waits for a lock that `holder`'s open transaction holds (PostgreSQL), or a
    pause (SQLite: the waiter cannot even begin while the holder has the one write lock and the
    one connection). Fails if the waiter ends first, because then it did not wait."""
    if storage.engine.dialect.name != "postgresql":
        await asyncio.sleep(SQLITE_PAUSE_SECONDS)
        assert not waiter.done(), "the waiter did not wait for the open transaction"
        return
    holder_pid = (await holder.session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    blocked = text("SELECT count(*) FROM pg_stat_activity "
                   "WHERE CAST(:holder AS integer) = ANY(pg_blocking_pids(pid))")
    deadline = time.monotonic() + DEADLINE_SECONDS
    async with storage.engine.connect() as connection:
        while time.monotonic() < deadline and not waiter.done():
            waiting = (await connection.execute(blocked, {"holder": holder_pid})).scalar_one()
            # PostgreSQL takes one snapshot of pg_stat_activity per transaction: without this
            # commit, every later look would see the first one's backends, frozen.
            await connection.commit()
            if waiting:
                return
            await asyncio.sleep(0.025)
    if waiter.done():
        waiter.result()  # raises the waiter's own error, if it failed
        raise AssertionError("the waiter finished without waiting for the open transaction")
    raise AssertionError(f"the waiter did not wait for the open transaction within "
                         f"{DEADLINE_SECONDS:.0f} s")
