"""Async engines for SQLite (default) and PostgreSQL, and schema creation.

SQLite takes its write lock when a transaction begins (BEGIN IMMEDIATE). When another process
holds it (the `resonanz` CLI exporting or purging, a backup, an operator's sqlite3 shell), SQLite
waits in its busy handler for the busy timeout (`SQLITE_BUSY_TIMEOUT`, or `?timeout=<seconds>` in
the URL, as Python's sqlite3 reads it), and BEGIN is then tried again after a jittered pause, up
to `BEGIN_ATTEMPTS` times in all (about 10 s with the defaults, within the 15 s Teams waits for an
answer). Each retry is logged, so lock trouble shows up in the log. If the lock is still held,
`DatabaseBusy` ends the unit of work before anything was written; it is a DomainError, so people
are told in their language that nothing was saved and to try again in a moment.

PostgreSQL needs none of this (row locks, no database-wide writer lock); connections the server
dropped (restart, failover, pg_terminate_backend) are noticed before use (`pool_pre_ping`).

`read_only_unit_of_work` is for pages anyone with a link may ask for (the report page): it never
takes the write lock, so a flood of them cannot hold back votes. On SQLite it reads on connections
of its own (WAL lets them read while a vote writes), opened with `query_only` and begun DEFERRED;
on PostgreSQL its transaction is READ ONLY. A write in it fails instead of committing.

What the files of an SQLite database give away to someone who copies them:
- they are private to the bot's user (mode 0600: the database, and so its -wal and -shm files,
  which SQLite creates with the database's own mode; files of an older start are made private);
- `checkpoint()` copies the write-ahead log into the database and empties it (run periodically
  by the housekeeping timers and at shutdown), so the log does not keep every commit of a
  meeting in order;
- `secure_delete` overwrites what is deleted (purged texts do not linger in free pages).
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import stat
import weakref
import zlib
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool
from sqlalchemy.util import await_only

from facilitation.errors import DomainError
from storage import migrations
from storage.repositories import Storage, UnitOfWork

logger = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT = 3.0  # seconds SQLite's busy handler waits for the lock, per BEGIN
BEGIN_ATTEMPTS = 3
BEGIN_BACKOFF = 0.25  # seconds; the pause before retry n is uniform in [0, BEGIN_BACKOFF * 2**n]
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6  # result codes (the low byte of extended codes)


class DatabaseBusy(DomainError):
    """Another process held the database's write lock for longer than we wait (about
    `BEGIN_ATTEMPTS` busy timeouts). Nothing was written; users are asked to try again."""

    code = "storage.busy"


def async_url(url: str) -> str:
    """Map plain `sqlite:///` and `postgresql://` URLs to their async drivers."""
    parsed = make_url(url)
    driver = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg",
              "postgres": "postgresql+asyncpg"}.get(parsed.drivername)
    return parsed.set(drivername=driver).render_as_string(hide_password=False) if driver else url


def create_engine(url: str) -> AsyncEngine:
    """An async engine; SQLite gets WAL, foreign keys, a busy timeout, immediate write locks and
    BEGIN retried while another process holds the lock (see the module docstring)."""
    url = async_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        _private_files(parsed.database)
        busy_timeout = _busy_timeout(parsed.query.get("timeout"))
        # One connection: SQLite takes one writer at a time anyway, and connections competing
        # for its lock wait in SQLite's busy handler, which sleeps in steps of up to 100 ms.
        # Queueing for the one connection in the pool instead costs nothing.
        engine = create_async_engine(url, pool_size=1, max_overflow=0, pool_timeout=60,
                                     connect_args={"timeout": busy_timeout},
                                     hide_parameters=True)
        _tune_sqlite(engine, busy_timeout)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True,
                               hide_parameters=True)


PRIVATE = 0o600
_SQLITE_FILE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def _private_files(database: str | None) -> None:
    """Create the database file private to this user (SQLite gives its -wal and -shm files the
    database's mode), and make the files of an earlier start private too."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return  # in memory, or a URI SQLite opens itself (the caller chose its files)
    path = os.path.abspath(database)
    if not os.path.exists(path) and os.path.isdir(os.path.dirname(path)):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE))  # an empty file is a database
    for suffix in _SQLITE_FILE_SUFFIXES:
        candidate = path + suffix
        try:
            mode = stat.S_IMODE(os.stat(candidate).st_mode)
            if mode & 0o077:
                os.chmod(candidate, PRIVATE)
                logger.warning("database: %s was readable by others (mode %o); made it "
                               "private (mode 600)", candidate, mode)
        except FileNotFoundError:
            continue
        except OSError as error:  # e.g. a file owned by another user
            logger.warning("database: could not make %s private: %s", candidate, error)


