"""Work that only one of several bot processes on one database may do at a time: timer jobs
and the daily purge (creating the schema: storage.database.create_schema)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlmodel import col

from storage.database import LOCK_NAMESPACE, lock_key
from storage.sql import dialect_of, insert_for
from storage.tables import TimerRunRow


async def only_one_process(session: AsyncSession, job: str) -> bool:
    """Call first in a unit of work: whether this process may run `job` now.

    On PostgreSQL a transaction-level advisory lock: held until the unit of work commits or
    rolls back (or its process dies), and another process asking meanwhile gets False and skips
    this round. Whoever gets it later reads after the holder committed, so a poll closed or a
    reminder marked as sent by one process is seen as done by the next. On SQLite there is one
    process, and BEGIN IMMEDIATE serialises writers anyway: always True.
    """
    if dialect_of(session) != "postgresql":
        return True
    taken = await session.execute(text("SELECT pg_try_advisory_xact_lock(:space, :job)"),
                                  {"space": LOCK_NAMESPACE, "job": lock_key(job)})
    return bool(taken.scalar())


async def claim_run(engine: AsyncEngine, job: str, *, now: datetime,
                    every: timedelta) -> bool:
    """Whether this process runs `job` now: True for exactly one caller once `every` has passed
    since the job's last claimed run (one atomic statement; the winner's update is the claim).
    """
    insert = insert_for(engine, TimerRunRow).values(job=job, last_run_at=now)
    statement = insert.on_conflict_do_update(
        index_elements=["job"], set_={"last_run_at": now},
        where=col(TimerRunRow.last_run_at) <= now - every,
    ).returning(col(TimerRunRow.job))
    async with engine.begin() as connection:
        return (await connection.execute(statement)).first() is not None
