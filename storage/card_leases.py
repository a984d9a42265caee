"""Who may edit a shared card now: one bot process at a time, at most once per edit interval.

Several bot processes on one PostgreSQL database each queue edits of the same card (a poll's
votes arrive at all of them). A lease row per card decides: a process takes the lease, renders
the card from the database, sends the edit, and gives the lease back, noting when the edit was
answered, a digest of what the card now shows and when that edit was asked for. Another
process's attempt in the meantime is told how long to wait; by then it renders the current
state itself, and skips the edit if the card already shows it, or if the card shows an edit
asked for later (cards rendered when they were asked for, like breakout cards, must not go
back to an older state). A crashed holder's lease expires after `ttl` seconds.

Times are the database's clock (`clock_timestamp()`), so processes on different hosts agree.
On SQLite (one process) `LocalCardLeases` does nothing: the outbox's own per-card spacing and
memory of what it sent are all there is to coordinate.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

logger = logging.getLogger(__name__)

DEFAULT_TTL = 5.0


@dataclass(frozen=True)
class Lease:
    """The right to edit one card until it is given back (or its time-to-live runs out).

    `shown` is the digest of what the card shows according to the lease row, or None if not
    known, and `requested` when the edit that put it there was asked for (time.time() of the
    asking process); `shared` says whether other processes take part (else neither is tracked).
    """

    card: str
    holder: str
    shown: str | None = None
    shared: bool = False
    taken_at: float = 0.0  # time.monotonic(), for the log
    requested: float | None = None


@dataclass(frozen=True)
class Wait:
    """Not now: another process holds the card or edited it less than an interval ago."""

    seconds: float


class CardLeases(Protocol):
    """What the outbox needs to coordinate card edits with other processes."""

    shared: bool

    async def take(self, card: str, interval: float) -> Lease | Wait:
        """The lease of `card`, if nobody holds it and its last edit is `interval` s ago."""
        ...

    def keep(self, lease: Lease) -> contextlib.AbstractAsyncContextManager[None]:
        """Renew the lease while the block runs (an edit with retries may outlast the ttl)."""
        ...

    async def give_back(self, lease: Lease, *, edited: bool, shown: str | None,
                        requested: float | None = None) -> None:
        """Release; `edited`: a request was sent (the interval starts now); `shown`: digest of
        what the card now shows, if the edit succeeded, and `requested`: when it was asked for."""
        ...


class LocalCardLeases:
    """One process (SQLite): every lease is granted at once and nothing is stored."""

    shared = False

    def __init__(self) -> None:
        self.holder = "local"

    async def take(self, card: str, interval: float) -> Lease | Wait:
        return Lease(card, self.holder)

    @contextlib.asynccontextmanager
    async def keep(self, lease: Lease) -> AsyncIterator[None]:
        yield

    async def give_back(self, lease: Lease, *, edited: bool, shown: str | None,
                        requested: float | None = None) -> None:
        return None


_TAKE = text("""
INSERT INTO card_lease AS lease (card_key, holder, expires_at, edited_at, shown)
VALUES (:card, :holder, clock_timestamp() + make_interval(secs => :ttl), NULL, NULL)
ON CONFLICT (card_key) DO UPDATE
   SET holder = :holder, expires_at = clock_timestamp() + make_interval(secs => :ttl)
 WHERE (lease.holder IS NULL OR lease.holder = :holder
        OR lease.expires_at <= clock_timestamp())
   AND (lease.edited_at IS NULL
        OR lease.edited_at + make_interval(secs => :interval) <= clock_timestamp())
RETURNING lease.shown, lease.requested
""")

# Held by another process: ask again after an interval (its release starts a new interval) or
# when its lease expires, whichever is first. Free: when the interval since the last edit ends.
_WAIT = text("""
SELECT CASE
         WHEN holder IS NOT NULL AND holder <> :holder AND expires_at > clock_timestamp()
           THEN LEAST(:interval, EXTRACT(EPOCH FROM expires_at - clock_timestamp()))
         ELSE COALESCE(EXTRACT(EPOCH FROM edited_at + make_interval(secs => :interval)
                                          - clock_timestamp()), 0)
       END
  FROM card_lease WHERE card_key = :card
