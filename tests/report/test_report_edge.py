"""The report route attacked from outside, over HTTP on 127.0.0.1: security headers on every
answer, forged tokens refused before the database is asked, a per-client limit, and reads that
never take SQLite's write lock."""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import event
from sqlalchemy.engine import Engine

from bot.app import SERVICES, create_app
from bot.cli import runner_options
from bot.settings import Settings
from bot.summaries import report_routes
from bot.summaries.report_routes import REPORT_RATE, TOKEN_SHAPE
from tests.journeys.helpers import walk
from tests.journeys.test_breakout_journey import action
from tests.journeys.test_summary_journey import PEOPLE, end_meeting, start_meeting
from tests.support.teams import BotUnderTest, Chat, LocalConnector, settings_for_tests, start_bot

EVERY_ANSWER = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@pytest.fixture
def bot_settings(tmp_path: Path) -> Settings:
    # No poll-closing timer during these tests: every transaction seen is the report route's.
    return settings_for_tests(tmp_path, close_check_seconds=3600)


async def report_path(bot: BotUnderTest) -> str:
    """The path of a fresh report link, as the organizer gets it."""
    await start_meeting(bot)
    await bot.say(PEOPLE[0], "poll Lunch? | Pizza | Salad")
    await bot.settle()
    card = await end_meeting(bot)
    meeting_id = action(card, "summary.report_link")["data"]["meeting"]
    link = await bot.click(PEOPLE[0], "summary.report_link", {"meeting": meeting_id})
    url = next(a["url"] for a in walk(link["value"]) if a.get("type") == "Action.OpenUrl")
    await bot.settle()
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


