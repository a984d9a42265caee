"""GET /reports/{token}: the report page behind an expiring link; unknown links get 404."""

from __future__ import annotations

import logging
import re

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from bot.core.meeting_ids import token_hash
from bot.core.services import Services
from bot.i18n import language_of
from bot.summaries.gathering import compose, summary_material
from bot.summaries.report_page import render_not_found_page, render_report_page

logger = logging.getLogger(__name__)

MAX_TOKEN_CHARS = 128
_TOKEN_IN_PATH = re.compile(r"^(/reports/)[^/]+")


class ReportPages:
    def __init__(self, services: Services) -> None:
        self._services = services

    async def serve(self, request: web.Request) -> web.Response:
        token = request.match_info.get("token", "")
        if not token or len(token) > MAX_TOKEN_CHARS:
            return self._not_found()
        services = self._services
        now = services.clock()
        async with services.storage.unit_of_work() as uow:
            found = await uow.meetings.link(token_hash(token), now)
            meeting = await uow.meetings.get(found[0]) if found else None
            if found is None or meeting is None:
                return self._not_found()
            language = language_of(found[1])
            material = await summary_material(uow, meeting, now=now,
                                              policy=services.policy,
                                              held=services.meetings.held(meeting.id))
        page = render_report_page(await compose(material), language=language,
                                  policy=services.policy)
        return web.Response(text=page, content_type="text/html", charset="utf-8",
                            headers={"Cache-Control": "no-store",
                                     "Referrer-Policy": "no-referrer",
                                     "X-Robots-Tag": "noindex"})

    @staticmethod
    def _not_found() -> web.Response:
        # The same answer for unknown and expired links: nothing tells whether a meeting exists.
        return web.Response(status=404, text=render_not_found_page(), content_type="text/html",
                            charset="utf-8", headers={"Cache-Control": "no-store"})


class AccessLog(AbstractAccessLogger):
    """aiohttp's access log without report tokens: a token in a log line would open the report
    to anyone who can read the logs, for as long as the link is valid."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        path = _TOKEN_IN_PATH.sub(r"\1…", request.path)
        self.logger.info("%s %s %s %.3fs", request.method, path, response.status, time)
