"""Teams-shaped activities for simulated meetings: used by `make demo` and by the tests.

They follow what Teams sends: `msteams` channel, MRIs and Entra ids, tenant and meeting ids in
channelData, the bot's @mention with its entity, and Universal Action invokes.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from typing import Any

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
    def numbered(cls, number: int, *, guest: bool = False) -> Participant:
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

    def event(self, who: Participant, name: str, value: dict[str, Any], *,
              locale: str = "en-US") -> dict[str, Any]:
        """A Teams meeting event (`meetingStart`, `meetingEnd`, `meetingParticipantJoin`,
        `meetingParticipantLeave`) of this chat, with its raw value."""
        activity = self._base(who, locale)
        activity.update(type="event", name=f"application/vnd.microsoft.{name}", value=value)
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
