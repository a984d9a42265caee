"""Who is in a chat: Teams' paged members API (the legacy members call is limited to 5/min)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import quote

import aiohttp

from bot.delivery.transport import TokenProvider

logger = logging.getLogger(__name__)

PAGE_SIZE = 500  # Teams' maximum
MAX_PAGES = 40  # 20,000 members: beyond any meeting chat


@dataclass(frozen=True)
class ChatMember:
    id: str  # MRI
    name: str
    aad_object_id: str | None = None


class RosterUnavailable(Exception):
    """Teams did not give the member list (permissions, network)."""


class Roster:
    def __init__(self, token_provider: TokenProvider, timeout: float = 10.0) -> None:
        self._tokens = token_provider
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def members(self, service_url: str, conversation_id: str) -> list[ChatMember]:
        """Every member of the chat, page by page."""
        url = (f"{service_url.rstrip('/')}/v3/conversations/"
               f"{quote(conversation_id, safe='')}/pagedmembers")
        token = await self._tokens(service_url)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        found: list[ChatMember] = []
        continuation: str | None = None
        for _ in range(MAX_PAGES):
            params = {"pageSize": str(PAGE_SIZE)}
            if continuation:
                params["continuationToken"] = continuation
            page = await self._page(url, params, headers)
            found += [_member(m) for m in page.get("members", []) if isinstance(m, dict)
                      and isinstance(m.get("id"), str)]
            continuation = page.get("continuationToken")
            if not continuation:
                break
        return found

    async def _page(self, url: str, params: dict[str, str],
                    headers: dict[str, str]) -> dict[str, object]:
        try:
            async with self._client().get(url, params=params, headers=headers) as response:
                if response.status >= 400:
                    logger.warning("member list failed with status %s", response.status)
                    raise RosterUnavailable(response.status)
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            logger.warning("member list failed: %s", type(error).__name__)
            raise RosterUnavailable(type(error).__name__) from error
        return body if isinstance(body, dict) else {}

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def _member(raw: dict[str, object]) -> ChatMember:
    name = raw.get("name") or raw.get("givenName") or ""
    aad = raw.get("aadObjectId") or raw.get("objectId")
    return ChatMember(id=str(raw["id"]), name=str(name),
                      aad_object_id=str(aad) if aad else None)
