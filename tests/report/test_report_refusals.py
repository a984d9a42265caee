"""The report route's refusals (429, 503, 500) in the language the browser asks for: the
catalogue's text, the security headers of every /reports answer, Retry-After where a client may
come back, and no report token in any log line."""

from __future__ import annotations

import logging
import socket
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.dialects.postgresql.asyncpg import (
    AsyncAdapt_asyncpg_connection,
    AsyncAdapt_asyncpg_dbapi,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.i18n import languages, t
from bot.summaries import report_routes
from bot.summaries.report_routes import (
    REPORT_RATE,
    UNAVAILABLE_RETRY_AFTER,
    asked_language,
    refusal_text,
    storage_unavailable,
)
from storage.database import DatabaseBusy, create_engine
from tests.report.test_report_edge import assert_security_headers, report_path

GERMAN, ENGLISH = "de-DE,de;q=0.9,en;q=0.8", "en-GB,en;q=0.9"
BROWSERS = [(GERMAN, "de"), (ENGLISH, "en")]
REFUSALS = ["report.too_many", "report.unavailable", "report.failed"]


@pytest.mark.parametrize("header, language", [
    ("de", "de"), ("de-DE", "de"), ("DE-at", "de"), ("de-CH, en;q=0.8", "de"),
    ("en-US,en;q=0.9,de;q=0.8", "en"), ("en", "en"),
    ("fr-FR, de;q=0.7, en;q=0.5", "de"),  # the first language with a catalogue
    ("en;q=0.4, de;q=0.6", "de"),  # by weight, not by position
    ("de;q=0, en", "en"), ("fr, it", "en"), ("*", "en"), ("", "en"), (None, "en"),
    ("de;q=nonsense, en;q=0.1", "en"), ("de;q=7", "en"), ("deutsch", "en"), (",,;;", "en"),
])
def test_the_browsers_language_is_german_for_de_and_english_otherwise(header, language):
    assert asked_language(header) == language


def test_a_long_accept_language_is_read_only_as_far_as_browsers_write_it():
    assert asked_language(", ".join(["fr"] * 1000 + ["de"])) == "en"


@pytest.mark.parametrize("key", REFUSALS)
@pytest.mark.parametrize("language", languages())
def test_every_refusal_is_one_short_line_of_the_catalogue_in_every_language(key, language):
    text = refusal_text(key, language)
    assert text == t(key, language) + "\n" and "\n" not in text[:-1]
    assert len(text.encode()) < 100  # a flood is answered cheaply (see the 429 test)
    assert text != refusal_text(key, "en") or language == "en"


@pytest.mark.parametrize("accept_language, language", BROWSERS)
async def test_a_client_asking_too_often_gets_429_in_its_language(bot, accept_language,
                                                                  language):
    headers = {"Accept-Language": accept_language}
    for _ in range(REPORT_RATE.burst):  # each wrong path costs two of the burst
        refused = await bot.client.get("/reports/x", headers=headers)
        if refused.status == 429:
            break
    assert refused.status == 429
    assert await refused.text() == t("report.too_many", language) + "\n"
    assert refused.headers["Content-Language"] == language
    assert refused.content_type == "text/plain" and refused.charset == "utf-8"
    assert int(refused.headers["Retry-After"]) >= 1
    assert_security_headers(refused.headers)


def locked(statement: str) -> OperationalError:
    """What SQLAlchemy raises when SQLite stays locked past the busy timeout."""
    return OperationalError(statement, {}, sqlite3.OperationalError("database is locked"))


def logged(caplog: pytest.LogCaptureFixture) -> str:
    """Every log line but the test server's own access log (which prints paths as they are;
    the bot's AccessLog cuts tokens: tests/report/test_access_log.py)."""
    return "\n".join(logging.Formatter("%(name)s %(message)s %(exc_text)s").format(record)
                     for record in caplog.records if record.name != "aiohttp.access")


UNAVAILABLE = {
    "locked": lambda token: locked(f"SELECT * FROM links WHERE token = '{token}'"),
    "busy": lambda token: DatabaseBusy(),
    "pool": lambda token: PoolTimeout(f"no connection for {token}"),
    "refused": lambda token: ConnectionRefusedError(111, f"Connect call failed ({token})"),
}


@pytest.mark.parametrize("cause", sorted(UNAVAILABLE))
@pytest.mark.parametrize("accept_language, language", BROWSERS)
async def test_storage_that_cannot_be_read_is_503_with_retry_after_in_the_browsers_language(
        bot, monkeypatch, caplog, cause, accept_language, language):
    path = await report_path(bot)
    token = path.rsplit("/", 1)[1]

    async def unavailable(*args, **kwargs):
        raise UNAVAILABLE[cause](token)

    monkeypatch.setattr(report_routes, "summary_material", unavailable)
    with caplog.at_level(logging.DEBUG):
        answer = await bot.client.get(path, headers={"Accept-Language": accept_language})
    assert answer.status == 503
    assert await answer.text() == t("report.unavailable", language) + "\n"
    assert answer.headers["Content-Language"] == language
    assert answer.headers["Retry-After"] == str(int(UNAVAILABLE_RETRY_AFTER))
    assert_security_headers(answer.headers)
    text = logged(caplog)
    assert "could not read storage" in text
    assert token not in text and "Traceback" not in text


async def assert_failed_page(answer: Any, language: str) -> None:
    """The route's 500: the catalogue's text in the browser's language, no Retry-After (it is
    not a passing outage), the security headers."""
    assert answer.status == 500
    assert await answer.text() == t("report.failed", language) + "\n"
    assert answer.headers["Content-Language"] == language
    assert "Retry-After" not in answer.headers
    assert_security_headers(answer.headers)


@pytest.mark.parametrize("accept_language, language", BROWSERS)
async def test_an_unexpected_error_while_reading_is_500_not_503(bot, monkeypatch, caplog,
                                                                accept_language, language):
    path = await report_path(bot)
    token = path.rsplit("/", 1)[1]

    async def wrong(*args, **kwargs):
        raise ValueError(f"a poll of {token} has no options")

    monkeypatch.setattr(report_routes, "summary_material", wrong)
    with caplog.at_level(logging.DEBUG):
        answer = await bot.client.get(path, headers={"Accept-Language": accept_language})
    await assert_failed_page(answer, language)
    text = logged(caplog)
    assert "ValueError" in text
    assert token not in text and "has no options" not in text and "Traceback" not in text


async def test_the_page_still_opens_after_storage_came_back(bot, monkeypatch):
    path = await report_path(bot)
    material = report_routes.summary_material

    async def unavailable(*args, **kwargs):
        raise locked("SELECT 1")

    monkeypatch.setattr(report_routes, "summary_material", unavailable)
    assert (await bot.client.get(path)).status == 503
    monkeypatch.setattr(report_routes, "summary_material", material)
    assert (await bot.client.get(path)).status == 200


@pytest.mark.parametrize("error, expected", [
    (locked("SELECT 1"), True), (DatabaseBusy(), True), (PoolTimeout("pool"), True),
    (ConnectionRefusedError(), True), (TimeoutError(), True),
    (ValueError("x"), False), (RuntimeError("x"), False), (KeyError("x"), False),
])
def test_only_a_storage_that_cannot_be_reached_counts_as_unavailable(error, expected):
    assert storage_unavailable(error) is expected


def raised_by(run: Callable[[], object]) -> sqlite3.Error:
    """The exception Python's sqlite3 raises when `run` really runs a failing statement."""
    try:
        run()
    except sqlite3.Error as error:
        return error
    raise AssertionError("the statement did not fail")


def as_sqlalchemy_raises(error: sqlite3.Error, statement: str = "SELECT 1") -> DBAPIError:
    """`error` wrapped as SQLAlchemy wraps what the driver raised (OperationalError for
    sqlite3.OperationalError, DatabaseError for sqlite3.DatabaseError)."""
    return DBAPIError.instance(statement, None, error, sqlite3.Error)


def sqlite_faults(directory: Path) -> dict[str, sqlite3.Error]:
    """Real sqlite3 exceptions, each from a statement that really failed on a real database."""
    path = directory / "faults.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.executemany("INSERT INTO t VALUES (?)", [("y" * 500,) for _ in range(200)])
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    faults = {"busy": raised_by(lambda: other.execute("BEGIN IMMEDIATE")),
              "no such table": raised_by(lambda: other.execute("SELECT * FROM missing")),
              "no such column": raised_by(lambda: other.execute("SELECT missing FROM t"))}
    holder.execute("ROLLBACK")
    reading = holder.execute("SELECT * FROM t")
    reading.fetchone()  # a statement still reading t: t cannot be dropped meanwhile
    faults["table locked"] = raised_by(lambda: holder.execute("DROP TABLE t"))
    reading.close()
    holder.close()
    other.close()
    read_only = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    faults["read-only"] = raised_by(lambda: read_only.execute("INSERT INTO t VALUES (1)"))
    read_only.close()
    with path.open("r+b") as database:  # the pages after the first overwritten
        database.seek(4096)
        database.write(b"\xff" * 4096)
    corrupt = sqlite3.connect(path)
    faults["malformed"] = raised_by(lambda: corrupt.execute("SELECT * FROM t").fetchall())
    corrupt.close()
    garbage = directory / "garbage.db"
    garbage.write_bytes(b"not a database" * 1000)
    not_a_database = sqlite3.connect(garbage)
    faults["not a database"] = raised_by(lambda: not_a_database.execute("SELECT * FROM t"))
    not_a_database.close()
    return faults


SQLITE_PASSING = {"busy": "SQLITE_BUSY", "table locked": "SQLITE_LOCKED"}
SQLITE_PERMANENT = {"no such table": "SQLITE_ERROR", "no such column": "SQLITE_ERROR",
                    "read-only": "SQLITE_READONLY", "malformed": "SQLITE_CORRUPT",
                    "not a database": "SQLITE_NOTADB"}


def test_sqlite_busy_or_locked_is_unavailable_and_nothing_else_sqlite_raises(tmp_path):
    faults = sqlite_faults(tmp_path)
    assert {name: fault.sqlite_errorname for name, fault in faults.items()} == {
        **SQLITE_PASSING, **SQLITE_PERMANENT}
    for name in SQLITE_PASSING:
        assert storage_unavailable(as_sqlalchemy_raises(faults[name])), name
    for name in SQLITE_PERMANENT:
        wrapped = as_sqlalchemy_raises(faults[name])
        assert not storage_unavailable(wrapped), name
    # "no such table" is an OperationalError, as "database is locked" is: the type says nothing.
    assert isinstance(as_sqlalchemy_raises(faults["no such table"]), OperationalError)


@pytest.mark.parametrize("message, expected", [
    ("database is locked", True), ("database table is locked", True),
    ("no such table: meeting", False), ("no such column: meeting.title", False),
    ("disk I/O error", False), ("database disk image is malformed", False),
])
def test_a_sqlite_error_without_its_name_is_judged_by_its_message(message, expected):
    error = sqlite3.OperationalError(message)  # made by hand: no sqlite_errorname
    assert storage_unavailable(OperationalError("SELECT 1", {}, error)) is expected


@pytest.mark.parametrize("table", ["ballot", "report_link"])
@pytest.mark.parametrize("accept_language, language", BROWSERS)
async def test_a_missing_table_is_500_logged_as_an_error_not_a_passing_503(
        bot, bot_settings, caplog, table, accept_language, language):
    path = await report_path(bot)
    token = path.rsplit("/", 1)[1]
    database = sqlite3.connect(bot_settings.database_url.removeprefix("sqlite:///"))
    database.execute(f"ALTER TABLE {table} RENAME TO {table}_gone")  # a migration gone wrong
    database.commit()
    database.close()
    with caplog.at_level(logging.DEBUG):
        answer = await bot.client.get(path, headers={"Accept-Language": accept_language})
    await assert_failed_page(answer, language)
    failed = [record for record in caplog.records if record.name == report_routes.__name__]
    assert [record.levelno for record in failed] == [logging.ERROR]
    assert failed[0].getMessage().startswith("the report page failed: OperationalError at ")
    # The bot's own lines (aiosqlite's DEBUG trace prints every statement and its result).
    form = logging.Formatter("%(name)s %(message)s %(exc_text)s")
    text = "\n".join(form.format(record) for record in caplog.records
                     if record.name.startswith(("bot.", "storage.", "facilitation.")))
    assert "could not read storage" not in text
    assert token not in text and "no such table" not in text and "Traceback" not in text


async def raised_in(engine: AsyncEngine, *statements: str) -> BaseException:
    """What SQLAlchemy raises when `statements` really run on `engine`, each in a transaction."""
    try:
        for statement in statements:
            async with engine.begin() as connection:
                await connection.execute(text(statement))
    except Exception as error:
        return error
    raise AssertionError("the statements did not fail")


@pytest.mark.postgres
async def test_postgresql_unreachable_is_unavailable_and_a_missing_table_is_not(postgres_url):
    engine = create_engine(postgres_url)
    watcher = create_async_engine(postgres_url)
    closed_port = socket.socket()
    closed_port.bind(("127.0.0.1", 0))  # bound, never listening: connecting is refused
    nowhere = create_async_engine(make_url(postgres_url).set(
        host="127.0.0.1", port=closed_port.getsockname()[1]))
    try:
        missing = await raised_in(engine, "SELECT * FROM missing")
        assert isinstance(missing, ProgrammingError) and not storage_unavailable(missing)
        refused = await raised_in(nowhere, "SELECT 1")
        assert storage_unavailable(refused), repr(refused)
        async with engine.connect() as connection:  # a connection the server then ends
            pid = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            async with watcher.begin() as other:
                await other.execute(text(f"SELECT pg_terminate_backend({int(pid)})"))
            try:
                await connection.execute(text("SELECT 1"))
            except Exception as error:
                terminated: BaseException = error
            else:
                raise AssertionError("the ended connection still answered")
        assert storage_unavailable(terminated), repr(terminated)
    finally:
        closed_port.close()
        for each in (engine, watcher, nowhere):
            await each.dispose()


def as_asyncpg_raises(error: Exception) -> DBAPIError:
    """An asyncpg exception as SQLAlchemy's asyncpg dialect hands it on: translated to the
    dialect's DBAPI error (carrying the SQLSTATE), then wrapped."""
    dbapi = AsyncAdapt_asyncpg_dbapi(asyncpg)
    try:
        AsyncAdapt_asyncpg_connection._handle_exception_no_connection(dbapi, error)
    except dbapi.Error as translated:
        return DBAPIError.instance("SELECT 1", None, translated, dbapi.Error)
    raise AssertionError("not translated")


@pytest.mark.parametrize("error, expected", [
    (asyncpg.exceptions.CannotConnectNowError("the database system is starting up"), True),
    (asyncpg.exceptions.AdminShutdownError("terminating connection"), True),
    (asyncpg.exceptions.TooManyConnectionsError("too many clients already"), True),
    (asyncpg.exceptions.ConnectionFailureError("connection failure"), True),
    (asyncpg.exceptions.QueryCanceledError("canceling statement due to timeout"), True),
    (asyncpg.exceptions.LockNotAvailableError("lock timeout"), True),
    (asyncpg.exceptions.UndefinedTableError('relation "meeting" does not exist'), False),
    (asyncpg.exceptions.UndefinedColumnError('column "title" does not exist'), False),
    (asyncpg.exceptions.DiskFullError("could not extend file"), False),
    (asyncpg.exceptions.DataCorruptedError("invalid page in block"), False),
])
def test_postgresql_counts_as_unavailable_by_sqlstate(error, expected):
    assert storage_unavailable(as_asyncpg_raises(error)) is expected


def test_a_drivers_operational_error_without_sqlstate_is_a_connection_failure():
    class ConnectionFailed(Exception):  # psycopg's OperationalError when nothing answered
        sqlstate = None

    wrapped = OperationalError("SELECT 1", {}, ConnectionFailed("connection refused"))
    assert storage_unavailable(wrapped)
