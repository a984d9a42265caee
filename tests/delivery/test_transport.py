"""ConnectorTransport and parse_retry_after: URLs, bodies, auth header, and Teams' errors."""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st

from bot.delivery.transport import (
    Address,
    ConnectorTransport,
    DeliveryError,
    TransientDeliveryError,
    parse_retry_after,
)
from devtools.local_connector import LocalConnector
from tests.delivery.helpers import address_in, closed_port_url, no_token

NOW = datetime(2015, 10, 21, 7, 28, 0, tzinfo=UTC)


# ----------------------------------------------------------------- parse_retry_after
@pytest.mark.parametrize(
    ("header", "seconds"),
    [("1", 1.0), (" 120 ", 120.0), ("0", 0.0), ("1.5", 1.5)],
)
def test_retry_after_in_seconds_is_read_as_seconds(header: str, seconds: float) -> None:
    assert parse_retry_after(header, NOW) == seconds


def test_retry_after_as_http_date_is_the_time_left_until_then() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", NOW) == 30.0


def test_retry_after_as_http_date_in_the_past_means_retry_now() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", NOW) == 0.0


def test_retry_after_compared_with_a_naive_now_treats_it_as_utc() -> None:
    naive_now = NOW.replace(tzinfo=None)
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", naive_now) == 30.0


@pytest.mark.parametrize("header", [None, "", "   ", "soon", "-3", "nan", "inf", "Wed, 99 Foo"])
def test_unusable_retry_after_gives_none(header: str | None) -> None:
    assert parse_retry_after(header, NOW) is None


@given(st.integers(0, 10**7))
def test_any_http_date_retry_after_round_trips_to_its_seconds(seconds: int) -> None:
    header = format_datetime(NOW + timedelta(seconds=seconds), usegmt=True)
    assert parse_retry_after(header, NOW) == float(seconds)


# ----------------------------------------------------------------- requests and bodies
async def test_post_returns_the_new_message_id_and_put_replaces_it(
    connector: LocalConnector, transport: ConnectorTransport
) -> None:
    address = address_in(connector)
    message_id = await transport.post(address, {"text": "draft"})
    assert message_id == "msg-1"
    await transport.put(address, message_id, {"text": "final"})
    assert connector.message("msg-1")["text"] == "final"


async def test_post_fills_in_conversation_sender_and_type_but_never_a_recipient(
    connector: LocalConnector, transport: ConnectorTransport
) -> None:
    activity = {"text": "hello"}
    await transport.post(Address(connector.service_url, "conv-7", "28:bot"), activity)
    [body] = connector.sent("conv-7")
    assert body == {
        "text": "hello",
        "type": "message",
        "conversation": {"id": "conv-7"},
        "from": {"id": "28:bot"},
    }
    assert activity == {"text": "hello"}  # the caller's dict is left as rendered


async def test_fields_the_caller_set_are_kept(
    connector: LocalConnector, transport: ConnectorTransport
) -> None:
    activity = {"type": "typing", "conversation": {"id": "other"}, "from": {"id": "me"}}
    await transport.post(address_in(connector, "conv-7"), activity)
    assert connector.sent("conv-7") == [activity]


async def test_ids_with_reserved_characters_reach_the_connector_intact(
    connector: LocalConnector, transport: ConnectorTransport
) -> None:
    conversation_id = "19:meeting_x@thread.v2;messageid=17/3?a#b %"
    address = Address(connector.service_url, conversation_id)
    message_id = await transport.post(address, {"text": "hi"})
    assert message_id is not None
    connector.messages["id:with/slash"] = {"text": "old"}
    await transport.put(address, "id:with/slash", {"text": "new"})
    assert [r.conversation_id for r in connector.requests] == [conversation_id] * 2
    assert connector.requests[1].activity_id == "id:with/slash"
    assert connector.message("id:with/slash")["text"] == "new"


# ----------------------------------------------------------------- errors
@pytest.mark.parametrize("status", [412, 429, 502, 504])
async def test_throttling_and_gateway_errors_are_transient(
    connector: LocalConnector, transport: ConnectorTransport, status: int
) -> None:
    connector.fail_next(1, status)
    with pytest.raises(TransientDeliveryError) as raised:
        await transport.post(address_in(connector), {"text": "hi"})
    assert raised.value.status == status
    assert raised.value.retry_after is None


