"""GET /reports/{token}: the report page behind an expiring link; unknown links get 404, a
client asking too often 429, a storage that cannot be read just now 503, anything else that fails
500 (each refusal a line of text in the language the browser asks for); every answer carries
the page's security headers."""

from __future__ import annotations

import logging
import re
import sqlite3
import time
import traceback
from collections.abc import Callable

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.core.meeting_ids import token_hash
from bot.core.rate_limits import Rate, TokenBuckets, client_key, retry_after
from bot.core.services import Services
from bot.i18n import ENGLISH, Language, language_of, t
from bot.summaries.gathering import compose, summary_material
from bot.summaries.report_page import render_not_found_page, render_report_page
from storage.database import DatabaseBusy, read_only_unit_of_work, sqlite_busy

logger = logging.getLogger(__name__)

# A report token is `secrets.token_urlsafe(32)` (bot/summaries/handlers.py): 32 random bytes in
# unpadded base64url, exactly 43 of these characters. Anything else cannot be a link we gave
# out, and is answered 404 before it is hashed or the database is asked.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")
# What the access log cuts from any path: every run of token characters long enough to be
# (part of) a report token, wherever in the path it stands (`//reports/<t>`, `/reports//<t>`).
_TOKEN_LIKE = re.compile(r"[A-Za-z0-9_-]{16,}")

# Report pages per client address (bot/core/rate_limits.py). Generous for people: an organiser
# opening the reports of a few meetings, reloading and printing them, stays within the burst;
# after it one page every 2 s. A 404 costs double, so guessing links runs dry twice as fast.
REPORT_RATE = Rate(burst=20, per_minute=30)
NOT_FOUND_EXTRA_COST = 1.0

# The page is self-contained: inline styles (a <style> element and style attributes), inline
# SVG charts, no scripts, images, fonts, forms or requests of its own. Nobody may frame it.
CONTENT_SECURITY_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
                           "form-action 'none'; frame-ancestors 'none'")
HSTS = "max-age=31536000"  # a year, when the bot is reached over https (PUBLIC_URL)

# A storage that cannot be read just now (SQLite locked past its busy timeout, a database
# refusing or dropping connections, no pooled connection free in time) is a passing outage:
# 503, and the client may ask again after this many seconds. A storage that fails for good
# (a missing table, a corrupt file) is 500 (`storage_unavailable`).
UNAVAILABLE_RETRY_AFTER = 5.0
# PostgreSQL's SQLSTATEs of a server that cannot answer just now: class 08 (connection
# exception), too many connections, shut down by an operator or a crash, still starting up,
# a lock or statement timeout. Any other SQLSTATE is about the query or the database itself.
_CONNECTION_SQLSTATE_CLASS = "08"
_PASSING_SQLSTATES = frozenset({"53300", "57P01", "57P02", "57P03", "55P03", "57014"})
# Browsers send a handful of language ranges; a longer Accept-Language is read this far only.
ACCEPT_LANGUAGE_RANGES = 16


class StorageUnavailable(Exception):
    """The report's storage could not be read just now; its cause is the storage's error."""


