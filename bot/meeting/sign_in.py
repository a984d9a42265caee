"""POST /meeting/api/session: a meeting page trades who it is for a short-lived session token
(bot.core.sessions) that its API and its event stream accept.

Who may call it: anyone. Who is signed in: the person a Teams SSO token names (bot.teams.sso;
authenticated mode), or, in local mode only and from a loopback address only, whoever a
developer sign-in names (`Authorization: Developer <object id>`), marked as such in the answer.
For which chat: one the bot knows, in the person's tenant, of a meeting Teams says the person
takes part in (the same participant lookup the cards' moderator checks use); a page's claim of
its chat (from TeamsJS) is never taken on trust.

What it may cost: an address refused too often (REFUSAL_RATE, each refusal counted five times)
gets 429 for anything that carries no credential, and its credentials are checked at most
CREDENTIAL_CHECKS a second; so people behind one office address or proxy still sign in while
someone there sends junk. A person signs in at most PERSON_RATE often. The body, a small JSON
object, is read only once the credential is accepted.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.core.rate_limits import Rate, TokenBuckets, client_key, retry_after
from bot.core.rejections import RejectionLog
from bot.core.services import Services
from bot.core.sessions import SessionTokens
from bot.settings import is_loopback_name
from bot.teams.roles import RoleUnavailable
from bot.teams.sso import KeysNotReady, SsoUser, SsoValidator
from bot.teams.tokens import Rejected

#: Refused sign-ins per client address before its requests are rationed (see the docstring).
REFUSAL_RATE = Rate(burst=20, per_minute=60)
REFUSED_COST = 5.0
#: Credentials checked a second for an address over REFUSAL_RATE.
CREDENTIAL_CHECKS = Rate(burst=10, per_minute=1200)
#: Sign-ins per person: a page signs in when it opens and every few minutes after.
PERSON_RATE = Rate(burst=10, per_minute=30)
MAX_BODY = 4096
BODY_TIMEOUT = 10.0
_GUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_BEARER = re.compile(r"Bearer ([A-Za-z0-9_.-]{1,4096})")
_DEVELOPER = re.compile(f"Developer ({_GUID})")
HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "no-referrer"}


class MeetingSignIn:
    """`sso` checks Teams SSO tokens (authenticated mode); None: local mode, where only the
    developer sign-in exists."""

    def __init__(self, services: Services, sessions: SessionTokens, sso: SsoValidator | None,
                 *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._services = services
        self._sessions = sessions
        self._sso = sso
        self._refusals = TokenBuckets(REFUSAL_RATE)
        self._checks = TokenBuckets(CREDENTIAL_CHECKS)
        self._people = TokenBuckets(PERSON_RATE)
        self._monotonic = monotonic
        self._log = RejectionLog(what="meeting page sign-in")

    async def session(self, request: web.Request) -> web.Response:
        client = client_key(request.remote)
        header = request.headers.get("Authorization", "")
        if self._refusals.tokens(client, self._monotonic()) < 1:
            wait = self._checks.take(client, self._monotonic()) if header else 1.0
            if wait > 0:
                return _answer({"error": "too_many"}, 429, {"Retry-After": retry_after(wait)})
        try:
            person, developer = self._person(header, request.remote)
        except KeysNotReady:
            return _answer({"error": "sign_in_unavailable"}, 503, {"Retry-After": "5"})
        if person is None:
            return self._refused(client, 401, "not_signed_in")
        wait = self._people.take(f"{person.tenant_id}/{person.object_id}", self._monotonic())
        if wait > 0:
            return _answer({"error": "too_many"}, 429, {"Retry-After": retry_after(wait)})
        chat_id = await _chat_of(request)
        if chat_id is None:
            return self._refused(client, 400, "no_chat")
        return await self._for_chat(client, person, developer, chat_id)

    async def _for_chat(self, client: str, person: SsoUser, developer: bool,
                        chat_id: str) -> web.Response:
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

    def _person(self, header: str, remote: str | None) -> tuple[SsoUser | None, bool]:
        """The person the header names, and whether by the developer sign-in."""
        if self._sso is None:
            developer = _DEVELOPER.fullmatch(header)
            if developer is None or not is_loopback_name(remote or ""):
                self._log("no developer sign-in from a loopback address")
                return None, False
            return SsoUser("", developer.group(1)), True
        bearer = _BEARER.fullmatch(header)
        if bearer is None:
            self._log("no bearer token")
            return None, False
        try:
            return self._sso.user(bearer.group(1)), False
        except Rejected as why:
            self._log(str(why))
            return None, False

    def _refused(self, client: str, status: int, error: str) -> web.Response:
        self._refusals.take(client, self._monotonic(), REFUSED_COST)
        return _answer({"error": error}, status)


async def _chat_of(request: web.Request) -> str | None:
    """The chat the page says it is in, from a small JSON body: {"chat": "19:…"}."""
    length = request.content_length
    if request.content_type != "application/json" or length is None or length > MAX_BODY:
        return None
    try:
        body = json.loads(await asyncio.wait_for(request.read(), BODY_TIMEOUT))
    except (TimeoutError, ValueError, UnicodeDecodeError, RecursionError):
        return None
    chat = body.get("chat") if isinstance(body, dict) else None
    return chat if isinstance(chat, str) and 0 < len(chat) <= 512 else None


def _answer(body: dict[str, Any], status: int,
            headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(body, status=status, headers={**HEADERS, **(headers or {})})
