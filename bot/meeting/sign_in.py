"""POST /meeting/api/session: a meeting page trades who it is for a short-lived session token
(bot.core.sessions) that its API and its event stream accept.

Who may call it: anyone, so it is rate-limited per client address before anything is read,
and a refused sign-in costs more of that budget. Who is signed in: the person a Teams SSO token
names (bot.teams.sso; authenticated mode), or, in local mode only (no app id, so the bot listens
on loopback only), whoever a developer sign-in names (`Authorization: Developer <object id>`),
marked as such in the answer. For which chat: one the bot knows, in the person's tenant, of a
meeting Teams says the person takes part in (the same participant lookup the cards' moderator
checks use); a page's claim of its chat (from TeamsJS) is never taken on trust.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.core.rate_limits import Rate, TokenBuckets, client_key, retry_after
from bot.core.services import Services
from bot.core.sessions import SessionTokens
from bot.teams.roles import RoleUnavailable
from bot.teams.sso import SsoUser, SsoValidator
from bot.teams.tokens import Rejected

logger = logging.getLogger(__name__)

#: Sign-ins per client address: a page signs in once and again every few minutes.
SIGN_IN_RATE = Rate(burst=20, per_minute=60)
REFUSED_EXTRA_COST = 4.0  # a refused sign-in counts five times
MAX_BODY = 4096
_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_BEARER = re.compile(r"Bearer ([A-Za-z0-9_.-]{1,4096})")
_DEVELOPER = re.compile(r"Developer (" + _GUID.pattern + ")")
HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "no-referrer"}


class MeetingSignIn:
    """`sso` checks Teams SSO tokens (authenticated mode); None: local mode, where only the
    developer sign-in exists."""

    def __init__(self, services: Services, sessions: SessionTokens, sso: SsoValidator | None,
                 *, rate: Rate = SIGN_IN_RATE,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._services = services
        self._sessions = sessions
        self._sso = sso
        self._limits = TokenBuckets(rate)
        self._monotonic = monotonic

    async def session(self, request: web.Request) -> web.Response:
        client = client_key(request.remote)
        wait = self._limits.take(client, self._monotonic())
        if wait > 0:
            return _answer({"error": "too_many"}, 429, {"Retry-After": retry_after(wait)})
        person, developer = self._person(request.headers.get("Authorization", ""))
        if person is None:
            return self._refused(client, 401, "not_signed_in")
        chat_id = await _chat_of(request)
        if chat_id is None:
            return self._refused(client, 400, "no_chat")
        async with self._services.storage.unit_of_work() as uow:
            chat = await uow.chats.get(chat_id)
        if chat is not None and developer:  # a developer names who they are, not where
            person = SsoUser(chat.tenant_id, person.object_id)
        if chat is None or chat.tenant_id != person.tenant_id or not chat.meeting_id:
            return self._refused(client, 403, "not_in_this_meeting")
        try:
            role = await self._services.roles.role(chat.service_url, chat.meeting_id,
                                                   person.tenant_id, person.object_id)
        except RoleUnavailable:
            return _answer({"error": "teams_unavailable"}, 503, {"Retry-After": "5"})
        if role is None:
            return self._refused(client, 403, "not_in_this_meeting")
        session = self._sessions.issue(person.tenant_id, person.object_id, chat.conversation_id)
        return _answer({"session": self._sessions.token(session), "role": role,
                        "expires_at": session.expires_at, "developer": developer}, 200)

    def _person(self, header: str) -> tuple[SsoUser | None, bool]:
        """The person the header names, and whether by the developer sign-in."""
        if self._sso is None:
            developer = _DEVELOPER.fullmatch(header)
            return (SsoUser("", developer.group(1)), True) if developer else (None, False)
        bearer = _BEARER.fullmatch(header)
        if bearer is None:
            return None, False
        try:
            return self._sso.user(bearer.group(1)), False
        except Rejected as why:
            logger.info("refused a meeting page sign-in: %s", why)
            return None, False

    def _refused(self, client: str, status: int, error: str) -> web.Response:
        self._limits.take(client, self._monotonic(), REFUSED_EXTRA_COST)
        return _answer({"error": error}, status)


async def _chat_of(request: web.Request) -> str | None:
    """The chat the page says it is in, from a small JSON body: {"chat": "19:…"}."""
    if request.content_type != "application/json" or (request.content_length or 0) > MAX_BODY:
        return None
    try:
        body = json.loads(await request.content.read(MAX_BODY + 1))
    except (ValueError, UnicodeDecodeError):
        return None
    chat = body.get("chat") if isinstance(body, dict) else None
    return chat if isinstance(chat, str) and 0 < len(chat) <= 512 else None


def _answer(body: dict[str, Any], status: int,
            headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(body, status=status, headers={**HEADERS, **(headers or {})})
