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
    """What an id names: meeting occurrences and the chats they were held in. `whole`: the
    chats the id names as a whole, whose items outside every occurrence belong to it too."""

    meetings: tuple[Meeting, ...]
    chats: tuple[str, ...]
    whole: tuple[str, ...] = ()


async def scope_of(uow: UnitOfWork, given: str) -> Scope:
    """Every id the product shows: Resonanz's meeting id (on the summary card) or a report
    link or its token (the report page) name that meeting; a chat's conversation id names the
    chat; the Teams meeting id names its occurrences, and as a whole each chat that holds no
    other meeting (its meeting chat), never another meeting of a group chat."""
    single = await uow.meetings.get(given) or await _by_report_link(uow, given)
    if single is not None:
        return Scope((single,), (single.conversation_id,))
    named = set(await uow.chats.of_meeting(given))  # the chat itself, or chats of that meeting
    of_teams = await uow.meetings.of_teams_meeting(given)
    meetings: dict[str, Meeting] = {m.id: m for m in of_teams}
    whole: list[str] = []
    for chat in sorted(named | {m.conversation_id for m in of_teams}):
        series = await uow.meetings.series(chat, until=FAR_FUTURE, limit=100_000)
        if _names_whole(chat, given, chat in named, series):
            whole.append(chat)
            meetings.update((m.id, m) for m in series)
    chats = sorted({m.conversation_id for m in meetings.values()} | set(whole))
    ordered = sorted(meetings.values(), key=lambda m: (m.conversation_id, m.started_at, m.id))
    return Scope(tuple(ordered), tuple(chats), tuple(whole))


def _names_whole(chat: str, given: str, claimed: bool, series: list[Meeting]) -> bool:
    """Whether `given` names `chat` as a whole: its conversation id does; a Teams meeting id
    does when every meeting stored in the chat is one of its occurrences (its meeting chat;
    `claimed`: the chat says it belongs to that meeting), not a group chat's other meetings."""
    if chat == given:
        return True
    return all(m.teams_meeting_id == given for m in series) and (bool(series) or claimed)


async def _by_report_link(uow: UnitOfWork, given: str) -> Meeting | None:
    """The meeting of a report link (its URL or token), expired or not: whoever runs the
    export holds the database anyway."""
    token = given.rsplit(REPORT_PATH, 1)[-1].split("?", 1)[0].strip("/")
    found = await uow.meetings.link(token_hash(token), LONG_AGO) if token else None
    return None if found is None else await uow.meetings.get(found[0])
