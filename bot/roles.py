"""Meeting roles from Teams' participant API, called over REST (the SDK's own call is broken)."""

from __future__ import annotations

import logging
from urllib.parse import quote

import aiohttp

from bot.delivery.transport import TokenProvider

logger = logging.getLogger(__name__)

MODERATOR_ROLES = frozenset({"Organizer", "Presenter"})


class RoleUnavailable(Exception):
    """Teams could not tell the role (app not installed in the meeting, network trouble)."""


class MeetingRoles:
    """Asks `GET {serviceUrl}/v1/meetings/{meetingId}/participants/{aadId}?tenantId=...`.

    Roles change during a meeting (someone is made presenter), so answers are not cached.
    """

    def __init__(self, token_provider: TokenProvider, timeout: float = 5.0) -> None:
        self._tokens = token_provider
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def role(self, service_url: str, meeting_id: str, tenant_id: str,
                   aad_object_id: str | None) -> str | None:
        """The person's role (Organizer, Presenter, Attendee), or None if not a participant."""
        if not aad_object_id:
            return None  # anonymous guests have no Entra id and cannot be looked up
        url = (f"{service_url.rstrip('/')}/v1/meetings/{quote(meeting_id, safe='')}"
               f"/participants/{quote(aad_object_id, safe='')}")
        headers = await self._headers(service_url)
        try:
            async with self._client().get(url, params={"tenantId": tenant_id},
                                          headers=headers) as response:
                if response.status == 404:
                    return None
                if response.status >= 400:
                    logger.warning("participant lookup failed with status %s", response.status)
                    raise RoleUnavailable(response.status)
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            logger.warning("participant lookup failed: %s", type(error).__name__)
            raise RoleUnavailable(type(error).__name__) from error
        role = (body or {}).get("meeting", {}).get("role")
        return role if isinstance(role, str) else None

    async def _headers(self, service_url: str) -> dict[str, str]:
        token = await self._tokens(service_url)
        return {"Authorization": f"Bearer {token}"} if token else {}

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
