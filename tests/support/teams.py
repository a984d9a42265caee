"""Teams-shaped activities and a harness that runs the real bot app over HTTP against a local
Bot Connector."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from bot.app import SHELL, create_app
from bot.settings import Settings
from devtools.local_connector import LocalConnector
from devtools.simulation import BOT_ID, BOT_NAME, TENANT_ID, Chat, Participant

__all__ = ["BOT_ID", "BOT_NAME", "TENANT_ID", "BotUnderTest", "Chat", "Participant"]

def settings_for_tests(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(
        database_url=f"sqlite:///{tmp_path / 'resonanz.db'}",
        secret="test-anonymity-secret", secret_file=tmp_path / "resonanz.secret",
        edit_interval=0.2, close_check_seconds=0.2,
    )
    values.update(overrides)
    return Settings(**values)


@dataclass
class BotUnderTest:
    """The real aiohttp app on a loopback port, talking to a local Bot Connector."""

    client: TestClient
    connector: LocalConnector
    chat: Chat
    log_lines: list[str] = field(default_factory=list)

    async def post(self, activity: dict[str, Any]) -> tuple[int, Any]:
        response = await self.client.post("/api/messages", json=activity)
        body = await response.json(content_type=None) if response.status != 201 else None
        return response.status, body

    async def say(self, who: Participant, text: str, **options: Any) -> int:
        status, _ = await self.post(self.chat.message(who, text, **options))
        return status

    async def click(self, who: Participant, verb: str, data: dict[str, Any],
                    **options: Any) -> dict[str, Any]:
        status, body = await self.post(self.chat.click(who, verb, data, **options))
        assert status == 200, (status, body)
        return body

    async def settle(self) -> None:
        """Wait until everything the bot queued has reached the connector."""
        await self.client.app[SHELL].drain()

    def cards(self) -> list[dict[str, Any]]:
        """Cards the bot posted (as first posted), oldest first."""
        return [card_of(activity) for activity in self.connector.sent()
                if activity.get("attachments")]

    def texts(self) -> list[str]:
        return [activity.get("text", "") for activity in self.connector.sent()
                if activity.get("text")]

    def message_ids(self) -> list[str]:
        return [r.activity_id for r in self.connector.requests
                if r.kind in ("send", "reply") and r.status < 300 and r.activity_id]


def card_of(activity: dict[str, Any]) -> dict[str, Any]:
    return activity["attachments"][0]["content"]


class ListHandler(logging.Handler):
    """Keeps every formatted log line, tracebacks included."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines = lines
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


async def start_bot(settings: Settings, chat_options: dict[str, Any] | None = None
                    ) -> tuple[BotUnderTest, TestServer]:
    connector = LocalConnector()
    await connector.start()
    server = TestServer(create_app(settings), host="127.0.0.1")
    client = TestClient(server)
    await client.start_server()
    chat = Chat(service_url=connector.service_url, **(chat_options or {}))
    return BotUnderTest(client=client, connector=connector, chat=chat), server
