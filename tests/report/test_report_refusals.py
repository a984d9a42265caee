"""The report route's refusals (429, 503, 500) in the language the browser asks for: the
catalogue's text, the security headers of every /reports answer, Retry-After where a client may
come back, and no report token in any log line."""

from __future__ import annotations

import logging
import sqlite3

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.i18n import languages, t
from bot.summaries import report_routes
from bot.summaries.report_routes import (
    REPORT_RATE,
    UNAVAILABLE_RETRY_AFTER,
    asked_language,
    refusal_text,
    storage_unavailable,
)
from storage.database import DatabaseBusy
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
    assert answer.status == 500
    assert await answer.text() == t("report.failed", language) + "\n"
    assert answer.headers["Content-Language"] == language
    assert "Retry-After" not in answer.headers
    assert_security_headers(answer.headers)
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