class ReportPages:
    """Serves `/reports/{token}`; `rate` per client address, counted on `monotonic` time."""

    def __init__(self, services: Services, *, rate: Rate = REPORT_RATE,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._services = services
        self._limits = TokenBuckets(rate)
        self._monotonic = monotonic
        self._headers = _security_headers(https=services.public_url.lower().startswith("https:"))

    async def serve(self, request: web.Request) -> web.Response:
        # request.remote is the peer's address: X-Forwarded-For is anyone's to write, and is
        # only to be read once a trusted-proxy setting says whose it is.
        client = client_key(request.remote)
        wait = self._limits.take(client, self._monotonic())
        if wait > 0:
            return self._too_many(wait, request)
        try:
            response = await self._page(request.match_info.get("token", ""))
        except StorageUnavailable as error:
            logger.warning("the report page could not read storage: %s", _named(error.__cause__))
            return self._refused(request, 503, "report.unavailable",
                                 {"Retry-After": retry_after(UNAVAILABLE_RETRY_AFTER)})
        except Exception as error:
            # The type and where it was raised only: an exception's text may hold what it was
            # given (a token, a query's parameters), and a log line must not.
            logger.error("the report page failed: %s", _named(error))
            return self._refused(request, 500, "report.failed")
        if response.status == 404:
            self._limits.take(client, self._monotonic(), NOT_FOUND_EXTRA_COST)
        return response

    async def elsewhere(self, request: web.Request) -> web.Response:
        """Any other path or method under /reports: 404 with the page's headers, counted as a
        wrong guess."""
        client = client_key(request.remote)
        wait = self._limits.take(client, self._monotonic(), 1.0 + NOT_FOUND_EXTRA_COST)
        return self._too_many(wait, request) if wait > 0 else self._not_found()

    async def _page(self, token: str) -> web.Response:
        if not TOKEN_SHAPE.fullmatch(token):
            return self._not_found()
        services = self._services
        now = services.clock()
        # Read only: anyone with a link (or guessing one) may ask, and SQLite's write lock
        # belongs to votes and questions.
        try:
            async with read_only_unit_of_work(services.storage) as uow:
                found = await uow.meetings.link(token_hash(token), now)
                meeting = await uow.meetings.get(found[0]) if found else None
                if found is None or meeting is None:
                    return self._not_found()
                language = language_of(found[1])
                material = await summary_material(uow, meeting, now=now,
                                                  policy=services.policy,
                                                  held=services.meetings.held(meeting.id))
        except Exception as error:
            if storage_unavailable(error):
                raise StorageUnavailable() from error
            raise
        page = render_report_page(await compose(material), language=language,
                                  policy=services.policy)
        return web.Response(text=page, content_type="text/html", charset="utf-8",
                            headers=self._headers)

    def _not_found(self) -> web.Response:
        # The same answer for unknown and expired links: nothing tells whether a meeting exists.
        return web.Response(status=404, text=render_not_found_page(), content_type="text/html",
                            charset="utf-8", headers=self._headers)

    def _too_many(self, wait: float, request: web.BaseRequest) -> web.Response:
        return self._refused(request, 429, "report.too_many", {"Retry-After": retry_after(wait)})

    def _refused(self, request: web.BaseRequest, status: int, key: str,
                 headers: dict[str, str] | None = None) -> web.Response:
        """A refusal as one line of plain text (a few dozen bytes, cheap to send to a flood) in
        the language the browser asks for; text/plain with nosniff is never read as markup."""
        language = asked_language(request.headers.get("Accept-Language"))
        return web.Response(status=status, text=refusal_text(key, language),
                            content_type="text/plain", charset="utf-8",
                            headers={**self._headers, "Content-Language": language,
                                     "Vary": "Accept-Language", **(headers or {})})


def refusal_text(key: str, language: Language) -> str:
    """The body of a refusal: the catalogue's text `key` in `language`, as one line."""
    return t(key, language) + "\n"


def asked_language(accept_language: str | None) -> Language:
    """The language a browser prefers (Accept-Language, e.g. `de-CH, en;q=0.8`) among those with
    a catalogue, each range read as the report page reads a Teams locale (`language_of`: de-* is
    German); English when it names none of them."""
    ranges = []
    for position, part in enumerate((accept_language or "").split(",")[:ACCEPT_LANGUAGE_RANGES]):
        tag, _, parameters = part.partition(";")
        tag, quality = tag.strip().lower(), _quality(parameters)
        if tag and tag != "*" and quality > 0:
            ranges.append((-quality, position, tag))
    for _, _, tag in sorted(ranges):
        language = language_of(tag)
        if language == tag.split("-")[0]:  # the range's language has a catalogue
            return language
    return ENGLISH


def _quality(parameters: str) -> float:
    """The q= weight of a language range (1 when there is none, 0 when it is not a weight)."""
    name, _, value = parameters.strip().partition("=")
    if name.strip().lower() != "q":
        return 1.0
    try:
        quality = float(value)
    except ValueError:
        return 0.0
    return quality if 0.0 <= quality <= 1.0 else 0.0


def storage_unavailable(error: BaseException) -> bool:
    """Whether reading storage failed because it cannot be read just now, not because of what
    was read or of how the database is: SQLite busy or locked past our waits; the database
    refusing, timing out or dropping the connection (a connection SQLAlchemy invalidated, a
    connection-level SQLSTATE, the driver's OperationalError without one, or the socket's own
    error before any driver could wrap it); or no pooled connection in time.

    A fault that stays (SQLite's "no such table", "no such column", "disk I/O error",
    "database disk image is malformed", a read-only file; PostgreSQL's undefined table or a
    full disk) is not: it is the route's 500, logged as an error, not a passing outage."""
    if isinstance(error, DatabaseBusy | PoolTimeout | ConnectionError | TimeoutError):
        return True
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    cause = error.orig
    if isinstance(cause, sqlite3.Error):
        return sqlite_busy(cause)
    sqlstate = getattr(cause, "sqlstate", None)  # asyncpg (as SQLAlchemy adapts it), psycopg
    if isinstance(sqlstate, str) and sqlstate:
        return sqlstate.startswith(_CONNECTION_SQLSTATE_CLASS) or sqlstate in _PASSING_SQLSTATES
    # No SQLSTATE: the server never answered; a driver says so with its OperationalError
    # (psycopg: connection refused, server closed the connection, connect timeout).
    return isinstance(error, OperationalError)


def _named(error: BaseException | None) -> str:
    """An exception as its type and the place it was raised (never its text)."""
    if error is None:
        return "unknown"
    frames = traceback.extract_tb(error.__traceback__)
    where = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    return type(error).__qualname__ + where


def _security_headers(*, https: bool) -> dict[str, str]:
    """Headers of every answer under /reports/: not cached, not indexed, not framed, not
    sniffed as another type, no Referer to other sites (the URL holds the token)."""
    headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
               "X-Robots-Tag": "noindex", "Content-Security-Policy": CONTENT_SECURITY_POLICY,
               "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff"}
    if https:  # over plain http the header is ignored, and would mislead whoever reads it
        headers["Strict-Transport-Security"] = HSTS
    return headers


class AccessLog(AbstractAccessLogger):
    """aiohttp's access log without report tokens: a token in a log line would open the report
    to anyone who can read the logs, for as long as the link is valid."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        path = _TOKEN_LIKE.sub("…", request.path)
        self.logger.info("%s %s %s %.3fs", request.method, path, response.status, time)