async def test_throttling_carries_the_retry_after_the_connector_asked_for(
    connector: LocalConnector, transport: ConnectorTransport
) -> None:
    connector.fail_next(1, 429, retry_after="2")
    with pytest.raises(TransientDeliveryError) as raised:
        await transport.put(address_in(connector), "msg-1", {"text": "hi"})
    assert (raised.value.status, raised.value.retry_after) == (429, 2.0)


@pytest.mark.parametrize("status", [400, 401, 403, 500])
async def test_other_errors_are_final(
    connector: LocalConnector, transport: ConnectorTransport, status: int
) -> None:
    connector.fail_next(1, status)
    with pytest.raises(DeliveryError) as raised:
        await transport.post(address_in(connector), {"text": "hi"})
    assert raised.value.status == status
    assert not isinstance(raised.value, TransientDeliveryError)


async def test_editing_an_unknown_message_is_a_final_not_found(
    connector: LocalConnector, transport: ConnectorTransport
) -> None:
    with pytest.raises(DeliveryError) as raised:
        await transport.put(address_in(connector), "msg-404", {"text": "hi"})
    assert raised.value.status == 404
    assert not isinstance(raised.value, TransientDeliveryError)


async def test_a_refused_connection_is_transient_without_status() -> None:
    transport = ConnectorTransport(token_provider=no_token)
    try:
        with pytest.raises(TransientDeliveryError) as raised:
            await transport.post(Address(closed_port_url(), "conv-a"), {"text": "hi"})
    finally:
        await transport.close()
    assert raised.value.status is None


async def test_a_timeout_is_transient_without_status(connector: LocalConnector) -> None:
    transport = ConnectorTransport(token_provider=no_token, timeout=0.1)
    connector.fail_next(1, 502, delay=0.4)
    try:
        with pytest.raises(TransientDeliveryError) as raised:
            await transport.post(address_in(connector), {"text": "hi"})
    finally:
        await transport.close()
    assert raised.value.status is None


# ----------------------------------------------------------------- auth and session
@dataclass
class HeaderServer:
    """A one-route connector that remembers each request's Authorization header and client port."""

    seen: list[tuple[str | None, int]] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        self.seen.append((request.headers.get("Authorization"), peer[1] if peer else -1))
        return web.json_response({"id": "m1"}, status=201)