async def checkpoint(engine: AsyncEngine) -> bool:
    """Copy SQLite's write-ahead log into the database and truncate it (`wal_checkpoint
    (TRUNCATE)`), so old frames do not linger in the -wal file; nothing to do on PostgreSQL.
    Returns False when a reader in another process kept part of the log (tried again next
    time)."""
    if engine.dialect.name != "sqlite":
        return True
    async with engine.connect() as connection:
        return bool(await connection.run_sync(_checkpoint))


def _checkpoint(connection: Any) -> bool:
    # On the driver's connection, outside any transaction (a checkpoint cannot run inside one);
    # SQLAlchemy's own execute would begin one first (BEGIN IMMEDIATE, see _tune_sqlite).
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        busy, _frames, _moved = cursor.fetchone()
    finally:
        cursor.close()
    return not busy


def _busy_timeout(value: Any) -> float:
    if isinstance(value, tuple):  # a parameter given twice: the last one counts
        value = value[-1] if value else None
    try:
        seconds = float(value) if value is not None else SQLITE_BUSY_TIMEOUT
    except ValueError:
        raise ValueError(f"the database URL's timeout must be seconds, not {value!r}") from None
    return max(0.0, seconds)


def _tune_sqlite(engine: AsyncEngine, busy_timeout: float) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, open transactions, so that BEGIN IMMEDIATE below takes
        # the write lock up front: a deferred transaction that later upgrades to a writer fails
        # at once with "database is locked" instead of waiting for the busy timeout.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={round(busy_timeout * 1000)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        _begin_immediate(connection)


def _begin_immediate(connection: Any, attempts: int = BEGIN_ATTEMPTS) -> None:
    """BEGIN IMMEDIATE, tried `attempts` times while the database is locked; then DatabaseBusy."""
    for attempt in range(1, attempts + 1):
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            return
        except OperationalError as error:
            if not _is_busy(error):
                raise
            if attempt == attempts:
                logger.warning("database: still locked by another process after %d attempts "
                               "to begin; the request is answered 'try again'", attempts)
                raise DatabaseBusy() from error
            pause = random.uniform(0, BEGIN_BACKOFF * 2 ** (attempt - 1))
            logger.warning("database: locked by another process; beginning again in %.2f s "
                           "(attempt %d of %d)", pause, attempt + 1, attempts)
            # This runs inside SQLAlchemy's greenlet bridge (async engine): await_only sleeps
            # without blocking the event loop, as the driver's own calls do.
            await_only(asyncio.sleep(pause))


def _is_busy(error: OperationalError) -> bool:
    return sqlite_busy(error.orig)


def sqlite_busy(error: BaseException | None) -> bool:
    """Whether `error`, an exception of Python's sqlite3, says the database (or a table) was
    busy or locked: SQLITE_BUSY, SQLITE_LOCKED or one of their extended codes, a state that
    passes. Not, say, "no such table", "disk I/O error" or "database disk image is malformed",
    which are OperationalErrors or DatabaseErrors too. Without the error's name or code (an
    exception made by hand), its message decides."""
    name = getattr(error, "sqlite_errorname", None)
    if isinstance(name, str):
        return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))
    code = getattr(error, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)
    message = str(error)
    return "database is locked" in message or "database table is locked" in message


