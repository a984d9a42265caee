"""Posting and editing activities on a Bot Connector over HTTP, with Teams' errors made explicit."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol
from urllib.parse import quote

import aiohttp
from yarl import URL

# Microsoft asks bots to retry these (throttling, precondition races, gateway trouble).
TRANSIENT_STATUSES = frozenset({412, 429, 502, 504})
# 503 says the connector did not handle the request (overloaded, in maintenance); always retried.
UNAVAILABLE = 503
# Other server errors (500 above all) are retried only for requests that can be repeated without
# effect; 501 and 505 say the request itself is wrong and are never retried.
SERVER_ERRORS_NOT_RETRIED = frozenset({501, 505})
IDEMPOTENT_METHODS = frozenset({"GET", "PUT", "DELETE"})


def is_transient(status: int, method: str) -> bool:
    """Whether a request answered with `status` is worth retrying.

    Microsoft lists 412, 429, 502 and 504; those are retried for every method. Beyond that list,
    deliberately: 503 is retried too (it means the request was not handled), and so is any other
    5xx except 501/505 (a 500 above all) when the method is idempotent. A PUT replaces a message
    with the complete card, so repeating it cannot show anything twice, and the connector's own
    SDK client (msrest/urllib3) retries 5xx for PUT as well: a card edit is not lost to one
    internal error. A POST answered 500 is not retried: Teams may have stored the message before
    failing, and a retry would post it twice; the caller sees the DeliveryError instead.
    """
    if status in TRANSIENT_STATUSES or status == UNAVAILABLE:
        return True
    if 500 <= status < 600 and status not in SERVER_ERRORS_NOT_RETRIED:
        return method.upper() in IDEMPOTENT_METHODS
    return False


TokenProvider = Callable[[str], Awaitable[str | None]]
CONNECT_TIMEOUT = 5.0  # seconds to open a connection to the connector


@dataclass(frozen=True)
class Address:
    """Where to post: the conversation's Bot Connector and the bot's own id in it."""

    service_url: str
    conversation_id: str
    bot_id: str = ""


class DeliveryError(Exception):
    """The connector refused or failed a request; `status` is None when no answer came.
    `uncertain`: the request may have taken effect all the same (no answer, a gateway error, a
    500): a POST that failed so may have shown its message, and is never posted again."""

    def __init__(self, status: int | None, detail: str = "", *, uncertain: bool = False) -> None:
        super().__init__(f"delivery failed (status {status}){': ' + detail if detail else ''}")
        self.status = status
        self.uncertain = uncertain


class TransientDeliveryError(DeliveryError):
    """A failure worth retrying; `retry_after` (seconds) is what the connector asked for, if any."""

    def __init__(
        self, status: int | None, retry_after: float | None = None, detail: str = "", *,
        uncertain: bool = False,
    ) -> None:
        super().__init__(status, detail, uncertain=uncertain)
        self.retry_after = retry_after


# Answers that say the request was not carried out: throttled, not handled, a precondition.
NOT_CARRIED_OUT = frozenset({412, 429, UNAVAILABLE})


def may_have_taken_effect(status: int) -> bool:
    """Whether a request answered with `status` may still have taken effect: a gateway error
    or another server error (except "not handled") leaves it open; a 4xx or a 2xx does not."""
    return status >= 500 and status not in NOT_CARRIED_OUT


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delay-seconds or HTTP-date); None if unusable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        return _seconds_until(text, now)
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _seconds_until(http_date: str, now: datetime) -> float | None:
    try:
        when = parsedate_to_datetime(http_date)
    except (TypeError, ValueError, IndexError):
        return None
    # HTTP dates are GMT; a naive value from either side means UTC.
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    now = now if now.tzinfo else now.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


class Transport(Protocol):
    """What the outbox needs from the wire."""

    async def post(self, address: Address, activity: dict[str, Any]) -> str | None:
        """Post a new activity; returns the new message id if the connector gave one."""
        ...

    async def put(self, address: Address, activity_id: str, activity: dict[str, Any]) -> None:
        """Replace an existing activity."""
        ...


class ConnectorTransport:
    """Transport over the Bot Connector REST API.

    Which answers are transient is decided by `is_transient`. A request whose connection could
    not be opened is transient and certainly not carried out. One that gets no answer within
    `timeout` seconds (or loses its connection) is transient but `uncertain`: like a 504, it may
    have taken effect. The outbox repeats such a PUT (harmless) but never such a POST, which
    could show the message twice (Bot Framework takes no idempotency key).

    A new message is therefore posted on a connection of its own, opened for it and closed
    after its answer. On a pooled keep-alive connection that the connector (or a load balancer
    before it) closed while it was idle, the request is written into a dead connection and
    fails before any byte of an answer, indistinguishable from a request that arrived and was
    cut off: it would be reported as possibly missing although it never left. On a connection
    of its own, a failure after connecting means the connector really may have it. Edits and
    chat creation (idempotent) keep the pooled connections; aiohttp itself repeats an
    idempotent request once that met a closed keep-alive connection.
    """

    def __init__(self, token_provider: TokenProvider, timeout: float = 10.0) -> None:
        self._token_provider = token_provider
        # A connection not had within the connect timeout (waiting for a free one in the pool,
        # connecting, the TLS handshake) raises ConnectionTimeoutError: never connected, so
        # certainly not delivered. The total timeout must not run out first: that would leave
        # it open whether the request left.
        connect = min(CONNECT_TIMEOUT, timeout / 2)
        self._timeout = aiohttp.ClientTimeout(total=timeout, connect=connect,
                                              sock_connect=connect)
        self._session: aiohttp.ClientSession | None = None  # pooled: edits, chat creation
        self._posts: aiohttp.ClientSession | None = None  # a new connection per request

    async def post(self, address: Address, activity: dict[str, Any]) -> str | None:
        url = f"{_conversation_url(address)}/activities"
        answer = await self._send_json("POST", url, address, _complete(activity, address),
                                       own_connection=True)
        message_id = answer.get("id") if isinstance(answer, dict) else None
        return str(message_id) if message_id else None

    async def put(self, address: Address, activity_id: str, activity: dict[str, Any]) -> None:
        url = f"{_conversation_url(address)}/activities/{quote(activity_id, safe='')}"
        await self._send_json("PUT", url, address, _complete(activity, address))

    async def create_conversation(self, service_url: str, bot_id: str, tenant_id: str,
                                  member_id: str) -> str:
        """Open (or find) the 1:1 chat of the bot with one person; returns its conversation id.
        Teams refuses (403/404) when the app is not installed for that person."""
        body = {"bot": {"id": bot_id}, "members": [{"id": member_id}], "isGroup": False,
                "tenantId": tenant_id, "channelData": {"tenant": {"id": tenant_id}}}
        address = Address(service_url, "", bot_id)
        url = f"{service_url.rstrip('/')}/v3/conversations"
        answer = await self._send_json("POST", url, address, body)
        conversation_id = answer.get("id") if isinstance(answer, dict) else None
        if not conversation_id:
            raise DeliveryError(None, detail="no conversation id")
        return str(conversation_id)

    async def close(self) -> None:
        """Close the sessions; a later request opens new ones."""
        sessions = [s for s in (self._session, self._posts) if s is not None]
        self._session = self._posts = None
        for session in sessions:
            await session.close()

    async def _send_json(self, method: str, url: str, address: Address, body: Any, *,
                         own_connection: bool = False) -> Any:
        try:
            headers = await self._headers(address.service_url)
        except Exception as error:  # the token could not be had: nothing was sent
            raise TransientDeliveryError(None, detail="token") from error
        try:
            # encoded=True: ids are already quoted; re-quoting would turn %3A back into ':'.
            session = self._posting() if own_connection else self._pooled()
            async with session.request(
                method, URL(url, encoded=True), json=body, headers=headers
            ) as response:
                _raise_for_status(response)
                return await _json_or_none(response)
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as error:
            # Never connected: nothing was sent.
            raise TransientDeliveryError(None, detail=type(error).__name__) from error
        except (TimeoutError, aiohttp.ClientError) as error:  # aiohttp timeouts included
            raise TransientDeliveryError(None, detail=type(error).__name__,
                                         uncertain=True) from error

    async def _headers(self, service_url: str) -> dict[str, str]:
        token = await self._token_provider(service_url)
        return {} if token is None else {"Authorization": f"Bearer {token}"}

    # Both created lazily, so that they bind to the loop that actually sends.
    def _pooled(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    def _posting(self) -> aiohttp.ClientSession:
        if self._posts is None or self._posts.closed:
            self._posts = aiohttp.ClientSession(
                timeout=self._timeout, connector=aiohttp.TCPConnector(force_close=True))
        return self._posts


def _conversation_url(address: Address) -> str:
    base = address.service_url.rstrip("/")
    return f"{base}/v3/conversations/{quote(address.conversation_id, safe='')}"


def _complete(activity: dict[str, Any], address: Address) -> dict[str, Any]:
    """A copy with the fields the connector needs; the caller's dict stays as rendered."""
    body = dict(activity)
    body.setdefault("type", "message")
    body.setdefault("conversation", {"id": address.conversation_id})
    body.setdefault("from", {"id": address.bot_id})
    # Never a recipient: messages go to the whole conversation, and a recipient is a user id.
    return body


def _raise_for_status(response: aiohttp.ClientResponse) -> None:
    status = response.status
    if 200 <= status < 300:
        return
    uncertain = may_have_taken_effect(status)
    if is_transient(status, response.method):
        wait = parse_retry_after(response.headers.get("Retry-After"), datetime.now(UTC))
        raise TransientDeliveryError(status, retry_after=wait, uncertain=uncertain)
    raise DeliveryError(status, uncertain=uncertain)


async def _json_or_none(response: aiohttp.ClientResponse) -> Any:
    try:
        return await response.json(content_type=None)
    except ValueError:  # an empty or non-JSON 2xx body is still a success
        return None
