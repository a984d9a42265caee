"""Teams-shaped activities and a harness that runs the real bot app over HTTP against a local
Bot Connector."""

from __future__ import annotations

import itertools
import logging
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from bot.app import SERVICES, SHELL, create_app
from bot.local_connector import LocalConnector
from bot.settings import Settings

BOT_ID = "28:5f1c1a3e-resonanz-bot"
BOT_NAME = "Resonanz"
TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
_activity_ids = itertools.count(1_700_000_000_000)


@dataclass(frozen=True)
class Participant:
    """A meeting participant as Teams describes them."""

    name: str
    mri: str
    aad_object_id: str | None

    @classmethod
    def numbered(cls, number: int, *, guest: bool = False) -> "Participant":
        tag = uuid.uuid5(uuid.NAMESPACE_DNS, f"participant-{number}")
        return cls(
            name=f"Teilnehmerin Nummer{number} Beispiel",
            mri=f"29:1{tag.hex[:20]}XyZ{number}",
            aad_object_id=None if guest else str(tag),
        )

    def as_from(self) -> dict[str, Any]:
        sender: dict[str, Any] = {"id": self.mri, "name": self.name}
        if self.aad_object_id:
            sender["aadObjectId"] = self.aad_object_id
        return sender


@dataclass
class Chat:
    """A Teams chat (a meeting chat when `meeting_id` is set) that builds activities."""

    service_url: str
    conversation_id: str = "19:meeting_NjQ2ZmE3YjEtYzI1@thread.v2"
    meeting_id: str | None = None
    conversation_type: str = "groupChat"
    tenant_id: str = TENANT_ID

    def _base(self, who: Participant, locale: str) -> dict[str, Any]:
        channel_data: dict[str, Any] = {"tenant": {"id": self.tenant_id}}
        if self.meeting_id:
            channel_data["meeting"] = {"id": self.meeting_id}
        return {
            "id": str(next(_activity_ids)),
            "timestamp": "2026-11-25T09:00:00.000Z",
            "serviceUrl": self.service_url,
            "channelId": "msteams",
            "from": who.as_from(),
            "conversation": {"isGroup": self.conversation_type != "personal",
                             "conversationType": self.conversation_type,
                             "tenantId": self.tenant_id, "id": self.conversation_id},
            "recipient": {"id": BOT_ID, "name": BOT_NAME},
            "locale": locale,
            "channelData": channel_data,
        }

    def message(self, who: Participant, text: str, *, locale: str = "en-US",
                mention: bool = True) -> dict[str, Any]:
        activity = self._base(who, locale)
        activity.update(type="message", textFormat="plain",
                        entities=[{"type": "clientInfo", "locale": locale, "platform": "Web"}])
        if mention:
            tag = f"<at>{BOT_NAME}</at>"
            activity["text"] = f"{tag} {text}"
            activity["entities"].append({"type": "mention", "text": tag,
                                         "mentioned": {"id": BOT_ID, "name": BOT_NAME}})
        else:
            activity["text"] = text
        return activity

    def click(self, who: Participant, verb: str, data: dict[str, Any], *,
              reply_to_id: str | None = None, locale: str = "en-US") -> dict[str, Any]:
        activity = self._base(who, locale)
        activity.update(type="invoke", name="adaptiveCard/action", value={
            "action": {"type": "Action.Execute", "verb": verb, "data": data},
            "trigger": "manual"})
        if reply_to_id:
            activity["replyToId"] = reply_to_id
        return activity


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
        shell, live = self.client.app[SHELL], self.client.app[SERVICES].live
        await shell.drain()
        await live.settle()
        await shell.drain()

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
