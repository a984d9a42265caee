"""The bot's own tokens for the Bot Connector (bot.teams.endpoint.ConnectorTokens), with a fetch
that stands in for MSAL: one fetch at a time in a thread that never holds up the process, each
wait bounded, failures remembered for a moment and logged once a minute, and a read that
cannot get a token fails as a read (bot.teams.connector_reads)."""

from __future__ import annotations

import asyncio
import logging
import threading

import pytest

from bot.teams import endpoint
from bot.teams.connector_reads import ConnectorReads, ReadFailed
from bot.teams.endpoint import ConnectorTokens, ConnectorTokenUnavailable


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Fetch:
    """A fetch that blocks until released, then answers or raises what it is given."""

    def __init__(self) -> None:
        self.calls = 0
        self.release = threading.Event()
        self.outcome: BaseException | str = "token-1"

    def __call__(self) -> str:
        self.calls += 1
        self.release.wait(10)
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome


async def test_callers_that_come_while_a_fetch_runs_share_it():
    fetch = Fetch()
    tokens = ConnectorTokens(fetch, "login.example.org")
    waiting = [asyncio.create_task(tokens("https://smba/")) for _ in range(20)]
    await asyncio.sleep(0.05)
    fetch.release.set()
    assert set(await asyncio.gather(*waiting)) == {"token-1"} and fetch.calls == 1


async def test_a_wait_that_runs_out_is_logged_and_the_fetch_goes_on(caplog):
    fetch = Fetch()
    tokens = ConnectorTokens(fetch, "login.example.org", wait=0.1)
    with pytest.raises(ConnectorTokenUnavailable):
        await tokens("https://smba/")
    assert "login.example.org: no answer in 0.1 s" in caplog.text
    fetch.release.set()
    assert await tokens("https://smba/") == "token-1" and fetch.calls == 1


async def test_one_caller_cancelled_does_not_cancel_the_fetch_for_the_others():
    fetch = Fetch()
    tokens = ConnectorTokens(fetch, "login.example.org")
    first = asyncio.create_task(tokens("https://smba/"))
    second = asyncio.create_task(tokens("https://smba/"))
    await asyncio.sleep(0.05)
    first.cancel()
    fetch.release.set()
    assert await second == "token-1"


async def test_a_fetch_hanging_past_its_time_is_left_behind_and_a_new_one_started():
    clock = Clock()
    hung, fresh = Fetch(), Fetch()
    fresh.release.set()
    fetches = iter([hung, fresh])
    current = [next(fetches)]

    def fetch() -> str:
        return current[0]()
    tokens = ConnectorTokens(fetch, "login.example.org", wait=0.1, abandon_after=60,
                             clock=clock)
    with pytest.raises(ConnectorTokenUnavailable):
        await tokens("https://smba/")
    clock.now += 61
    current[0] = next(fetches)
    assert await tokens("https://smba/") == "token-1"
    hung.release.set()


async def test_a_failure_is_remembered_for_a_moment_and_logged_once_a_minute(caplog):
    clock = Clock()
    fetch = Fetch()
    fetch.release.set()
    fetch.outcome = PermissionError("Failed to get access token with error: invalid_client, "
                                    "error_description: AADSTS7000215 the secret is wrong")
    tokens = ConnectorTokens(fetch, "login.example.org", clock=clock)
    caplog.set_level(logging.WARNING, logger="bot.teams.endpoint")
    for _ in range(5):  # 5 tries, each after the pause, within a minute
        with pytest.raises(PermissionError):
            await tokens("https://smba/")
        with pytest.raises(ConnectorTokenUnavailable):
            await tokens("https://smba/")  # within the pause: not asked again
        clock.now += endpoint.TOKEN_RETRY_AFTER + 0.1
    assert fetch.calls == 5
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "invalid_client (1 failures so far)" in lines[0]
    assert "AADSTS" not in caplog.text
    clock.now += 60
    with pytest.raises(PermissionError):
        await tokens("https://smba/")
    assert "(6 failures so far)" in caplog.records[-1].getMessage()


async def test_not_even_a_base_exception_leaves_the_fetch_thread():
    fetch = Fetch()
    fetch.release.set()
    fetch.outcome = SystemExit(3)
    tokens = ConnectorTokens(fetch, "login.example.org")
    with pytest.raises(ConnectorTokenUnavailable, match="SystemExit"):
        await tokens("https://smba/")


async def test_callers_still_waiting_when_the_bot_stops_are_told_no_token_comes():
    fetch = Fetch()
    tokens = ConnectorTokens(fetch, "login.example.org")
    waiting = asyncio.create_task(tokens("https://smba/"))
    await asyncio.sleep(0.05)
    tokens.close()
    with pytest.raises(ConnectorTokenUnavailable):
        await waiting
    fetch.release.set()
    with pytest.raises(ConnectorTokenUnavailable):
        await tokens("https://smba/")


async def test_the_fetch_thread_never_holds_up_the_process():
    fetch = Fetch()
    tokens = ConnectorTokens(fetch, "login.example.org", wait=0.05)
    with pytest.raises(ConnectorTokenUnavailable):
        await tokens("https://smba/")
    [thread] = [t for t in threading.enumerate() if t.name == "connector-token"]
    assert thread.daemon
    fetch.release.set()


async def test_a_read_that_cannot_get_a_token_fails_as_a_read():
    async def no_token(service_url: str) -> str | None:
        raise ConnectorTokenUnavailable("the last attempt failed moments ago")
    reads = ConnectorReads(no_token)
    try:
        with pytest.raises(ReadFailed):
            await reads.get_json("http://127.0.0.1:9/", "http://127.0.0.1:9/v3/x", {},
                                 what="role lookup")
    finally:
        await reads.close()


async def test_a_fetch_left_behind_that_fails_later_does_not_stop_the_newer_token():
    clock = Clock()
    hung, fresh = Fetch(), Fetch()
    fresh.release.set()
    hung.outcome = PermissionError("Failed to get access token with error: temporarily_unavailable")
    current = [hung]
    tokens = ConnectorTokens(lambda: current[0](), "login.example.org", wait=0.1,
                             abandon_after=60, clock=clock)
    with pytest.raises(ConnectorTokenUnavailable):
        await tokens("https://smba/")
    clock.now += 61
    current[0] = fresh
    assert await tokens("https://smba/") == "token-1"
    hung.release.set()  # the one left behind fails now
    await asyncio.sleep(0.1)
    assert await tokens("https://smba/") == "token-1"  # not "failed moments ago"
