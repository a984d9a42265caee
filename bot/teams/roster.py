"""Who is in a chat: Teams' paged members API (the legacy members call is limited to 5/min)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from bot.teams.connector_reads import ConnectorReads, ReadFailed

PAGE_SIZE = 500  # Teams' maximum
MAX_PAGES = 40  # 20,000 members: beyond any meeting chat


@dataclass(frozen=True)
class ChatMember:
    id: str  # MRI
    name: str
    aad_object_id: str | None = None


class RosterUnavailable(Exception):
    """Teams did not give the member list (permissions, network)."""


class Roster:
    def __init__(self, reads: ConnectorReads) -> None:
        self._reads = reads

    async def members(self, service_url: str, conversation_id: str) -> list[ChatMember]:
        """Every member of the chat, page by page."""
        url = (f"{service_url.rstrip('/')}/v3/conversations/"
               f"{quote(conversation_id, safe='')}/pagedmembers")
        found: list[ChatMember] = []
        continuation: str | None = None
        for _ in range(MAX_PAGES):
            params = {"pageSize": str(PAGE_SIZE)}
            if continuation:
                params["continuationToken"] = continuation
            try:
                page = await self._reads.get_json(service_url, url, params, what="member list")
            except ReadFailed as error:
                raise RosterUnavailable(error.status) from error
            page = page if isinstance(page, dict) else {}
            found += [_member(m) for m in page.get("members", []) if isinstance(m, dict)
                      and isinstance(m.get("id"), str)]
            continuation = page.get("continuationToken")
            if not continuation:
                break
        return found


def _member(raw: dict[str, object]) -> ChatMember:
    name = raw.get("name") or raw.get("givenName") or ""
    aad = raw.get("aadObjectId") or raw.get("objectId")
    return ChatMember(id=str(raw["id"]), name=str(name),
                      aad_object_id=str(aad) if aad else None)