@contextmanager
def transactions() -> Iterator[list[str]]:
    """Every transaction any engine begins meanwhile, and how (its BEGIN statement, or
    'begin' where the driver begins by itself)."""
    seen: list[str] = []

    def begun(_conn: Any) -> None:
        seen.append("begin")

    def sent(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        if sql.split(None, 1)[0].upper() == "BEGIN":
            seen.append(" ".join(sql.split()).upper())

    event.listen(Engine, "begin", begun)
    event.listen(Engine, "before_cursor_execute", sent)
    try:
        yield seen
    finally:
        event.remove(Engine, "begin", begun)
        event.remove(Engine, "before_cursor_execute", sent)


async def quiet(bot: BotUnderTest) -> None:
    """Wait until the bot begins no transaction of its own for a moment (the timers' first
    round right after start, the summary's follow-ups)."""
    await bot.settle()
    for _ in range(50):
        with transactions() as seen:
            await asyncio.sleep(0.2)
        if not seen:
            return
    raise AssertionError("the bot kept beginning transactions by itself")


def assert_security_headers(headers: Any, *, https: bool = False) -> None:
    for name, value in EVERY_ANSWER.items():
        assert headers.get(name) == value, (name, headers.get(name))
    policy = headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in policy
    assert "default-src 'none'" in policy
    assert "script-src" not in policy  # no script may run, not even an inline one
    assert ("Strict-Transport-Security" in headers) is https


def test_minted_tokens_have_the_shape_the_route_accepts() -> None:
    assert all(TOKEN_SHAPE.fullmatch(secrets.token_urlsafe(32)) for _ in range(2000))


async def test_a_report_and_a_404_carry_the_security_headers_over_http(bot):
    path = await report_path(bot)
    found = await bot.client.get(path)
    assert found.status == 200
    assert_security_headers(found.headers)
    for missing in ("/reports/nope", "/reports/" + "x" * 43, "/reports/" + "y" * 500):
        response = await bot.client.get(missing)
        assert response.status == 404
        assert_security_headers(response.headers)


async def test_the_page_needs_nothing_its_policy_forbids(bot):
    page = await (await bot.client.get(await report_path(bot))).text()
    assert "<svg" in page and "<style>" in page  # allowed: inline SVG and inline styles
    assert not re.search(r"<(script|img|link|iframe|object|embed|form)\b", page, re.I)
    assert not re.search(r"(src|href)\s*=|url\(|@import", page, re.I)


@pytest.mark.parametrize("public_url", ["https://resonanz.example.org",
                                        "HTTPS://Resonanz.example.org/"])
async def test_hsts_is_sent_when_the_public_url_is_https(tmp_path: Path, public_url: str):
    bot, _ = await start_bot(settings_for_tests(tmp_path, public_url=public_url))
    try:
        found = await bot.client.get(await report_path(bot))
        assert found.status == 200
        assert_security_headers(found.headers, https=True)
        assert found.headers["Strict-Transport-Security"].startswith("max-age=")
        missing = await bot.client.get("/reports/nope")
        assert_security_headers(missing.headers, https=True)
    finally:
        await bot.client.close()
        await bot.connector.stop()


FORGED = [
    "nope",
    "x" * 42,
    "x" * 44,
    "y" * 500,
    "a" * 42 + ".",
    "a" * 42 + "=",
    "a" * 41 + "%3D%3D",
    "ä" * 43,
    "a" * 42 + "%00",
    "a" * 21 + "%20" + "a" * 21,
    "a" * 42 + "%2F",
    "a" * 42 + "+",
]


@pytest.mark.parametrize("token", FORGED)
async def test_tokens_not_of_the_minted_shape_get_404_before_any_transaction(bot, token):
    await quiet(bot)
    with transactions() as seen:
        response = await bot.client.get("/reports/" + token)
        assert response.status == 404
        assert "does not exist or has expired" in await response.text()
        assert_security_headers(response.headers)
    assert seen == []


async def test_the_transaction_hook_sees_the_route_look_up_a_token_of_the_right_shape(bot):
    await quiet(bot)
    with transactions() as seen:
        response = await bot.client.get("/reports/" + "x" * 43)
        assert response.status == 404
    assert seen


async def test_a_report_is_read_in_a_deferred_transaction_never_an_immediate_one(bot):
    path = await report_path(bot)
    await quiet(bot)
    with transactions() as seen:
        response = await bot.client.get(path)
        assert response.status == 200
    assert "BEGIN DEFERRED" in seen
    assert not [begin for begin in seen if "IMMEDIATE" in begin], seen


async def test_a_report_opens_while_another_process_holds_the_write_lock(bot):
    path = await report_path(bot)
    database = bot.client.app[SERVICES].storage.engine.url.database
    holder = sqlite3.connect(str(database), isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        started = time.monotonic()
        response = await asyncio.wait_for(bot.client.get(path), timeout=5)
        assert response.status == 200
        assert "Lunch?" in await response.text()
        assert time.monotonic() - started < 1.0  # no busy timeout waited out
    finally:
        holder.execute("ROLLBACK")
        holder.close()


async def test_an_organiser_opening_a_report_again_and_again_is_not_refused(bot):
    path = await report_path(bot)
    for _ in range(REPORT_RATE.burst):
        assert (await bot.client.get(path)).status == 200


async def test_a_client_guessing_links_gets_429_with_retry_after_before_the_database(bot):
    path = await report_path(bot)
    await quiet(bot)  # before guessing: the bucket refills meanwhile
    statuses = []
    for _ in range(REPORT_RATE.burst):
        response = await bot.client.get("/reports/" + secrets.token_urlsafe(32))
        statuses.append(response.status)
        if response.status == 429:
            break
    # A 404 costs double: about half the burst of guesses, then refused.
    answered = statuses.index(429)
    assert REPORT_RATE.burst // 2 <= answered <= REPORT_RATE.burst // 2 + 2, statuses
    with transactions() as seen:
        refused = await bot.client.get(path)  # this client's real link too, for now
        assert refused.status == 429
        assert int(refused.headers["Retry-After"]) >= 1
        assert len(await refused.read()) < 100
        assert_security_headers(refused.headers)
        flood = await asyncio.gather(*(bot.client.get("/reports/" + "x" * 43)
                                       for _ in range(200)))
        assert {response.status for response in flood} == {429}
    assert seen == []  # refusals cost no transaction


@pytest.fixture
async def bot_on_postgres(tmp_path: Path,
                          postgres_databases: Callable[[], str]) -> AsyncIterator[BotUnderTest]:
    bot, _ = await start_bot(settings_for_tests(tmp_path, database_url=postgres_databases(),
                                                close_check_seconds=3600))
    try:
        yield bot
    finally:
        await bot.client.close()
        await bot.connector.stop()


@pytest.mark.postgres
async def test_a_report_reads_in_a_read_only_transaction_on_postgresql(bot_on_postgres):
    bot = bot_on_postgres
    path = await report_path(bot)
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        sent.append(" ".join(sql.split()).upper())

    event.listen(Engine, "before_cursor_execute", record)
    try:
        response = await bot.client.get(path)
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    assert response.status == 200
    assert "Lunch?" in await response.text()
    assert sent[0] == "SET TRANSACTION READ ONLY", sent[:3]
    assert (await bot.client.get("/reports/" + "x" * 43)).status == 404


async def test_no_log_line_of_any_report_request_holds_the_token(tmp_path: Path, caplog):
    # As `resonanz serve` runs the app (its runner options), every logger at DEBUG.
    settings = settings_for_tests(tmp_path, close_check_seconds=3600)
    connector = LocalConnector()
    await connector.start()
    server = TestServer(create_app(settings), host="127.0.0.1")
    await server.start_server(**runner_options(settings))
    client = TestClient(server)
    await client.start_server()
    bot = BotUnderTest(client=client, connector=connector,
                       chat=Chat(service_url=connector.service_url))
    try:
        path = await report_path(bot)
        token = path.rsplit("/", 1)[1]
        with caplog.at_level(logging.DEBUG):
            for attempt in (path, path + "/", path + "?print=1", "/reports/" + path,
                            path.replace("/reports/", "/reports//"), path + "/x"):
                answer = await client.get(attempt)
                await answer.read()
                assert answer.status in (200, 404, 429), (attempt, answer.status)
            answer = await client.post(path, data=b"x")
            await answer.read()
    finally:
        await client.close()
        await connector.stop()
    assert any(r.name == "aiohttp.access" for r in caplog.records)  # the access log did log
    text = "\n".join(logging.Formatter("%(message)s %(exc_text)s").format(r)
                     for r in caplog.records)
    assert token not in text and token[:16] not in text


@pytest.mark.parametrize("method, path", [
    ("GET", "/reports"), ("GET", "/reports/"), ("GET", "/reports/a/b"),
    ("GET", "/reports/" + "x" * 43 + "/more"), ("POST", "/reports/" + "x" * 43),
    ("HEAD", "/reports/x"), ("DELETE", "/reports/"),
])
async def test_every_other_answer_under_reports_carries_the_security_headers(bot, method,
                                                                             path):
    answer = await bot.client.request(method, path)
    assert answer.status == 404, (method, path, answer.status)
    assert_security_headers(answer.headers)


@pytest.mark.parametrize("accept_language, expected", [
    ("de-DE,de;q=0.9,en;q=0.8", "Der Bericht konnte nicht angezeigt werden."),
    ("en-US,en;q=0.9", "The report could not be shown."),
])
async def test_a_report_page_that_fails_is_500_with_the_security_headers(
        bot, monkeypatch, caplog, accept_language, expected):
    path = await report_path(bot)
    token = path.rsplit("/", 1)[1]

    async def broken(*args, **kwargs):
        raise RuntimeError(f"the summary of {token} could not be composed")

    monkeypatch.setattr(report_routes, "compose", broken)
    with caplog.at_level(logging.ERROR):
        answer = await bot.client.get(path, headers={"Accept-Language": accept_language})
    assert answer.status == 500
    assert_security_headers(answer.headers)
    text = await answer.text()
    assert text.startswith(expected) and "Traceback" not in text
    assert "RuntimeError" in caplog.text  # the type is logged, its text is not
    assert token not in caplog.text and "could not be composed" not in caplog.text
