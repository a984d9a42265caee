"""What `resonanz serve` does with a request declaring a body larger than any route takes,
attacked from outside on 127.0.0.1: a first request whose complete head declares it is answered
by the connection itself (bot.cli._Capped, before aiohttp reads it), and a request the route
refuses is not read on after the answer (runner_options: lingering_time 0; aiohttp would
otherwise read and drop what the client still sends for up to 10 s)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from bot.cli import TOO_LARGE
from tests.support.serving import Served, serve_env, start_serve

TEN_MIB = 10 * 1024 * 1024
HEAD = (b"POST /api/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % TEN_MIB)


async def answer_and_close(served: Served, head: bytes, *, timeout: float = 5.0
                           ) -> tuple[bytes, float]:
    """Send `head` (nothing more) and read until the bot closes: what it answered, and how
    many seconds the close took."""
    started = time.monotonic()
    reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
    try:
        writer.write(head)
        answer = await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()
    return answer, time.monotonic() - started


async def test_a_first_head_declaring_too_much_is_answered_by_the_connection_itself(
        tmp_path: Path):
    served = start_serve(tmp_path, serve_env(tmp_path, HOST="127.0.0.1"))
    try:
        await asyncio.to_thread(served.wait_healthy)
        # Not a byte of the body sent: the answer comes, and the connection is closed, at once,
        # with the connection's own bytes (the endpoint's 413 says "activity too large" and
        # carries aiohttp's Date and Server headers).
        answer, seconds = await answer_and_close(served, HEAD)
        assert answer == TOO_LARGE
        assert b"Connection: close\r\n" in answer and answer.endswith(
            b'{"error": "request too large"}')
        assert seconds < 1.0
        # A route that never reads a body would answer it (GET /healthz: 200): the size alone
        # refuses it here, before any route is asked.
        health = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n" % (
            TEN_MIB)
        answer, seconds = await answer_and_close(served, health)
        assert answer == TOO_LARGE and seconds < 1.0
    finally:
        output = served.stop()
    assert "refused a request declaring a body over 262144 bytes (413)" in output


async def test_a_request_the_route_refuses_is_not_read_on_after_the_answer(tmp_path: Path):
    served = start_serve(tmp_path, serve_env(tmp_path, HOST="127.0.0.1"))
    sending = asyncio.Event()
    try:
        await asyncio.to_thread(served.wait_healthy)
        reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
        # The head in two writes: the connection's first bytes hold no complete head, so the
        # early check lets it through, and the endpoint refuses the declared size itself.
        half = HEAD.index(b"Content-Length")
        writer.write(HEAD[:half])
        await writer.drain()
        await asyncio.sleep(0.2)
        writer.write(HEAD[half:])

        async def keep_sending() -> None:  # 320 KB/s: far from 10 MiB in the test's time
            try:
                while True:
                    writer.write(b"x" * 16384)
                    await writer.drain()
                    sending.set()
                    await asyncio.sleep(0.05)
            except OSError:  # the bot closed the connection
                return

        sender = asyncio.create_task(keep_sending())
        try:
            status = await asyncio.wait_for(reader.readline(), 5)
            answered = time.monotonic()
            assert status.startswith(b"HTTP/1.1 413 ")
            try:
                rest = await asyncio.wait_for(reader.read(), 5)
            except ConnectionResetError:  # the bot closed while body bytes were under way
                rest = b""
            except TimeoutError:
                rest = b"still open after 5 s"
            closed = time.monotonic() - answered
        finally:
            sender.cancel()
            writer.close()
        assert sending.is_set()
        assert closed < 1.0, f"the bot read on for {closed:.1f} s after answering"
        # The endpoint's 413 (its body, unless the reset came first), not the connection's.
        assert rest == b"" or rest.endswith(b'{"error": "activity too large"}'), rest[-200:]
    finally:
        output = served.stop()
    assert "refused a request declaring a body over" not in output  # not the early refusal