def read_only_unit_of_work(storage: Storage) -> UnitOfWork:
    """A unit of work that reads without taking SQLite's write lock (see the module docstring);
    anything written in it fails (SQLite: "attempt to write a readonly database"; PostgreSQL:
    ReadOnlySqlTransaction), and there is nothing to commit."""
    engine = storage.engine
    sessions = _READERS.get(engine.sync_engine)
    if sessions is None:
        sessions = async_sessionmaker(_reader_engine(engine), class_=AsyncSession,
                                      expire_on_commit=False)
        _READERS[engine.sync_engine] = sessions
    return _ReadOnlyUnitOfWork(sessions)


class _ReadOnlyUnitOfWork(UnitOfWork):
    async def __aenter__(self) -> UnitOfWork:
        await super().__aenter__()
        if self.session.get_bind().dialect.name == "postgresql":
            # The transaction's first statement, so nothing runs before it is read-only.
            await self.session.execute(text("SET TRANSACTION READ ONLY"))
        return self

    async def commit(self) -> None:
        raise TypeError("a read-only unit of work has nothing to commit")


_READERS: weakref.WeakKeyDictionary[Any, async_sessionmaker[AsyncSession]] = (
    weakref.WeakKeyDictionary())


def _reader_engine(engine: AsyncEngine) -> AsyncEngine:
    """PostgreSQL: the same engine (its pool; the transaction is made READ ONLY). SQLite: an
    engine of its own on the same file, whose connections cannot write and begin DEFERRED.
    Its connections are not pooled (one is opened per unit of work, about a millisecond), so
    there is nothing to close when the bot stops. An in-memory database is one connection's
    own: it is read through the engine that owns it."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return engine
    busy_timeout = _busy_timeout(url.query.get("timeout"))
    reader = create_async_engine(url, poolclass=NullPool, connect_args={"timeout": busy_timeout},
                                 hide_parameters=True)

    @event.listens_for(reader.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy begins, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA query_only=ON")
        cursor.execute(f"PRAGMA busy_timeout={round(busy_timeout * 1000)}")
        cursor.close()

    @event.listens_for(reader.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # DEFERRED: no lock until the first read, and then only WAL's shared read snapshot,
        # which one transaction keeps for all of its queries.
        connection.exec_driver_sql("BEGIN DEFERRED")

    return reader


# The first key of every advisory lock Resonanz takes on PostgreSQL ("RZ"), so they cannot clash
# with other applications' locks on a shared server; the second key names the job.
LOCK_NAMESPACE = 0x525A


def lock_key(name: str) -> int:
    """A stable signed 32-bit number for a job name (PostgreSQL's advisory lock key)."""
    value = zlib.crc32(name.encode())
    return value - (1 << 32) if value >= 1 << 31 else value


async def create_schema(engine: AsyncEngine) -> None:
    """Create the schema, or bring it to the newest revision (storage.migrations: an empty
    database gets every table, one made before migrations existed is adopted). One upgrade at
    a time: on PostgreSQL under a lock held by the same transaction, so bots and the CLI
    starting together wait, then find the schema up to date (SQLite's write lock, taken when
    the transaction begins, does the same); within a process, because Alembic keeps the
    running migration's context in module globals. PostgreSQL and SQLite both change their
    schema transactionally: a failed upgrade leaves the database as it was."""
    async with _upgrades_in_this_process(), engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(text("SELECT pg_advisory_xact_lock(:space, :job)"),
                                     {"space": LOCK_NAMESPACE, "job": lock_key("create schema")})
        await connection.run_sync(migrations.upgrade)


_UPGRADES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary())


def _upgrades_in_this_process() -> asyncio.Lock:
    return _UPGRADES.setdefault(asyncio.get_running_loop(), asyncio.Lock())


async def write_probe(engine: AsyncEngine) -> None:
    """One tiny committed write, as a vote's would be (SQLite: BEGIN IMMEDIATE, so the write
    lock, and a commit through the log to the disk; PostgreSQL: a row version), changing
    nothing: the schema revision row is written with its own value. Raises what a vote's
    write would raise (a read-only or full database, a lock held too long)."""
    async with engine.begin() as connection:
        await connection.execute(text("UPDATE alembic_version SET version_num = version_num"))