@pytest.fixture
async def header_server() -> AsyncIterator[HeaderServer]:
    server = HeaderServer()
    app = web.Application()
    app.router.add_post("/v3/conversations/{cid}/activities", server.handle)
    app.router.add_put("/v3/conversations/{cid}/activities/{aid}", server.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    server.url = f"http://127.0.0.1:{port}"
    yield server
    await runner.cleanup()


async def test_a_token_is_sent_as_a_bearer_header(header_server: HeaderServer) -> None:
    asked: list[str] = []

    async def token(service_url: str) -> str | None:
        asked.append(service_url)
        return "secret-token"

    transport = ConnectorTransport(token_provider=token)
    try:
        await transport.post(Address(header_server.url, "conv-a"), {"text": "hi"})
    finally:
        await transport.close()
    assert header_server.seen[0][0] == "Bearer secret-token"
    assert asked == [header_server.url]


async def test_without_a_token_no_authorization_header_is_sent(
    header_server: HeaderServer,
) -> None:
    transport = ConnectorTransport(token_provider=no_token)
    try:
        await transport.post(Address(header_server.url, "conv-a"), {"text": "hi"})
    finally:
        await transport.close()
    assert header_server.seen[0][0] is None


async def test_edits_share_one_connection_and_each_new_message_has_its_own(
    header_server: HeaderServer,
) -> None:
    transport = ConnectorTransport(token_provider=no_token)
    address = Address(header_server.url, "conv-a")
    try:
        for _ in range(3):
            await transport.put(address, "m1", {"text": "edited"})
        for _ in range(3):
            await transport.post(address, {"text": "hi"})
        await transport.put(address, "m1", {"text": "edited again"})
    finally:
        await transport.close()
        await transport.close()  # closing twice is harmless
    ports = [port for _, port in header_server.seen]
    edits, posts = ports[:3] + ports[6:], ports[3:6]
    assert len(set(edits)) == 1  # kept alive between edits, and while messages were posted
    assert len(set(posts)) == 3 and not set(posts) & set(edits)


# ----------------------------------------------------------------- certain and uncertain
async def test_a_connection_that_is_never_accepted_is_certainly_not_delivered() -> None:
    # A listener whose backlog is full drops new connections: connecting hangs, as towards a
    # connector behind a dead network path.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        try:
            filler.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(filler)
    try:
        failed = await _post_failing(f"http://127.0.0.1:{port}/")
    finally:
        for filler in fillers:
            filler.close()
        listener.close()
    assert failed.uncertain is False


async def _post_failing(service_url: str) -> TransientDeliveryError:
    """What posting a message to `service_url` raised (with a 1 s timeout)."""
    wire = ConnectorTransport(token_provider=no_token, timeout=1.0)
    try:
        with pytest.raises(TransientDeliveryError) as failed:
            await wire.post(Address(service_url, "conv-a"), {"text": "hi"})
    finally:
        await wire.close()
    return failed.value


async def test_a_tls_handshake_that_never_ends_is_certainly_not_delivered() -> None:
    # The connection is accepted, but the server never answers the TLS hello: nothing of the
    # request can have left.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    try:
        failed = await _post_failing(f"https://127.0.0.1:{port}/")
    finally:
        listener.close()
    assert failed.uncertain is False


async def test_a_post_waiting_for_a_free_connection_is_certainly_not_delivered(
    connector: LocalConnector,
) -> None:
    # More new messages at once than the pool has connections (100): one that got no
    # connection within the connect timeout never left.
    connector.answer_late(100, 3.0, methods=("POST",))
    wire = ConnectorTransport(token_provider=no_token, timeout=2.0)
    try:
        slow = [asyncio.create_task(wire.post(address_in(connector), {"text": f"slow {n}"}))
                for n in range(100)]
        await asyncio.sleep(0.3)
        with pytest.raises(TransientDeliveryError) as failed:
            await wire.post(address_in(connector), {"text": "waiting"})
        assert failed.value.uncertain is False
        await asyncio.gather(*slow, return_exceptions=True)
    finally:
        await wire.close()


async def test_a_token_that_cannot_be_had_fails_certain_and_transient(
    connector: LocalConnector
) -> None:
    async def broken(service_url: str) -> str | None:
        raise KeyError("access_token")

    wire = ConnectorTransport(token_provider=broken)
    try:
        with pytest.raises(TransientDeliveryError) as failed:
            await wire.post(address_in(connector), {"text": "hi"})
    finally:
        await wire.close()
    assert failed.value.uncertain is False and connector.requests == []


# ----------------------------------------------------------------- stale keep-alive connections
class ClosingConnector:
    """A connector in a thread of its own that answers one request per connection and then
    closes it, as a connector (or a load balancer before it) closes an idle keep-alive
    connection. It counts every request that reached it."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)  # so that the thread sees `stopped` soon
        self.stopped = False
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.requests = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopped:
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(5)
                received = b""
                while b"\r\n\r\n" not in received:
                    chunk = connection.recv(65536)
                    if not chunk:
                        break
                    received += chunk
                if not received:
                    continue
                head, _, body = received.partition(b"\r\n\r\n")
                length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
                while len(body) < length:
                    body += connection.recv(65536)
                self.requests += 1
                answer = b'{"id": "m%d"}' % self.requests
                connection.sendall(b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
                                   b"Content-Length: %d\r\n\r\n%s" % (len(answer), answer))
                # No "Connection: close": the client keeps the connection for the next request,
                # and finds it closed only when it reads an answer there.

    def close(self) -> None:
        self.stopped = True
        self.thread.join(timeout=5)
        self.listener.close()


async def test_a_new_message_never_goes_on_a_connection_the_connector_may_have_closed() -> None:
    server = ClosingConnector()
    wire = ConnectorTransport(token_provider=no_token)
    address = Address(server.url, "conv-a")
    try:
        first = await wire.post(address, {"text": "one"})
        # The connector's close has reached this machine, but the bot, busy, has not read it:
        # a pooled connection would still look open.
        time.sleep(0.2)
        second = await wire.post(address, {"text": "two"})
    finally:
        await wire.close()
        server.close()
    assert (first, second) == ("m1", "m2")
    assert server.requests == 2
