"""Work that only one of several bot processes on one database may do at a time: timer jobs,
the daily purge, creating the schema."""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from storage.database import create_schema
from storage.tables import TimerRunRow

# The first key of every advisory lock Resonanz takes ("RZ"), so they cannot clash with other
# applications' locks on a shared server; the second key names the job.
LOCK_NAMESPACE = 0x525A
_SCHEMA_JOB = "create schema"


def lock_key(name: str) -> int:
    """A stable signed 32-bit number for a job name (PostgreSQL's advisory lock key)."""
    value = zlib.crc32(name.encode())
    return value - (1 << 32) if value >= 1 << 31 else value


def _is_postgres(bind: AsyncEngine | AsyncSession) -> bool:
    engine = bind.bind if isinstance(bind, AsyncSession) else bind
    return engine is not None and engine.dialect.name == "postgresql"


async def only_one_process(session: AsyncSession, job: str) -> bool:
    """Call first in a unit of work: whether this process may run `job` now.

    On PostgreSQL a transaction-level advisory lock: held until the unit of work commits or
    rolls back (or its process dies), and another process asking meanwhile gets False and skips
    this round. Whoever gets it later reads after the holder committed, so a poll closed or a
    reminder marked as sent by one process is seen as done by the next. On SQLite there is one
    process, and BEGIN IMMEDIATE serialises writers anyway: always True.
    """
    if not _is_postgres(session):
        return True
    taken = await session.execute(text("SELECT pg_try_advisory_xact_lock(:space, :job)"),
                                  {"space": LOCK_NAMESPACE, "job": lock_key(job)})
    return bool(taken.scalar())


async def claim_run(engine: AsyncEngine, job: str, *, now: datetime,
                    every: timedelta) -> bool:
    """Whether this process runs `job` now: True for exactly one caller once `every` has passed
    since the job's last claimed run (one atomic statement; the winner's update is the claim).
    """
    insert = (postgresql.insert if _is_postgres(engine) else sqlite.insert)(TimerRunRow)
    statement = insert.values(job=job, last_run_at=now).on_conflict_do_update(
        index_elements=["job"], set_={"last_run_at": now},
        where=TimerRunRow.last_run_at <= now - every,
    ).returning(TimerRunRow.job)
    async with engine.begin() as connection:
        return (await connection.execute(statement)).first() is not None


async def create_schema_exclusively(engine: AsyncEngine) -> None:
    """Create missing tables; on PostgreSQL under a lock, since processes starting at the same
    time would otherwise both try to create the same table and one would fail."""
    if not _is_postgres(engine):
        await create_schema(engine)
        return
    key = {"space": LOCK_NAMESPACE, "job": lock_key(_SCHEMA_JOB)}
    async with engine.connect() as connection:
        await connection.execute(text("SELECT pg_advisory_lock(:space, :job)"), key)
        try:
            await create_schema(engine)
        finally:
            await connection.execute(text("SELECT pg_advisory_unlock(:space, :job)"), key)