""")

_RENEW = text("""
UPDATE card_lease SET expires_at = clock_timestamp() + make_interval(secs => :ttl)
 WHERE card_key = :card AND holder = :holder
""")

_GIVE_BACK = text("""
UPDATE card_lease
   SET holder = NULL, expires_at = clock_timestamp(),
       edited_at = CASE WHEN :edited THEN clock_timestamp() ELSE edited_at END,
       shown = CASE WHEN :edited AND CAST(:shown AS varchar) IS NOT NULL THEN :shown
                    ELSE shown END,
       requested = CASE WHEN :edited AND CAST(:shown AS varchar) IS NOT NULL
                        THEN CAST(:requested AS double precision) ELSE requested END
 WHERE card_key = :card AND holder = :holder
""")

_EXPIRE = text("""
DELETE FROM card_lease
 WHERE expires_at < :before AND (edited_at IS NULL OR edited_at < :before)
""")


class SharedCardLeases:
    """Leases in the `card_lease` table of a PostgreSQL database shared by several processes."""

    shared = True

    def __init__(self, engine: AsyncEngine, *, ttl: float = DEFAULT_TTL,
                 holder: str | None = None) -> None:
        self._engine = engine
        self.ttl = ttl
        self.holder = holder or uuid.uuid4().hex

    async def take(self, card: str, interval: float) -> Lease | Wait:
        params = {"card": card, "holder": self.holder, "ttl": self.ttl,
                  "interval": float(interval)}
        async with self._engine.begin() as connection:
            row = (await connection.execute(_TAKE, params)).first()
            if row is not None:
                return Lease(card, self.holder, row[0], True, time.monotonic(), row[1])
            wait = (await connection.execute(_WAIT, params)).scalar()
        return Wait(max(0.01, float(wait or 0.0)))

    @contextlib.asynccontextmanager
    async def keep(self, lease: Lease) -> AsyncIterator[None]:
        renewer = asyncio.create_task(self._renew_until_cancelled(lease), name="card-lease")
        try:
            yield
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer

    async def _renew_until_cancelled(self, lease: Lease) -> None:
        while True:
            await asyncio.sleep(self.ttl / 3)
            try:
                async with self._engine.begin() as connection:
                    renewed = (await connection.execute(
                        _RENEW, {"card": lease.card, "holder": lease.holder, "ttl": self.ttl}
                    )).rowcount
            except Exception:
                logger.warning("card lease %s could not be renewed", lease.card[:12],
                               exc_info=True)
                continue
            if not renewed:
                logger.warning("card lease %s was lost while editing", lease.card[:12])
                return

    async def give_back(self, lease: Lease, *, edited: bool, shown: str | None,
                        requested: float | None = None) -> None:
        done_at = time.monotonic()
        async with self._engine.begin() as connection:
            await connection.execute(_GIVE_BACK, {"card": lease.card, "holder": lease.holder,
                                                  "edited": edited, "shown": shown,
                                                  "requested": requested})
        # From "taken" to "about to give back": all work under the lease lies in between.
        # Monotonic time is one clock for all processes of a host: the scale-out test reads
        # these lines to check that no two processes ever worked on one card at once.
        logger.debug("card lease %s held by %s from %.6f to %.6f", lease.card, lease.holder,
                     lease.taken_at, done_at)


async def expire_card_leases(engine: AsyncEngine, before: datetime) -> int:
    """Delete lease rows of cards neither held nor edited since `before`; returns how many."""
    if engine.dialect.name != "postgresql":
        return 0
    async with engine.begin() as connection:
        return (await connection.execute(_EXPIRE, {"before": before})).rowcount


def card_leases_for(engine: AsyncEngine) -> CardLeases:
    """Shared leases on PostgreSQL (several processes may share it), none on SQLite."""
    if engine.dialect.name == "postgresql":
        return SharedCardLeases(engine)
    return LocalCardLeases()
