"""The bot as a real process (`python -m bot`) on 127.0.0.1, for crash, shutdown and
scale-out tests."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from devtools.local_connector import LocalConnector, free_port
from devtools.simulation import Chat, Participant

START_TIMEOUT = 30.0  # seconds: a busy machine starts Python slowly


@dataclass
class BotProcess:
    """One run of the bot process, in `folder` (its database and secret live there)."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path | None = None  # where its output goes, if anywhere

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/messages"

    async def kill(self) -> None:
        """kill -9: no shutdown code runs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        await self.exited(10)

    async def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        """Ask it to shut down (SIGTERM: systemd, Kubernetes; SIGINT: Ctrl-C) and wait for it,
        serving the event loop meanwhile (its last edits go to a connector in this loop)."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return await self.exited(timeout)

    async def exited(self, timeout: float) -> int:
        deadline = asyncio.get_running_loop().time() + timeout
        while (code := self.process.poll()) is None:
            if asyncio.get_running_loop().time() > deadline:
                self.process.kill()
                raise AssertionError("the bot did not exit in time")
            await asyncio.sleep(0.02)
        return code


async def start_process(folder: Path, port: int | None = None, *, edit_interval: float = 0.5,
                        database_url: str | None = None, secret: str = "resilience",
                        log: Path | None = None, log_level: str = "WARNING",
                        env: dict[str, str] | None = None) -> BotProcess:
    """Start `python -m bot` in `folder` (on SQLite in that folder unless `database_url`) and
    wait until it answers its health check; its output goes to `log`, or nowhere. `env`: more
    settings."""
    port = port or free_port()
    extra = env or {}
    env = {**os.environ, "PORT": str(port), "HOST": "127.0.0.1", "RESONANZ_SECRET": secret,
           "DATABASE_URL": database_url or f"sqlite:///{folder / 'resonanz.db'}",
           "RESONANZ_EDIT_INTERVAL": str(edit_interval), "LOG_LEVEL": log_level, **extra}
    env.pop("MicrosoftAppId", None)
    if log is None:
        process = subprocess.Popen([sys.executable, "-m", "bot"], cwd=folder, env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    else:
        with log.open("wb") as out:
            process = subprocess.Popen([sys.executable, "-m", "bot"], cwd=folder, env=env,
                                       stdout=out, stderr=subprocess.STDOUT)
    bot = BotProcess(process, port, log)
    if await _healthy(bot):
        return bot
    process.kill()
    process.wait()
    output = f":\n{log.read_text(errors='replace')[-3000:]}" if log is not None else ""
    raise AssertionError(f"the bot did not start in {folder}{output}")


async def _healthy(bot: BotProcess) -> bool:
    """Whether the bot answers /healthz within START_TIMEOUT (False at once if it exited)."""
    deadline = time.monotonic() + START_TIMEOUT
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline and bot.process.poll() is None:
            try:
                async with http.get(f"http://127.0.0.1:{bot.port}/healthz") as answer:
                    if answer.status == 200:
                        return True
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    return False


async def post(http: aiohttp.ClientSession, bot: BotProcess, activity: dict[str, Any]
               ) -> tuple[int, Any]:
    async with http.post(bot.url, json=activity) as answer:
        body = await answer.json(content_type=None) if answer.status == 200 else None
        return answer.status, body


async def new_poll(http: aiohttp.ClientSession, bot: BotProcess, connector: LocalConnector,
                   chat: Chat, command: str) -> tuple[str, str]:
    """Post a poll command; returns (poll id, message id of its shared card)."""
    before = len(connector.sent())
    status, _ = await post(http, bot, chat.message(Participant.numbered(0), command))
    assert status == 201
    await connector.wait_for(lambda c: len(c.sent()) > before)
    request = [r for r in connector.requests if r.kind == "send" and 200 <= r.status < 300][-1]
    card = request.body["attachments"][0]["content"]
    return card["actions"][0]["data"]["poll"], str(request.activity_id)


def stored_tally(database: Path, options: int) -> list[int]:
    """Ballots per option of the (only) poll, read from the database file."""
    with sqlite3.connect(database) as connection:
        rows = connection.execute("select choices from ballot").fetchall()
    return [sum(1 for (choices,) in rows if choices & (1 << index)) for index in range(options)]


@contextlib.asynccontextmanager
async def running_together(*starts: Awaitable[BotProcess]) -> AsyncIterator[list[BotProcess]]:
    """Bot processes started at the same time (creating the schema must not race), all stopped
    at the end, even when one of them failed to start."""
    started = await asyncio.gather(*starts, return_exceptions=True)
    running = [bot for bot in started if isinstance(bot, BotProcess)]
    try:
        for outcome in started:
            if isinstance(outcome, BaseException):
                raise outcome
        yield running
    finally:
        for bot in running:
            bot.process.terminate()
        for bot in running:
            try:
                bot.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                bot.process.kill()
                bot.process.wait()
