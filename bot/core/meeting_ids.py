"""What an id given to `resonanz export` or `resonanz purge --meeting` names: every id the
product shows (Resonanz's meeting id on the summary card, a report link or its token, the Teams
meeting id, a chat's conversation id), read the same way by both commands."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from storage.meeting_repository import Meeting
from storage.repositories import UnitOfWork

FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)
LONG_AGO = datetime(1, 1, 1, tzinfo=UTC)
REPORT_PATH = "/reports/"


def token_hash(token: str) -> str:
    """What is stored of a report link's token."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Scope:
    """What an id names: meeting occurrences and the chats they were held in. `whole_chats`:
    the id names chats, so items outside every occurrence are exported too (by their day)."""

    meetings: tuple[Meeting, ...]
    chats: tuple[str, ...]
    whole_chats: bool


async def scope_of(uow: UnitOfWork, given: str) -> Scope:
    """Every id the product shows: Resonanz's meeting id (on the summary card), a report
    link or its token (the report page), the Teams meeting id, or a chat's conversation id."""
    single = await uow.meetings.get(given) or await _by_report_link(uow, given)
    if single is not None:
        return Scope((single,), (single.conversation_id,), whole_chats=False)
    chats = set(await uow.chats.of_meeting(given))
    chats |= {m.conversation_id for m in await uow.meetings.of_teams_meeting(given)}
    meetings = [m for chat in sorted(chats)
                for m in await uow.meetings.series(chat, until=FAR_FUTURE, limit=100_000)]
    return Scope(tuple(meetings), tuple(sorted(chats)), whole_chats=True)


async def _by_report_link(uow: UnitOfWork, given: str) -> Meeting | None:
    """The meeting of a report link (its URL or token), expired or not: whoever runs the
    export holds the database anyway."""
    token = given.rsplit(REPORT_PATH, 1)[-1].split("?", 1)[0].strip("/")
    found = await uow.meetings.link(token_hash(token), LONG_AGO) if token else None
    return None if found is None else await uow.meetings.get(found[0])
