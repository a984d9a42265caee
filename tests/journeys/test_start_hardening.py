"""Connection hygiene of `resonanz serve`, attacked from outside on 127.0.0.1: stalled and
trickling headers are cut off at RESONANZ_HEADER_TIMEOUT, the descriptor limit is raised, and
running out of descriptors is a line in the log, not a flood of tracebacks."""

from __future__ import annotations

import asyncio
import re
import resource
import socket
import time
from pathlib import Path

from tests.support.serving import Served, health_status, serve_env, start_serve

PARTIAL = b"POST /api/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"


async def seconds_until_closed(served: Served, send: bytes, *, trickle: bool = False) -> float:
    """Connect, send `send` (all at once, or a byte every 0.2 s), never finish the headers;
    how long until the bot closes the connection."""
    started = time.monotonic()
    reader, writer = await asyncio.open_connection("127.0.0.1", served.port)

    async def dribble() -> None:
        for byte in send:
            writer.write(bytes([byte]))
            await asyncio.sleep(0.2)

    if trickle:
        sender = asyncio.create_task(dribble())
    else:
        writer.write(send)
    try:
        answer = await asyncio.wait_for(reader.read(), timeout=10)
    except ConnectionResetError:
        answer = b""
    finally:
        if trickle:
            sender.cancel()
        writer.close()
    assert answer == b""  # closed without an answer
    return time.monotonic() - started


async def answer_after(served: Served, delay: float) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
    await asyncio.sleep(delay)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    answer = await asyncio.wait_for(reader.read(), timeout=10)
    writer.close()
    return answer


async def test_connections_that_do_not_finish_their_headers_in_time_are_closed(tmp_path: Path):
    served = start_serve(tmp_path, serve_env(tmp_path, HOST="127.0.0.1",
                                             RESONANZ_HEADER_TIMEOUT="1.5"))
    try:
        await asyncio.to_thread(served.wait_healthy)
        silent, stalled, trickling, honest = await asyncio.gather(
            seconds_until_closed(served, b""),
            seconds_until_closed(served, PARTIAL),
            seconds_until_closed(served, PARTIAL * 4, trickle=True),  # 40 s of bytes if allowed
            answer_after(served, 1.0))
    finally:
        served.stop()
    for closed_after in (silent, stalled, trickling):
        assert 1.3 <= closed_after <= 3.5
    assert honest.startswith(b"HTTP/1.1 200 ")  # a request in time is answered as before


def test_the_descriptor_limit_is_raised_to_the_hard_limit_and_logged(tmp_path: Path):
    served = start_serve(tmp_path, serve_env(tmp_path, HOST="127.0.0.1"),
                         preexec=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (256, 1024)))
    try:
        served.wait_healthy()
        limits = Path(f"/proc/{served.process.pid}/limits").read_text()
    finally:
        output = served.stop()
    assert re.search(r"^Max open files\s+1024\s+1024\s", limits, re.MULTILINE)
    assert "INFO resonanz: file descriptors: up to 1024 open at once (raised from 256)" in output


def test_running_out_of_descriptors_is_one_log_line_and_the_bot_recovers_by_itself(
        tmp_path: Path):
    served = start_serve(tmp_path, serve_env(tmp_path, HOST="127.0.0.1",
                                             RESONANZ_HEADER_TIMEOUT="2"),
                         preexec=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64)))
    attackers: list[socket.socket] = []
    try:
        served.wait_healthy()
        for _ in range(120):  # about twice what the bot can hold open
            attacker = socket.create_connection(("127.0.0.1", served.port), timeout=5)
            attacker.sendall(PARTIAL)
            attackers.append(attacker)
        time.sleep(0.5)
        assert health_status(served.port, timeout=0.5) is None  # out of descriptors for now
        # The attacker keeps every socket open; the header deadline frees the bot's side.
        deadline = time.monotonic() + 20
        while health_status(served.port) != 200:
            assert time.monotonic() < deadline, "the bot did not recover"
            time.sleep(0.2)
    finally:
        for attacker in attackers:
            attacker.close()
        output = served.stop()
    failures = [line for line in output.splitlines() if "could not accept a connection" in line]
    assert 1 <= len(failures) <= 3, output[-5000:]
    assert failures[0].split(" ", 2)[2] == (
        "ERROR resonanz: could not accept a connection: [Errno 24] Too many open files; asyncio "
        "retries every second, further failures are counted and logged every 10 s")
    assert "Traceback" not in output
    assert "socket.accept() out of system resource" not in output
    assert len(output) < 30_000


async def test_a_client_past_its_connection_cap_is_closed_at_once_and_others_still_served(
        tmp_path: Path):
    served = start_serve(tmp_path, serve_env(tmp_path, HOST="127.0.0.1",
                                             RESONANZ_CONNECTIONS_PER_CLIENT="4"))
    held: list[asyncio.StreamWriter] = []
    try:
        await asyncio.to_thread(served.wait_healthy)
        for _ in range(4):
            _, writer = await asyncio.open_connection("127.0.0.1", served.port)
            writer.write(PARTIAL)
            held.append(writer)
        await asyncio.sleep(0.2)
        started = time.monotonic()
        reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        try:
            answer = await asyncio.wait_for(reader.read(), timeout=5)
        except ConnectionResetError:
            answer = b""
        writer.close()
        assert answer == b"" and time.monotonic() - started < 1.0  # the fifth: closed at once
        held.pop().close()  # one of the four goes: there is room again
        await asyncio.sleep(0.2)
        assert (await answer_after(served, 0)).startswith(b"HTTP/1.1 200 ")
    finally:
        for writer in held:
            writer.close()
        output = served.stop()
    assert "closed a connection from a client address holding 4 already" in output


def test_sigterm_stops_serve_cleanly(tmp_path: Path):
    served = start_serve(tmp_path, serve_env(tmp_path, HOST="127.0.0.1"))
    served.wait_healthy()
    output = served.stop()
    assert served.process.returncode == 0, output[-3000:]
    assert "Traceback" not in output


async def _status_after(served: Served, head: bytes, body: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
    try:
        writer.write(head + body)
        return await asyncio.wait_for(reader.readline(), timeout=5)
    except ConnectionResetError:
        return b""
    finally:
        writer.close()


async def test_a_body_declared_larger_than_any_route_takes_is_refused_before_it_is_read(
        tmp_path: Path):
    served = start_serve(tmp_path, serve_env(tmp_path, HOST="127.0.0.1"))
    try:
        await asyncio.to_thread(served.wait_healthy)
        huge = (b"POST /api/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\nContent-Length: 10485760\r\n\r\n")
        started = time.monotonic()
        # 64 KiB of the 10 MiB sent: the answer comes without the rest
        assert (await _status_after(served, huge, b"x" * 65536)).startswith(b"HTTP/1.1 413 ")
        assert time.monotonic() - started < 2.0
        allowed = (b"POST /api/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   b"Content-Type: application/json\r\nContent-Length: 200000\r\n\r\n")
        status = await _status_after(served, allowed, b" " * 200000)
        assert status.startswith(b"HTTP/1.1 400 ")  # read and judged by the endpoint itself
        assert (await answer_after(served, 0)).startswith(b"HTTP/1.1 200 ")
    finally:
        output = served.stop()
    assert "refused a request declaring a body over 262144 bytes (413)" in output
