"""Reading from the Bot Connector (meeting roles, chat members): one session, one error type."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp

from bot.delivery.transport import TokenProvider

logger = logging.getLogger(__name__)

#: Seconds a read waits for the bot's token: Teams gives a click 15 s in all.
TOKEN_WAIT = 5.0


class ReadFailed(Exception):
    """Teams did not answer usefully (permissions, network); `status` when it answered."""

    def __init__(self, status: int | None, what: str) -> None:
        super().__init__(f"{what} failed (status {status})")
        self.status = status


class ConnectorReads:
    def __init__(self, token_provider: TokenProvider, timeout: float = 10.0) -> None:
        self._tokens = token_provider
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def get_json(self, service_url: str, url: str, params: dict[str, str], *,
                       what: str, missing_ok: bool = False) -> Any:
        """GET a JSON answer; a 404 gives None when `missing_ok`, other failures ReadFailed.
        Only the status is logged: urls and answers carry ids of people."""
        try:  # a read answers a person's click: it waits for a token less than a send does
            token = await asyncio.wait_for(self._tokens(service_url), TOKEN_WAIT)
        except Exception as error:
            logger.warning("%s failed: no token (%s)", what, type(error).__name__)
            raise ReadFailed(None, what) from error
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            async with self._client().get(url, params=params, headers=headers) as response:
                if response.status == 404 and missing_ok:
                    return None
                if response.status >= 400:
                    logger.warning("%s failed with status %s", what, response.status)
                    raise ReadFailed(response.status, what)
                return await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            logger.warning("%s failed: %s", what, type(error).__name__)
            raise ReadFailed(None, what) from error

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
